// This process's connections: each one's socket, guard, request queue, TURN refresh and room, and what shared mode asks of them.
import type { Logger } from 'pino';
import type { ClusterHooks, LocalMembership } from './cluster.js';
import type { ResolvedConfig } from './config.js';
import { memberOf, peerInfo, type HandlerContext, type Session } from './handlers/context.js';
import { roomKey, type IoServer, type IoSocket } from './io.js';
import type { Metrics } from './metrics.js';
import type { WorkLimiter } from './rate-limit.js';
import { guardOf, type ConnectionGuard } from './engine-guard.js';
import { createRelay, type NodeBus, type Relay } from './relay.js';
import type { RequestLog, RequestQueue } from './router.js';
import type { JanusPool } from './janus/index.js';
import type { RoomInfo, RoomStore } from './rooms.js';
import { SfuRooms } from './sfu-rooms.js';
import { TopologyMoves } from './topology.js';

export interface Connection extends RequestQueue, RequestLog {
  readonly socket: IoSocket;
  /** The engine-level guard of this connection: its rate decisions, what is held for it. */
  readonly guard: ConnectionGuard;
  /** What its requests' handlers get. */
  readonly ctx: HandlerContext;
  /** Pushes fresh TURN credentials while this connection is in a room. */
  iceTimer?: ReturnType<typeof setTimeout>;
  /** The room this connection entered, as it was then (shared mode puts it back if Redis loses it). */
  room?: { maxParticipants: number; passwordHash: string | null; lobby?: boolean };
}

export interface ConnectionsOptions {
  config: ResolvedConfig;
  store: RoomStore;
  hashing: WorkLimiter;
  metrics: Metrics;
  log: Logger;
  shared: boolean;
  /** Shared mode: the other nodes. */
  bus?: NodeBus;
  closing(): boolean;
  /** Janus for `sfu` rooms, if configured. */
  janus?: JanusPool | null;
}

export class Connections {
  readonly relay: Relay;
  /** The `sfu` rooms; null without Janus. */
  readonly sfu: SfuRooms | null;
  readonly moves: TopologyMoves | null;
  private readonly byId = new Map<string, Connection>();

  constructor(
    private readonly io: IoServer,
    private readonly options: ConnectionsOptions,
  ) {
    // A connection that lost its membership to a newer one is no longer in a room.
    this.relay = createRelay(
      io,
      (connId) => {
        const old = io.sockets.sockets.get(connId);
        if (old) old.data.roomid = null;
        clearTimeout(this.byId.get(connId)?.iceTimer);
      },
      options.store,
      options.bus,
      (err) => options.log.debug({ err: (err as Error).message }, 'a relay to another node failed'),
    );
    this.sfu = options.janus ? new SfuRooms(options.janus, this.relay, options.log, options.store, options.shared) : null;
    // Mid-call moves of `auto` rooms: one node only for now (shared mode decides at open).
    this.moves = this.sfu && !options.shared ? new TopologyMoves(this.sfu, this.relay, options.config.meshMax, options.log) : null;
  }

  values(): IterableIterator<Connection> {
    return this.byId.values();
  }

  /** Registers a socket that passed the handshake. */
  add(socket: IoSocket): Connection {
    const conn = new LiveConnection(socket, this.options.log, (this.contextBase ??= this.makeContextBase()), {
      joined: (c) => this.scheduleIceRefresh(c),
    });
    this.byId.set(socket.id, conn);
    return conn;
  }

  /** What every connection's handler context shares: made once. */
  private contextBase?: Omit<HandlerContext, 'session'>;
  private makeContextBase(): Omit<HandlerContext, 'session'> {
    const { config, store, hashing, metrics, log, shared, closing } = this.options;
    return {
      store,
      relay: this.relay,
      config,
      hashing,
      metrics,
      log,
      shared,
      closing,
      iceServersFor: (userid) => this.iceServersFor(userid),
      sfu: this.sfu,
      moves: this.moves,
    };
  }

  delete(connId: string): void {
    this.byId.delete(connId);
  }

  /** Stops every TURN refresh (shutdown). */
  stopTimers(): void {
    for (const conn of this.byId.values()) clearTimeout(conn.iceTimer);
  }

  /** Settles when every request queued so far has run. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.byId.values()].map((c) => c.queue));
  }

  iceServersFor(userid: string) {
    const { iceServers, turn } = this.options.config;
    return turn ? [...iceServers, turn.issue(userid, Date.now())] : iceServers;
  }

  /** While `conn` is in a room, hands it fresh TURN credentials before the last ones expire. */
  private scheduleIceRefresh(conn: Connection): void {
    const turn = this.options.config.turn;
    if (!turn || !this.byId.has(conn.socket.id)) return;
    clearTimeout(conn.iceTimer);
    conn.iceTimer = setTimeout(() => {
      conn.iceTimer = undefined;
      const { socket } = conn;
      if (!socket.connected || socket.data.roomid === null || this.options.closing()) return;
      socket.emit('ice:servers', { iceServers: this.iceServersFor(socket.data.userid) });
      this.scheduleIceRefresh(conn);
    }, turn.refreshMs);
    conn.iceTimer.unref();
  }

  /** Shared mode: the node's housekeeping (see cluster.ts) asks these of the connections. */
  clusterHooks(): ClusterHooks {
    const { io, byId, relay } = this;
    const { store } = this.options;
    return {
      memberships() {
        const list: LocalMembership[] = [];
        for (const [id, conn] of byId) {
          const s = io.sockets.sockets.get(id);
          if (!s?.connected || s.data.roomid === null || conn.pending > 0 || !conn.room) continue;
          list.push({ roomid: s.data.roomid, room: conn.room, member: memberOf(conn.ctx.session) });
        }
        return list;
      },
      isStale(m) {
        // A request of that connection in progress (entering, leaving, its disconnect) settles it itself.
        if ((byId.get(m.connId)?.pending ?? 0) > 0) return false;
        const s = io.sockets.sockets.get(m.connId);
        return !s?.connected || s.data.roomid !== m.roomid || s.data.userid !== m.userid;
      },
      removed(list) {
        for (const { roomid, userid } of list) relay.toRoom(roomid, 'peer:leave', { userid, reason: 'disconnect' });
      },
      restored(m, result) {
        const s = io.sockets.sockets.get(m.member.connId);
        // Left meanwhile: a membership put back for it is a stale record, which the next round removes.
        if (!s?.connected || s.data.roomid !== m.roomid) return;
        if (result === 'restored') {
          relay.toRoom(m.roomid, 'peer:join', peerInfo(m.member), s.id);
          // That broadcast reaches only the nodes back in Redis already; members put back by the
          // others earlier are told to this connection here (a repeated peer:join is harmless).
          void Promise.resolve(store.members(m.roomid)).then(
            (list) => {
              for (const p of list) if (p.userid !== m.member.userid && s.data.roomid === m.roomid) s.emit('peer:join', peerInfo(p));
            },
            () => {},
          );
        } else if (result === 'taken') {
          // A newer connection of the same userid entered a room while Redis had lost this one.
          s.data.roomid = null;
          clearTimeout(byId.get(s.id)?.iceTimer);
          s.leave(roomKey(m.roomid));
          s.emit('session:replaced', {});
          s.disconnect(true);
        }
      },
    };
  }
}

/*
 * A connection and its session are class instances rather than object
 * literals with getters: a literal's getters are its own closures, which gives
 * every connection an object shape of its own, and with a thousand of them
 * every property read on the relay's path (conn.pending, session.data…) went
 * through V8's megamorphic lookup.
 */

class LiveConnection implements Connection {
  readonly guard: ConnectionGuard;
  readonly ctx: HandlerContext;
  queue: Promise<void> = Promise.resolve();
  pending = 0;
  /** Request lines are written: the server's level, read once (asking pino costs a few lookups on every request). */
  readonly debugging: boolean;
  iceTimer?: ReturnType<typeof setTimeout>;
  room?: Connection['room'];
  private connLog?: Logger;

  constructor(
    readonly socket: IoSocket,
    private readonly serverLog: Logger,
    base: Omit<HandlerContext, 'session'>,
    hooks: { joined(conn: Connection): void },
  ) {
    this.guard = Object.assign(guardOf(socket), { ioSocket: socket });
    this.debugging = serverLog.isLevelEnabled('debug');
    this.ctx = contextOf(base, new SocketSession(socket, this, hooks));
  }

  /** The server's logger, bound to this connection; made on first use: most connections never log anything of their own. */
  get log(): Logger {
    return (this.connLog ??= this.serverLog.child({ sid: this.socket.id, userid: this.socket.data.userid }));
  }
}

/** Written out as one literal: a spread (`{ ...base, session }`) gives every result an object shape of its own. */
function contextOf(b: Omit<HandlerContext, 'session'>, session: Session): HandlerContext {
  return {
    session,
    store: b.store,
    relay: b.relay,
    config: b.config,
    sfu: b.sfu,
    moves: b.moves,
    hashing: b.hashing,
    metrics: b.metrics,
    log: b.log,
    shared: b.shared,
    closing: b.closing,
    iceServersFor: b.iceServersFor,
  };
}

class SocketSession implements Session {
  readonly id: string;

  constructor(
    private readonly socket: IoSocket,
    private readonly conn: Connection,
    private readonly hooks: { joined(conn: Connection): void },
  ) {
    this.id = socket.id;
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  get data(): IoSocket['data'] {
    return this.socket.data;
  }

  joined(room: RoomInfo): void {
    this.conn.room = { maxParticipants: room.maxParticipants, passwordHash: room.passwordHash, lobby: room.lobby };
    this.socket.join(roomKey(room.roomid));
    this.hooks.joined(this.conn);
  }

  left(roomid: string): void {
    clearTimeout(this.conn.iceTimer);
    this.socket.leave(roomKey(roomid));
  }
}
