// Shared mode (`redisUrl`): several server processes ("nodes") behind one
// load balancer share rooms through Redis. RedisRoomStore keeps room state;
// each node has an inbox (a Redis stream only it reads) through which the
// other nodes relay to its connections (relay.ts). This module connects to
// Redis, reads this node's inbox and runs each node's housekeeping loop:
//
// - heartbeat: `node:<id>` is refreshed every ttl/3 with a TTL of `ttl`;
// - sweep: a node that has been in touch with Redis for a whole TTL removes
//   the members (and the inbox) of nodes whose heartbeat expired (killed,
//   frozen, cut off) and tells their rooms `peer:leave` (reason `disconnect`,
//   as for a vanished connection). A short lock lets one node per period do it;
// - reconcile: memberships recorded for this node whose connection is gone
//   here (its leave failed while Redis was away) are removed the same way;
// - restore: when Redis lost this node's memberships (it restarted empty, or
//   this node was cut off for longer than the TTL and was swept), the
//   connections still in rooms here are put back and their rooms told `peer:join`.
//
// Nothing here is imported unless `redisUrl` is set: the default single
// process needs neither Redis nor these packages.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { createClient as CreateClient } from 'redis';
import type { NodeBus } from './relay.js';
import type { RoomMember } from './rooms.js';
import { DEFAULT_KEY_PREFIX, KEY_PREFIX_PATTERN, RedisRoomStore, type NodeMember, type RemovedMember, type RestoreResult } from './redis-store.js';

type RedisClient = ReturnType<typeof CreateClient>;
/** Stream entries as XREAD returns them: [id, [field, value, …]]. */
type Entries = [string, string[]][];

/** A node is presumed dead this long after its last heartbeat. */
export const DEFAULT_NODE_TTL_MS = 6000;
/** A Redis command that takes longer fails (the client gets `internal-error`); a stalled Redis must not stall requests forever. */
const COMMAND_TIMEOUT_MS = 3000;
/** How long startup waits for Redis before giving up. */
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export interface ClusterOptions {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://…` */
  url: string;
  /** Prefix of every key, stream and channel. Default `rtc:`. */
  keyPrefix?: string;
  /** Default 6000 ms; heartbeats every third of it. */
  nodeTtlMs?: number;
  connectTimeoutMs?: number;
  logger: Logger;
}

/** A connection of this node that is in a room, as needed to put its membership back. */
export interface LocalMembership {
  roomid: string;
  room: { maxParticipants: number; passwordHash: string | null; lobby?: boolean };
  member: RoomMember;
}

/** What the loop asks of (and tells) the server. */
export interface ClusterHooks {
  /** This node's connections that are in a room and have no request in progress. */
  memberships(): LocalMembership[];
  /** The membership recorded for this node has no matching idle connection here. */
  isStale(member: NodeMember): boolean;
  /** Members removed behind their rooms' backs (dead node, stale record): tell the rooms. */
  removed(list: RemovedMember[]): void;
  /** A membership was put back (`restored`), was there (`present`) or is held by a newer connection (`taken`). */
  restored(membership: LocalMembership, result: RestoreResult): void;
}

export interface Cluster {
  readonly nodeId: string;
  readonly store: RedisRoomStore;
  /** The other nodes, for the relay (relay.ts): this node's inbox and the others'. */
  readonly bus: NodeBus;
  /** The command connection to Redis is up. */
  readonly up: boolean;
  start(hooks: ClusterHooks): void;
  /** Stops the loop and removes this node's members (returned, for peer:leave) and heartbeat. */
  stop(): Promise<RemovedMember[]>;
  /** Closes the Redis connections (what is queued goes out first). */
  close(): Promise<void>;
}

/** `redis://user:secret@host:6379/0` -> `redis://host:6379/0`: never log credentials. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}

/** Connects to Redis (or throws after `connectTimeoutMs`) and registers this node. */
export async function connectCluster(options: ClusterOptions): Promise<Cluster> {
  const log = options.logger;
  const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const ttlMs = options.nodeTtlMs ?? DEFAULT_NODE_TTL_MS;
  if (!Number.isInteger(ttlMs) || ttlMs < 300 || ttlMs > 3_600_000) throw new TypeError('nodeTtl: an integer from 300 to 3600000 ms');
  if (!KEY_PREFIX_PATTERN.test(keyPrefix)) throw new TypeError('redisKeyPrefix: 1-64 characters of A-Z a-z 0-9 _ . : { } -');
  const heartbeatMs = Math.floor(ttlMs / 3);
  const where = redactRedisUrl(options.url);

  let redisModule: typeof import('redis');
  try {
    redisModule = await import('redis');
  } catch (err) {
    throw new Error(`redisUrl needs the package "redis" (${(err as Error).message})`);
  }

  const nodeId = randomUUID();
  // The command connection: room scripts and relays to other nodes' inboxes,
  // sent in call order (what keeps a member's messages behind its peer:join).
  // Without Redis, commands fail at once (no offline queue) or after
  // COMMAND_TIMEOUT_MS, so a room request gets `internal-error` instead of
  // waiting, and a relay to local sockets is not held back by its copy for the
  // other nodes.
  const client: RedisClient = redisModule.createClient({
    url: options.url,
    disableOfflineQueue: true,
    commandOptions: { timeout: COMMAND_TIMEOUT_MS },
    socket: { connectTimeout: 5000 },
    maintNotifications: 'disabled',
    disableClientInfo: true,
  });
  let reportedDown = false;
  let connectedOnce = false;
  /** Set once connected (the store forgets its loaded scripts on every reconnect). */
  let storeRef: RedisRoomStore | undefined;
  client.on('error', (err: Error) => {
    // Every failed reconnect attempt lands here: say it once per outage.
    if (!reportedDown) {
      if (connectedOnce) log.warn({ redis: where, err: err.message }, 'redis connection lost: room requests fail until it is back');
      else log.warn({ redis: where, err: err.message }, 'cannot reach redis yet; retrying');
    } else log.debug({ err: err.message }, 'redis still unreachable');
    reportedDown = true;
  });
  client.on('ready', () => {
    storeRef?.forgetScripts();
    if (reportedDown && connectedOnce) log.info({ redis: where }, 'redis connection restored');
    reportedDown = false;
    connectedOnce = true;
  });

  // The inbox reader: its XREAD blocks for seconds on purpose, so it has a
  // connection of its own, without a command timeout, and keeps node-redis's
  // offline queue (while Redis is away its next read waits instead of failing
  // at once and spinning).
  const reader = client.duplicate({ disableOfflineQueue: false, commandOptions: undefined }) as unknown as RedisClient;
  reader.on('error', () => {});
  const destroyAll = () => {
    reader.destroy();
    client.destroy();
  };
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const connecting = client.connect();
  connecting.catch(() => {});
  if (!(await within(connecting.then(() => true), connectTimeoutMs))) {
    destroyAll();
    throw new Error(`cannot reach Redis at ${where} within ${connectTimeoutMs} ms`);
  }

  const store = (storeRef = new RedisRoomStore(client as unknown as { sendCommand(args: string[]): Promise<unknown> }, { nodeId, keyPrefix }));
  let epoch: string;
  try {
    // Registered before serving: a node with members and no heartbeat would be
    // swept. Also the first script: a Redis that refuses them (a read-only
    // replica, an ACL without EVALSHA) fails the start here.
    epoch = (await store.heartbeat(ttlMs, randomUUID())).epoch;
    const connected = reader.connect();
    connected.catch(() => {});
    if (!(await within(connected.then(() => true), connectTimeoutMs))) throw new Error(`Redis at ${where} accepted one connection but not a second one`);
  } catch (err) {
    destroyAll();
    throw err;
  }
  log.info({ redis: where, node: nodeId, keyPrefix, nodeTtlMs: ttlMs }, 'shared mode: rooms in Redis');

  let hooks: ClusterHooks | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let reading = false;
  /** Since when every heartbeat went through; null while Redis is away. */
  let healthySince: number | null = Date.now();

  async function tick(): Promise<void> {
    const h = hooks!;
    let phase = 'heartbeat';
    try {
      const beat = await store.heartbeat(ttlMs, randomUUID());
      healthySince ??= Date.now();
      const lostData = beat.epoch !== epoch;
      const presumedDead = !beat.existed;
      epoch = beat.epoch;
      if (lostData || presumedDead) {
        phase = 'restore';
        const list = h.memberships();
        log.warn(
          { node: nodeId, reason: lostData ? 'redis lost its data' : 'this node was presumed dead', memberships: list.length },
          'putting this node\'s memberships back',
        );
        const results = await Promise.all(list.map((m) => store.restore(m.roomid, m.room, m.member)));
        list.forEach((m, i) => h.restored(m, results[i]!));
      }
      phase = 'reconcile';
      const mine = await store.nodeMembers();
      // Decided and sent in one synchronous pass: a request of the same
      // connection cannot slip in between the check and the removal.
      const stale = mine.filter((m) => h.isStale(m));
      const left = await Promise.all(stale.map((m) => store.leave(m.roomid, m.userid, m.connId)));
      const ghosts = stale.filter((_, i) => left[i]!.left).map(({ roomid, userid }) => ({ roomid, userid }));
      if (ghosts.length) {
        log.info({ count: ghosts.length }, 'removed memberships whose connection is gone');
        h.removed(ghosts);
      }
      // Only a node that has itself been in touch with Redis for a whole TTL
      // judges others: right after an outage every node's heartbeat looks
      // expired until each has had its turn to refresh it.
      if (Date.now() - healthySince >= ttlMs) {
        phase = 'sweep';
        const removed = await store.sweep(heartbeatMs);
        if (removed.length) {
          log.info({ count: removed.length }, 'removed the members of nodes whose heartbeat expired');
          h.removed(removed);
        }
      }
    } catch (err) {
      healthySince = null;
      log.debug({ err: (err as Error).message, phase }, 'cluster housekeeping failed; retrying');
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().finally(() => {
        running = undefined;
        schedule();
      });
    }, heartbeatMs);
    timer.unref();
  }

  /** Reads the inbox from its start (a fresh node id, a fresh stream) until close(). */
  async function readInbox(handler: (message: string) => void): Promise<void> {
    let last = '0';
    while (reading) {
      try {
        const reply = (await reader.sendCommand(['XREAD', 'COUNT', '100', 'BLOCK', '5000', 'STREAMS', store.inbox, last])) as Entries | Record<string, Entries> | null;
        // RESP3 answers a map of stream -> entries, RESP2 a list of [stream, entries].
        const entries = reply === null ? [] : Array.isArray(reply) ? ((reply[0] as unknown as [string, Entries] | undefined)?.[1] ?? []) : (Object.values(reply)[0] ?? []);
        for (const [id, fields] of entries) {
          last = id;
          try {
            handler(fields[1]!);
          } catch (err) {
            log.error({ err }, 'a message from another node failed');
          }
        }
      } catch (err) {
        if (!reading) return;
        log.debug({ err: (err as Error).message }, 'reading the inbox failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  return {
    nodeId,
    store,
    bus: {
      nodeId,
      route: (roomid, userid) => store.route(roomid, userid),
      send: (node, message) => store.send(node, message),
      post: (roomid, message) => store.post(roomid, message),
      read(handler) {
        reading = true;
        void readInbox(handler);
      },
    },
    get up() {
      return client.isReady;
    },
    start(h) {
      hooks = h;
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      try {
        return await store.drain();
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'could not remove this node\'s members from Redis; other nodes will once its heartbeat expires');
        return [];
      }
    },
    async close() {
      stopped = true;
      clearTimeout(timer);
      await running;
      reading = false;
      reader.destroy();
      // Graceful: what is queued (the last peer:leave publishes) goes out first.
      if (!(await within(client.close().then(() => true), 1000))) client.destroy();
    },
  };
}

/** Resolves with the promise's value, or false after `ms`. */
function within(promise: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.catch(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
