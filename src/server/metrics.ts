// Prometheus metrics of one server: connections, relayed and refused messages, handshakes refused, rooms opened.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { RoomStore } from './rooms.js';

export interface Metrics {
  registry: Registry;
  connections: Counter;
  sockets: Gauge;
  relayed: Counter<'type'>;
  /** `relayed.inc({ type })` for the hot paths: a plain count, added to the counter when it is read. */
  countRelayed(type: RelayedType): void;
  rejected: Counter<'reason'>;
  handshakesRejected: Counter<'reason'>;
  rateLimitDisconnects: Counter;
  protocolDisconnects: Counter<'reason'>;
  roomsOpened: Counter;
}

export type RelayedType = 'signal' | 'custom' | 'sfu' | 'peer:update';

/** One registry per server, so several servers in one process do not collide. */
export function createMetrics(store: RoomStore, options: { defaultMetrics: boolean; redisUp?: () => boolean }): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'rtc_process_' });
  const registers = [registry];
  // prom-client's inc() with a label builds a key string and checks the labels
  // on every call; a relayed signal only bumps a number here.
  const unread: Record<RelayedType, number> = { signal: 0, custom: 0, sfu: 0, 'peer:update': 0 };
  const m: Metrics = {
    registry,
    connections: new Counter({ name: 'rtc_connections_total', help: 'Socket connections accepted', registers }),
    sockets: new Gauge({ name: 'rtc_sockets', help: 'Sockets connected now', registers }),
    relayed: new Counter({
      name: 'rtc_messages_relayed_total',
      help: 'Messages relayed to members of a room, by type',
      labelNames: ['type'],
      registers,
      collect() {
        for (const type of Object.keys(unread) as RelayedType[]) {
          if (unread[type]) this.inc({ type }, unread[type]);
          unread[type] = 0;
        }
      },
    }),
    countRelayed(type) {
      unread[type]++;
    },
    rejected: new Counter({
      name: 'rtc_messages_rejected_total',
      help: 'Client messages refused, by reason (an error code, unknown-event or missing-ack)',
      labelNames: ['reason'],
      registers,
    }),
    handshakesRejected: new Counter({
      name: 'rtc_handshakes_rejected_total',
      help: 'Connections refused at the handshake, by reason',
      labelNames: ['reason'],
      registers,
    }),
    rateLimitDisconnects: new Counter({
      name: 'rtc_rate_limit_disconnects_total',
      help: 'Sockets disconnected for flooding',
      registers,
    }),
    protocolDisconnects: new Counter({
      name: 'rtc_protocol_disconnects_total',
      help: 'Connections closed by the connection guard, by reason (slow-reader, unsolicited-pong, unsolicited-ack, binary)',
      labelNames: ['reason'],
      registers,
    }),
    roomsOpened: new Counter({ name: 'rtc_rooms_opened_total', help: 'Rooms created', registers }),
  };
  const storeGauges = [
    ['rtc_rooms', 'Rooms open now', 'rooms'],
    ['rtc_room_members', 'Members in all rooms now', 'members'],
  ] as const;
  for (const [name, help, key] of storeGauges) {
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        const stats = await statsOf(store);
        if (stats) this.set(stats[key]);
      },
    });
  }
  if (options.redisUp) {
    const redisUp = options.redisUp;
    new Gauge({
      name: 'rtc_redis_up',
      help: 'Shared mode: 1 while this node is connected to Redis',
      registers,
      collect() {
        this.set(redisUp() ? 1 : 0);
      },
    });
  }
  return m;
}

/** A shared store that cannot be reached leaves the gauges as they were (and /metrics working). */
async function statsOf(store: RoomStore): Promise<{ rooms: number; members: number } | null> {
  try {
    return await store.stats();
  } catch {
    return null;
  }
}
