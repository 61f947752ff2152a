// Relay: emitting to one connection or to a room's connections, on this node or (shared mode) any node.
//
// Shared mode: every node has an inbox (a Redis stream, see redis-store.ts)
// that only it reads. A message for a member on another node goes to that
// node's inbox alone; a room broadcast is emitted here and appended to the
// inbox of each other node that holds a member of the room (one script, atomic
// with joins and leaves). Everything a node sends goes out on one Redis
// connection in call order, so at any receiver a member's messages come after
// its peer:join, as they were sent.
//
// Which node holds which member is cached per node, for the rooms this node
// has connections in: filled from the store on a miss, forgotten on every
// peer:join and peer:leave of that member (the room's broadcasts reach every
// node with members there) and when this node's last connection leaves the
// room. A stale entry cannot misdeliver: the receiving node checks that the
// connection is still that member of that room, and otherwise asks the store
// where the member is now and forwards once.
import type { ServerToClientEvents } from '../protocol.js';
import { roomKey, type IoServer } from './io.js';
import { andThen, type Awaitable, type RoomStore } from './rooms.js';

export type ServerEventName = keyof ServerToClientEvents;
export type ServerPayload<E extends ServerEventName> = Parameters<ServerToClientEvents[E]>[0];

/** A member of a room as the relay reaches it: its connection and (shared mode) the node holding it. */
export interface Target {
  roomid: string;
  userid: string;
  connId: string;
  node?: string;
}

/** How handlers reach other connections; never the socket.io server itself. */
export interface Relay {
  /** Member `userid` of `roomid` (never of another room), or undefined when it is not one. */
  locate(roomid: string, userid: string): Awaitable<Target | undefined>;
  /** To a member `locate` found, wherever it is (shared mode: to its node only). */
  toMember<E extends ServerEventName>(target: Target, event: E, payload: ServerPayload<E>): void;
  /** To one connection, wherever it is. */
  toConnection<E extends ServerEventName>(connId: string, event: E, payload: ServerPayload<E>): void;
  /** To every connection in `roomid`, but `exceptConnId`. */
  toRoom<E extends ServerEventName>(roomid: string, event: E, payload: ServerPayload<E>, exceptConnId?: string): void;
  /**
   * Ends a connection that lost its membership to a newer one of the same
   * userid: out of `roomid`'s broadcasts, told `session:replaced`, disconnected.
   */
  evict(connId: string, roomid: string): Awaitable<void>;
  /** Ends a connection a host removed or turned away: out of `roomid`'s broadcasts, told `event`, disconnected. */
  expel<E extends ServerEventName>(connId: string, roomid: string, event: E, payload: ServerPayload<E>): Awaitable<void>;
  /** Disconnects every connection still in `roomid`, on every node (a host ended the room). */
  closeRoom(roomid: string): void;
}

/** Shared mode: the other nodes, through Redis (cluster.ts and redis-store.ts). */
export interface NodeBus {
  readonly nodeId: string;
  /** Where member `userid` of `roomid` is connected, from the store. */
  route(roomid: string, userid: string): Promise<{ connId: string; node: string } | undefined>;
  /** Appends `message` to `node`'s inbox; false when that node is gone. */
  send(node: string, message: string): Promise<boolean>;
  /** Appends `message` to the inbox of every other node holding a member of `roomid` (every other node when null or the room is empty). */
  post(roomid: string | null, message: string): Promise<void>;
  /** Hands every message of this node's inbox to `handler`, in order. */
  read(handler: (message: string) => void): void;
}

/** What travels between nodes (JSON). */
type Wire =
  | ['m', roomid: string, userid: string, connId: string, event: ServerEventName, payload: unknown, forwarded: 0 | 1]
  | ['c', connId: string, event: ServerEventName, payload: unknown]
  | ['r', roomid: string, event: ServerEventName, payload: unknown, except: string | null]
  | ['x', connId: string, roomid: string, event: ServerEventName, payload: unknown]
  | ['k', roomid: string];

/**
 * A relay over socket.io (and, in shared mode, `bus`). `onEvict` settles the
 * evicted connection's local state (when it is a connection of this process)
 * before anything is sent.
 */
export function createRelay(io: IoServer, onEvict: (connId: string) => void, store: RoomStore, bus?: NodeBus, onError?: (err: unknown) => void): Relay {
  const sockets = io.sockets.sockets;
  // This node's sockets, as a broadcast operator: immutable (to() returns a new one), so built once.
  const local = io.local;
  // socket.io's emit is typed per literal event; these generic ones are checked by the Relay signature.
  const emit = (target: unknown, event: ServerEventName, payload: unknown) => (target as { emit(event: string, payload: unknown): boolean }).emit(event, payload);
  /**
   * To one socket of this process. Through the adapter (a room of one) rather
   * than `socket.emit`: the adapter hands engine.io a websocket frame it built
   * as a Buffer, where `socket.emit` passes a string that each write must
   * encode again, a measurable part of a relayed message's cost.
   */
  const toSocketHere = (connId: string, event: ServerEventName, payload: unknown) => emit(local.to(connId), event, payload);
  const toRoomHere = (roomid: string, event: ServerEventName, payload: unknown, except?: string | null) => {
    const room = local.to(roomKey(roomid));
    emit(except ? room.except(except) : room, event, payload);
  };
  const expelHere = (connId: string, roomid: string, event: ServerEventName, payload: unknown) => {
    onEvict(connId);
    const s = sockets.get(connId);
    if (!s) return;
    s.leave(roomKey(roomid));
    emit(s, event, payload);
    s.disconnect(true);
  };
  /**
   * Delivered when `connId` is here and still that member of that room. When
   * the store has just vouched for it (`verified`), also while the connection
   * is not marked as entered yet: the store records a joiner a moment before.
   * A cached target is never trusted that far: that connection may be on its
   * way into another room.
   */
  const toMemberHere = (roomid: string, userid: string, connId: string, event: ServerEventName, payload: unknown, verified: boolean) => {
    const s = sockets.get(connId);
    const ok = !!s && s.data.userid === userid && (s.data.roomid === roomid || (verified && s.data.roomid === null));
    if (ok) toSocketHere(connId, event, payload);
    return ok;
  };

  // Apart from locate(): a closure there would be allocated on every call.
  const targetLater = (roomid: string, userid: string, connId: Promise<string | undefined>): Promise<Target | undefined> =>
    connId.then((id) => (id === undefined ? undefined : { roomid, userid, connId: id }));

  if (!bus) {
    return {
      locate(roomid, userid) {
        const connId = store.connection(roomid, userid);
        return connId instanceof Promise ? targetLater(roomid, userid, connId) : connId === undefined ? undefined : { roomid, userid, connId };
      },
      toMember: (t, event, payload) => void toMemberHere(t.roomid, t.userid, t.connId, event, payload, true),
      toConnection: (connId, event, payload) => void toSocketHere(connId, event, payload),
      toRoom: toRoomHere,
      evict: (connId, roomid) => expelHere(connId, roomid, 'session:replaced', {}),
      expel: expelHere,
      closeRoom: (roomid) => local.in(roomKey(roomid)).disconnectSockets(true),
    };
  }

  const self = bus.nodeId;
  const failed = (err: unknown) => onError?.(err);
  const post = (roomid: string | null, wire: Wire): Promise<void> => bus.post(roomid, JSON.stringify(wire)).catch(failed);

  // -- the membership cache: roomid -> userid -> target ------------------------
  const cache = new Map<string, Map<string, Target>>();
  /** Bumped on every invalidation: a store answer that raced with one is not cached. */
  let generation = 0;
  const forget = (roomid: string, userid: string) => {
    generation++;
    cache.get(roomid)?.delete(userid);
  };
  // This node's last connection left the room: its broadcasts no longer come here to keep entries fresh.
  io.sockets.adapter.on('delete-room', (key: string) => {
    generation++;
    cache.delete(key.slice(roomKey('').length));
  });
  /** The room's membership changed: who held that userid may have moved. */
  const invalidate = (roomid: string, event: ServerEventName, payload: unknown) => {
    if (event === 'peer:join' || event === 'peer:leave') forget(roomid, (payload as { userid: string }).userid);
  };
  const nodeOf = (connId: string) => {
    for (const members of cache.values()) for (const t of members.values()) if (t.connId === connId) return t.node;
    return undefined;
  };
  /** To `connId` on its node if this node knows it, else to every other node (rare: lobby and host messages). Resolves once written. */
  const toOwner = (connId: string, wire: Wire): Promise<void> => {
    const node = nodeOf(connId);
    if (node === undefined || node === self) return post(null, wire);
    return bus.send(node, JSON.stringify(wire)).then((sent) => (sent ? undefined : post(null, wire)), failed);
  };

  /** The cached target was wrong (moved, reconnected, its node gone): ask the store, deliver here or forward once. */
  const reroute = (roomid: string, userid: string, stale: string, event: ServerEventName, payload: unknown) => {
    forget(roomid, userid);
    bus.route(roomid, userid).then((where) => {
      if (!where) return;
      if (where.node === self) toMemberHere(roomid, userid, where.connId, event, payload, true);
      else if (where.connId !== stale) void bus.send(where.node, JSON.stringify(['m', roomid, userid, where.connId, event, payload, 1] satisfies Wire)).catch(failed);
    }, failed);
  };

  bus.read((message) => {
    const w = JSON.parse(message) as Wire;
    switch (w[0]) {
      case 'm':
        if (!toMemberHere(w[1], w[2], w[3], w[4], w[5], w[6] === 1) && w[6] === 0) reroute(w[1], w[2], w[3], w[4], w[5]);
        break;
      case 'c':
        if (sockets.has(w[1])) toSocketHere(w[1], w[2], w[3]);
        break;
      case 'r':
        invalidate(w[1], w[2], w[3]);
        toRoomHere(w[1], w[2], w[3], w[4]);
        break;
      case 'x':
        if (sockets.has(w[1])) expelHere(w[1], w[2], w[3], w[4]);
        break;
      case 'k':
        local.in(roomKey(w[1])).disconnectSockets(true);
        break;
    }
  });

  const expel: Relay['expel'] = (connId, roomid, event, payload) => {
    if (sockets.has(connId)) return expelHere(connId, roomid, event, payload);
    return toOwner(connId, ['x', connId, roomid, event, payload]);
  };
  return {
    locate(roomid, userid) {
      const hit = cache.get(roomid)?.get(userid);
      if (hit) return hit;
      const asked = generation;
      return bus.route(roomid, userid).then((where) => {
        if (!where) return undefined;
        const t: Target = { roomid, userid, ...where };
        // Only for a room this node still has connections in (whose broadcasts keep it fresh).
        if (asked === generation && io.sockets.adapter.rooms.has(roomKey(roomid))) {
          let members = cache.get(roomid);
          if (!members) cache.set(roomid, (members = new Map()));
          members.set(userid, t);
        }
        return t;
      });
    },
    toMember(t, event, payload) {
      const { roomid, userid, connId, node = self } = t;
      if (node === self) {
        if (!toMemberHere(roomid, userid, connId, event, payload, false)) reroute(roomid, userid, connId, event, payload);
        return;
      }
      bus.send(node, JSON.stringify(['m', roomid, userid, connId, event, payload, 0] satisfies Wire)).then((sent) => sent || reroute(roomid, userid, connId, event, payload), failed);
    },
    toConnection(connId, event, payload) {
      if (sockets.has(connId)) toSocketHere(connId, event, payload);
      else toOwner(connId, ['c', connId, event, payload]);
    },
    toRoom(roomid, event, payload, exceptConnId) {
      invalidate(roomid, event, payload);
      toRoomHere(roomid, event, payload, exceptConnId);
      post(roomid, ['r', roomid, event, payload, exceptConnId ?? null]);
    },
    evict(connId, roomid) {
      return expel(connId, roomid, 'session:replaced', {});
    },
    expel,
    closeRoom(roomid) {
      local.in(roomKey(roomid)).disconnectSockets(true);
      post(roomid, ['k', roomid]);
    },
  };
}
