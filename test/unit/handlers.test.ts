// The server's request path without a network: handlers called with a context on a real MemoryRoomStore, the router, the gate's packet checks and the config.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { CLIENT_EVENTS, type Ack, type Permission } from '../../src/protocol.js';
import { resolveConfig } from '../../src/server/config.js';
import type { Connection } from '../../src/server/connections.js';
import { clientAddress, createGate } from '../../src/server/gate.js';
import type { HandlerContext, Session } from '../../src/server/handlers/context.js';
import { leaveRoom } from '../../src/server/handlers/rooms.js';
import type { ServerSocketData } from '../../src/server/io.js';
import { createMetrics } from '../../src/server/metrics.js';
import { hashPassword } from '../../src/server/password.js';
import { WorkLimiter } from '../../src/server/rate-limit.js';
import { ConnectionGuard, guardOf } from '../../src/server/engine-guard.js';
import type { Relay, ServerEventName } from '../../src/server/relay.js';
import { andThen, MemoryRoomStore, type RoomStore } from '../../src/server/rooms.js';
import { handlers, route, type AnyAck } from '../../src/server/router.js';

const log = pino({ level: 'silent' });
/** route()'s logger source, as a connection gives it. */
const requestLog = { log, debugging: false };

/** What a fake relay was asked to send, in order. */
interface Sent {
  to: string;
  event: ServerEventName | 'evict';
  payload?: unknown;
  except?: string;
}

/** One world: a real in-memory store and a relay that records instead of sending. */
function world(config: Partial<HandlerContext['config']> = {}) {
  const store = new MemoryRoomStore();
  const sent: Sent[] = [];
  const relay: Relay = {
    locate: (roomid, userid) => andThen(store.member(roomid, userid), (m) => m && { roomid, userid, connId: m.connId }),
    toMember: (t, event, payload) => void sent.push({ to: `conn:${t.connId}`, event, payload }),
    toConnection: (connId, event, payload) => void sent.push({ to: `conn:${connId}`, event, payload }),
    toRoom: (roomid, event, payload, except) => void sent.push({ to: `room:${roomid}`, event, payload, ...(except ? { except } : {}) }),
    evict: (connId, roomid) => void sent.push({ to: `conn:${connId}`, event: 'evict', payload: roomid }),
    expel: (connId, roomid, event, payload) => void sent.push({ to: `conn:${connId}`, event, payload: { roomid, ...payload } }),
    closeRoom: (roomid) => void sent.push({ to: `room:${roomid}`, event: 'evict' }),
  };
  const metrics = createMetrics(store, { defaultMetrics: false });
  const cfg = { defaultRoomSize: 8, maxRoomSize: 8, scryptCost: 1024, relayOnly: false, sfuRoomSize: 50, meshMax: 4, lobbyTimeoutMs: 60_000, removeBanMs: 60_000, ...config };
  let n = 0;
  /** A member's context: a connection that is up until `session.connected` is set false. */
  function member(userid: string, grant: { rooms?: string[]; permissions?: Permission[] } | null = null) {
    const data: ServerSocketData = {
      userid,
      extra: {},
      roomid: null,
      grant: grant && { rooms: grant.rooms ? new Set(grant.rooms) : '*', permissions: grant.permissions ?? ['open', 'publish', 'data'], expiresAt: Date.now() + 60_000 },
    };
    const rooms: string[] = [];
    const session: Session & { connected: boolean; rooms: string[] } = {
      id: `c${++n}-${userid}`,
      connected: true,
      data,
      rooms,
      joined: (room) => void rooms.push(room.roomid),
      left: (roomid) => void rooms.splice(rooms.indexOf(roomid), 1),
    };
    const ctx: HandlerContext = {
      session,
      store,
      relay,
      config: cfg,
      hashing: new WorkLimiter(1, 4),
      metrics,
      log,
      shared: false,
      closing: () => false,
      iceServersFor: () => [],
    };
    return { ctx, session };
  }
  return { store, sent, member };
}

function refusedWith(ack: Ack<object>, code: string): void {
  assert.equal(ack.ok, false, `expected ${code}, got ${JSON.stringify(ack)}`);
  if (!ack.ok) assert.equal(ack.error.code, code);
}

async function roomOf(store: RoomStore, roomid: string) {
  return await store.get(roomid);
}

describe('request handlers (no sockets)', () => {
  it('open then join: the joiner gets the opener as peer, the room hears peer:join, both sessions are in', async () => {
    const w = world();
    const a = w.member('alice');
    const b = w.member('bob');
    const opened = await handlers['room:open'](a.ctx, { roomid: 'r1' });
    assert.equal(opened.ok && opened.isInitiator, true);
    w.sent.length = 0;
    const joined = await handlers['room:join'](b.ctx, { roomid: 'r1', extra: { name: 'Bob' } });
    assert.ok(joined.ok && !('waiting' in joined));
    assert.deepEqual(joined.peers, [{ userid: 'alice', extra: {}, role: 'host' }]);
    assert.equal(joined.isInitiator, false);
    assert.deepEqual(w.sent, [{ to: 'room:r1', event: 'peer:join', payload: { userid: 'bob', extra: { name: 'Bob' }, role: 'participant' }, except: b.session.id }]);
    assert.deepEqual([a.session.rooms, b.session.rooms], [['r1'], ['r1']]);
    assert.equal(b.session.data.roomid, 'r1');
    assert.equal((await roomOf(w.store, 'r1'))?.size, 2);
  });

  it('join of a full room: room-full, nothing relayed, the joiner stays out', async () => {
    const w = world();
    await handlers['room:open'](w.member('a').ctx, { roomid: 'small', maxParticipants: 2 });
    assert.ok((await handlers['room:join'](w.member('b').ctx, { roomid: 'small' })).ok);
    w.sent.length = 0;
    const c = w.member('c');
    refusedWith(await handlers['room:join'](c.ctx, { roomid: 'small' }), 'room-full');
    assert.deepEqual(w.sent, []);
    assert.equal(c.session.data.roomid, null);
    assert.equal((await roomOf(w.store, 'small'))?.size, 2);
  });

  it('passwords: none or a wrong one is invalid-password, the right one enters', async () => {
    const w = world();
    assert.ok((await handlers['room:open'](w.member('a').ctx, { roomid: 'locked', password: 'secret' })).ok);
    assert.equal((await roomOf(w.store, 'locked'))?.passwordHash?.includes('secret'), false, 'only a hash is stored');
    const b = w.member('b');
    refusedWith(await handlers['room:join'](b.ctx, { roomid: 'locked' }), 'invalid-password');
    refusedWith(await handlers['room:join'](b.ctx, { roomid: 'locked', password: 'wrong' }), 'invalid-password');
    assert.equal(b.session.data.roomid, null);
    assert.ok((await handlers['room:join'](b.ctx, { roomid: 'locked', password: 'secret' })).ok);
  });

  it('open of an existing room, join of a missing one, a second room while in one', async () => {
    const w = world();
    const a = w.member('a');
    await w.store.create({ roomid: 'there', maxParticipants: 4, passwordHash: await hashPassword('x', 1024) }, { userid: 'z', connId: 'cz', extra: {} });
    refusedWith(await handlers['room:open'](a.ctx, { roomid: 'there' }), 'room-exists');
    refusedWith(await handlers['room:join'](a.ctx, { roomid: 'nowhere' }), 'room-not-found');
    assert.ok((await handlers['room:open-or-join'](a.ctx, { roomid: 'new' })).ok);
    refusedWith(await handlers['room:open-or-join'](a.ctx, { roomid: 'other' }), 'already-in-room');
  });

  it('signal: relayed to the target member from the sender; a target outside the room or oneself is peer-not-found', async () => {
    const w = world();
    const a = w.member('a');
    const b = w.member('b');
    const outsider = w.member('outsider');
    await handlers['room:open'](a.ctx, { roomid: 'call' });
    await handlers['room:join'](b.ctx, { roomid: 'call' });
    await handlers['room:open'](outsider.ctx, { roomid: 'elsewhere' });
    w.sent.length = 0;
    const data = { description: { type: 'offer' as const, sdp: 'v=0\r\n' } };
    refusedWith(await handlers.signal(a.ctx, { to: 'outsider', data }), 'peer-not-found');
    refusedWith(await handlers.signal(a.ctx, { to: 'a', data }), 'peer-not-found');
    refusedWith(await handlers.signal(a.ctx, { to: 'nobody', data }), 'peer-not-found');
    assert.deepEqual(w.sent, []);
    assert.ok((await handlers.signal(a.ctx, { to: 'b', data })).ok);
    assert.deepEqual(w.sent, [{ to: `conn:${b.session.id}`, event: 'signal', payload: { from: 'a', data } }]);
  });

  it('signal out of a room is not-in-room; relay-only refuses a host candidate; no publish permission refuses streams', async () => {
    const w = world({ relayOnly: true });
    const a = w.member('a', { permissions: ['open', 'data'] });
    const b = w.member('b');
    const host = { candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host', sdpMid: '0', sdpMLineIndex: 0 };
    refusedWith(await handlers.signal(a.ctx, { to: 'b', data: { candidate: host } }), 'not-in-room');
    await handlers['room:open'](a.ctx, { roomid: 'relay' });
    await handlers['room:join'](b.ctx, { roomid: 'relay' });
    refusedWith(await handlers.signal(b.ctx, { to: 'a', data: { candidate: host } }), 'forbidden');
    refusedWith(await handlers.signal(a.ctx, { to: 'b', data: { streams: [{ streamid: 's', kind: 'camera' }] } }), 'forbidden');
    const relayCandidate = { ...host, candidate: 'candidate:2 1 udp 41885439 192.0.2.9 3478 typ relay raddr 0.0.0.0 rport 0' };
    assert.ok((await handlers.signal(b.ctx, { to: 'a', data: { candidate: relayCandidate } })).ok);
  });

  it('custom: not-in-room while in no room; to the room but the sender; forbidden without the data permission', async () => {
    const w = world();
    const a = w.member('a');
    const mute = w.member('mute', { permissions: ['open', 'publish'] });
    refusedWith(await handlers.custom(a.ctx, { event: 'chat', data: 'hi' }), 'not-in-room');
    await handlers['room:open'](a.ctx, { roomid: 'talk' });
    await handlers['room:join'](mute.ctx, { roomid: 'talk' });
    w.sent.length = 0;
    assert.ok((await handlers.custom(a.ctx, { event: 'chat', data: 'hi' })).ok);
    assert.deepEqual(w.sent, [{ to: 'room:talk', event: 'custom', payload: { from: 'a', event: 'chat', data: 'hi' }, except: a.session.id }]);
    refusedWith(await handlers.custom(mute.ctx, { event: 'chat' }), 'forbidden');
    refusedWith(await handlers.custom(a.ctx, { event: 'chat', to: 'ghost' }), 'peer-not-found');
  });

  it('room tokens: a room outside the grant is unauthorized, open without the open permission is forbidden', async () => {
    const w = world();
    const limited = w.member('l', { rooms: ['mine'], permissions: ['publish', 'data'] });
    refusedWith(await handlers['room:join'](limited.ctx, { roomid: 'yours' }), 'unauthorized');
    refusedWith(await handlers['room:presence'](limited.ctx, { roomid: 'yours' }), 'unauthorized');
    refusedWith(await handlers['room:open'](limited.ctx, { roomid: 'mine' }), 'forbidden');
    refusedWith(await handlers['room:open-or-join'](limited.ctx, { roomid: 'mine' }), 'forbidden');
    const presence = await handlers['room:presence'](limited.ctx, { roomid: 'mine' });
    assert.deepEqual(presence, { ok: true, exists: false, isFull: false, isPasswordProtected: false });
  });

  it('leave and disconnect: the room hears why, the store forgets, the last one out deletes the room', async () => {
    const w = world();
    const a = w.member('a');
    const b = w.member('b');
    await handlers['room:open'](a.ctx, { roomid: 'bye' });
    await handlers['room:join'](b.ctx, { roomid: 'bye' });
    w.sent.length = 0;
    assert.deepEqual(await handlers['room:leave'](a.ctx, {}), { ok: true });
    b.session.connected = false;
    await leaveRoom(b.ctx, 'disconnect');
    assert.deepEqual(
      w.sent.map((s) => s.payload),
      [
        { userid: 'a', reason: 'leave' },
        { userid: 'b', reason: 'disconnect' },
      ],
    );
    assert.deepEqual([a.session.rooms, b.session.rooms], [[], []]);
    assert.equal(await w.store.get('bye'), undefined);
    assert.deepEqual(await handlers['room:leave'](a.ctx, {}), { ok: true }, 'leaving twice is fine');
  });

  it('a second connection of the same userid replaces the first: evicted, no leave heard in the same room', async () => {
    const w = world();
    const first = w.member('same');
    const second = w.member('same');
    await handlers['room:open'](w.member('host').ctx, { roomid: 'swap' });
    await handlers['room:join'](first.ctx, { roomid: 'swap' });
    w.sent.length = 0;
    assert.ok((await handlers['room:join'](second.ctx, { roomid: 'swap' })).ok);
    assert.deepEqual(w.sent[0], { to: `conn:${first.session.id}`, event: 'evict', payload: 'swap' });
    assert.equal(w.sent.filter((s) => s.event === 'peer:leave').length, 0);
    assert.equal((await w.store.member('swap', 'same'))?.connId, second.session.id);
  });

  it('a join that loses its connection while entering is undone and refused', async () => {
    const w = world();
    await handlers['room:open'](w.member('a').ctx, { roomid: 'gone', password: 'pw' });
    const b = w.member('b');
    const pending = handlers['room:join'](b.ctx, { roomid: 'gone', password: 'pw' });
    b.session.connected = false; // while the password is being checked
    refusedWith(await pending, 'not-in-room');
    assert.equal((await w.store.get('gone'))?.size, 1);
  });
});

describe('host handlers (no sockets)', () => {
  it('the lobby: the joiner waits and the host is knocked; admitted, the same join enters', async () => {
    const w = world();
    const h = w.member('h');
    const p = w.member('p');
    await handlers['room:open'](h.ctx, { roomid: 'r', lobby: true });
    w.sent.length = 0;
    const wait = await handlers['room:join'](p.ctx, { roomid: 'r', extra: { n: 1 } });
    assert.ok(wait.ok && 'waiting' in wait && wait.hostPresent);
    assert.deepEqual(w.sent, [{ to: `conn:${h.session.id}`, event: 'lobby:knock', payload: { userid: 'p', extra: { n: 1 } } }]);
    assert.deepEqual([p.session.data.roomid, p.session.data.waiting, p.session.rooms], [null, 'r', []]);
    w.sent.length = 0;
    assert.ok((await handlers['lobby:admit'](h.ctx, { userid: 'p' })).ok);
    assert.deepEqual(w.sent, [
      { to: `conn:${p.session.id}`, event: 'lobby:admitted', payload: { roomid: 'r' } },
      { to: `conn:${h.session.id}`, event: 'lobby:resolved', payload: { userid: 'p', outcome: 'admitted' } },
    ]);
    const entered = await handlers['room:join'](p.ctx, { roomid: 'r', extra: { n: 1 } });
    assert.ok(entered.ok && !('waiting' in entered));
    assert.deepEqual([p.session.data.roomid, p.session.data.waiting], ['r', null]);
  });

  it('a participant is forbidden every host request; nothing is sent', async () => {
    const w = world();
    const h = w.member('h');
    const p = w.member('p');
    await handlers['room:open'](h.ctx, { roomid: 'r' });
    await handlers['room:join'](p.ctx, { roomid: 'r' });
    w.sent.length = 0;
    refusedWith(await handlers['host:make'](p.ctx, { userid: 'p' }), 'forbidden');
    refusedWith(await handlers['member:remove'](p.ctx, { userid: 'h' }), 'forbidden');
    refusedWith(await handlers['member:mute'](p.ctx, { userid: 'h', kind: 'audio' }), 'forbidden');
    refusedWith(await handlers['room:lock'](p.ctx, { locked: true }), 'forbidden');
    refusedWith(await handlers['room:end'](p.ctx, {}), 'forbidden');
    assert.deepEqual(w.sent, []);
    assert.equal((await w.store.member('r', 'p'))?.role, 'participant');
  });

  it('remove expels the member (room:removed, then closed) and tells the room; end closes the room, the host stays connected', async () => {
    const w = world({ removeBanMs: 5000 });
    const h = w.member('h');
    const p = w.member('p');
    const q = w.member('q');
    await handlers['room:open'](h.ctx, { roomid: 'r' });
    await handlers['room:join'](p.ctx, { roomid: 'r' });
    await handlers['room:join'](q.ctx, { roomid: 'r' });
    w.sent.length = 0;
    assert.ok((await handlers['member:remove'](h.ctx, { userid: 'p' })).ok);
    assert.deepEqual(w.sent, [
      { to: `conn:${p.session.id}`, event: 'room:removed', payload: { roomid: 'r', by: 'h', banMs: 5000 } },
      { to: 'room:r', event: 'peer:leave', payload: { userid: 'p', reason: 'removed' } },
    ]);
    w.sent.length = 0;
    assert.ok((await handlers['room:end'](h.ctx, {})).ok);
    assert.deepEqual(w.sent, [
      { to: 'room:r', event: 'room:ended', payload: { by: 'h' } },
      { to: 'room:r', event: 'evict' },
    ]);
    assert.deepEqual([h.session.data.roomid, h.session.rooms], [null, []]);
    assert.equal(await w.store.get('r'), undefined);
  });
});

describe('router (no sockets)', () => {
  it('has one handler per client request', () => {
    assert.deepEqual(Object.keys(handlers).sort(), [...CLIENT_EVENTS].sort());
  });

  it('acks a malformed payload with invalid-request and never calls the handler; a handler error is internal-error', async () => {
    const w = world();
    const a = w.member('a');
    const acks: Ack<object>[] = [];
    const ack: AnyAck = (r) => void acks.push(r);
    const metrics = createMetrics(w.store, { defaultMetrics: false });
    await route(a.ctx, 'room:join', 'not an object', ack, requestLog, metrics);
    await route(a.ctx, 'room:join', { roomid: '../etc' }, ack, requestLog, metrics);
    await route(a.ctx, 'signal', { to: 'b', data: {} }, ack, requestLog, metrics);
    class DownStore extends MemoryRoomStore {
      override get(): never {
        throw new Error('store down');
      }
    }
    const broken: HandlerContext = { ...a.ctx, store: new DownStore() };
    await route(broken, 'room:presence', { roomid: 'x' }, ack, requestLog, metrics);
    assert.deepEqual(
      acks.map((r) => (r.ok ? 'ok' : r.error.code)),
      ['invalid-request', 'invalid-request', 'invalid-request', 'internal-error'],
    );
    assert.equal(a.session.data.roomid, null);
  });

  it('drops a request of a closed connection, except room:leave', async () => {
    const w = world();
    const a = w.member('a');
    await handlers['room:open'](a.ctx, { roomid: 'late' });
    a.session.connected = false;
    const acks: Ack<object>[] = [];
    const metrics = createMetrics(w.store, { defaultMetrics: false });
    await route(a.ctx, 'custom', { event: 'x' }, (r) => void acks.push(r), requestLog, metrics);
    await route(a.ctx, 'room:leave', {}, (r) => void acks.push(r), requestLog, metrics);
    assert.deepEqual(acks, [{ ok: true }]);
    assert.equal(await w.store.get('late'), undefined);
  });
});

/** An engine.io connection as the guard sees it: events in, a record of how it was closed. */
class FakeEngineSocket extends EventEmitter {
  readyState = 'open';
  closedWith: boolean | undefined;
  terminated = false;
  readonly request = { headers: {}, socket: { remoteAddress: '::ffff:10.0.0.7' } };
  constructor(readonly transport: { name: string; writable?: boolean; socket?: { bufferedAmount?: number; terminate?(): void } } = { name: 'polling' }) {
    super();
    if (transport.name === 'websocket') transport.socket ??= { bufferedAmount: 0, terminate: () => void (this.terminated = true) };
  }
  close(discard?: boolean): void {
    this.closedWith = discard === true;
    this.readyState = 'closed';
    this.emit('close');
  }
}

describe('gate: packet checks (no sockets)', () => {
  function gateAndConnection(burst = 100) {
    const store = new MemoryRoomStore();
    const metrics = createMetrics(store, { defaultMetrics: false });
    const config = resolveConfig({ logLevel: 'silent', rateLimit: { burst, perSecond: 1, maxViolations: 1000 } });
    const gate = createGate({ config, metrics, log, closing: () => false });
    const engine = new FakeEngineSocket();
    gate.engineConnection(engine as never);
    const socket = { connected: true, conn: engine, disconnect() {} };
    const conn = { socket, log, guard: guardOf(socket), pending: 0 } as unknown as Connection;
    /** A packet as engine.io hands it over, then to socket.io's middleware. */
    const admit = (packet: unknown[]) => {
      engine.emit('packet', { type: 'message', data: '21[]' });
      return gate.admit(conn, packet);
    };
    return { gate, conn, config, admit };
  }
  const acked = () => {
    const got: Ack<object>[] = [];
    return { got, ack: (r: Ack<object>) => void got.push(r) };
  };

  it('admits a known request with one payload and an ack; refuses the rest with the reason', () => {
    const { conn, config, admit } = gateAndConnection();
    const a = acked();
    assert.equal(admit(['room:join', { roomid: 'r' }, a.ack]), true);
    assert.equal(admit(['nope', {}, a.ack]), false);
    assert.equal(admit(['room:join', {}]), false);
    assert.equal(admit(['room:join', {}, {}, a.ack]), false);
    (conn as { pending: number }).pending = config.maxPending;
    assert.equal(admit(['room:join', { roomid: 'r' }, a.ack]), false);
    assert.deepEqual(
      a.got.map((r) => (r.ok ? 'ok' : `${r.error.code}: ${r.error.message}`)),
      [
        'invalid-request: unknown event',
        'invalid-request: expected exactly one payload and an ack callback',
        'rate-limited: too many requests in flight',
      ],
    );
  });

  it('refuses beyond the rate limit burst', () => {
    const { admit } = gateAndConnection(3);
    const a = acked();
    const admitted = Array.from({ length: 5 }, () => admit(['room:presence', { roomid: 'r' }, a.ack]));
    assert.deepEqual(admitted, [true, true, true, false, false]);
    assert.deepEqual(a.got.map((r) => !r.ok && r.error.code), ['rate-limited', 'rate-limited']);
  });

  it('gives each event the decision made when it arrived, when engine.io counts ahead of socket.io', () => {
    const { gate, conn } = gateAndConnection(3);
    const engine = (conn.socket as unknown as { conn: FakeEngineSocket }).conn;
    // socket.io dispatches a tick after engine.io hands a packet over: five arrive
    // (and are counted) before the gate sees the first; noops and pongs are counted but never gated.
    engine.emit('packet', { type: 'message', data: '2["room:presence",{}]' });
    engine.emit('packet', { type: 'message', data: '23["room:presence",{}]' });
    engine.emit('packet', { type: 'noop' });
    engine.emit('packet', { type: 'message', data: '2/other,5["x",{}]' });
    // The default namespace written out: the same socket, so it counts too.
    engine.emit('packet', { type: 'message', data: '2/,5["room:presence",{}]' });
    const a = acked();
    const admitted = Array.from({ length: 3 }, () => gate.admit(conn, ['room:presence', { roomid: 'r' }, a.ack]));
    assert.deepEqual(admitted, [true, true, false], 'the third event came after the burst of 3 was spent');
    // An event the guard never counted (the gate is caught up): admitted, not given a stale decision.
    assert.equal(gate.admit(conn, ['room:presence', { roomid: 'r' }, a.ack]), true);
    assert.deepEqual(a.got.map((r) => !r.ok && r.error.code), ['rate-limited']);
  });

  it('counts connections per address and refuses beyond the cap; a closed one frees its place', () => {
    const store = new MemoryRoomStore();
    const metrics = createMetrics(store, { defaultMetrics: false });
    const config = resolveConfig({ logLevel: 'silent', maxConnectionsPerIp: 2 });
    const gate = createGate({ config, metrics, log, closing: () => false });
    const req = { headers: {}, socket: { remoteAddress: '::ffff:10.0.0.7' } };
    const allowed = () => {
      let ok = false;
      gate.allowRequest(req as never, (_err, success) => (ok = success));
      return ok;
    };
    const open = () => {
      const s = new FakeEngineSocket();
      gate.engineConnection(s as never);
      return s;
    };
    assert.equal(allowed(), true);
    const first = open();
    assert.equal(allowed(), true);
    open();
    assert.equal(allowed(), false);
    first.close();
    assert.equal(allowed(), true);
  });

  it('takes the address from X-Forwarded-For only behind a trusted proxy, and then its last entry', () => {
    const req = { headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.9' }, socket: { remoteAddress: '127.0.0.1' } };
    assert.equal(clientAddress(req as never, false), '127.0.0.1');
    assert.equal(clientAddress(req as never, true), '203.0.113.9');
  });
});

describe('connection guard (no sockets)', () => {
  const options = { maxBufferedBytes: 1000, rateLimit: { burst: 10, perSecond: 1, maxViolations: 5 } };
  function guarded(transport?: ConstructorParameters<typeof FakeEngineSocket>[0]) {
    const engine = new FakeEngineSocket(transport);
    const seen: string[] = [];
    const guard = new ConnectionGuard(engine, options, { violation: (reason) => void seen.push(reason), flood: () => void seen.push('flood') });
    return { engine, seen, guard };
  }

  it('a pong must answer a ping', () => {
    const { engine, seen } = guarded();
    engine.emit('packetCreate', { type: 'ping' });
    engine.emit('packet', { type: 'pong' });
    assert.deepEqual(seen, []);
    engine.emit('packet', { type: 'pong' });
    assert.deepEqual(seen, ['unsolicited-pong']);
    assert.equal(engine.closedWith, true, 'closed at once, queued packets dropped');
  });

  it('ACKs, binary events and binary frames close the connection; events pass', () => {
    for (const [data, reason] of [
      ['31["x"]', 'unsolicited-ack'],
      ['51-["custom",{}]', 'binary'],
      ['6-1[{}]', 'binary'],
      [Buffer.alloc(4), 'binary'],
    ] as const) {
      const { engine, seen } = guarded();
      engine.emit('packet', { type: 'message', data: '42["room:presence",{}]' });
      engine.emit('packet', { type: 'message', data });
      assert.deepEqual(seen, [reason], String(data));
    }
  });

  it('every packet counts against the rate limit: a flood of noops is closed', () => {
    const { engine, seen } = guarded();
    for (let i = 0; i < 20; i++) engine.emit('packet', { type: 'noop' });
    assert.deepEqual(seen, ['flood']);
    assert.equal(engine.closedWith, true);
  });

  it('what waits for a poll is capped; a flush hands it to the transport', () => {
    const { engine, seen, guard } = guarded();
    engine.emit('packetCreate', { type: 'message', data: 'x'.repeat(600) });
    engine.emit('flush', [{ type: 'message', data: 'x'.repeat(600) }]);
    engine.emit('packetCreate', { type: 'message', data: 'x'.repeat(600) });
    assert.equal(guard.bufferedBytes, 600);
    assert.deepEqual(seen, []);
    engine.emit('packetCreate', { type: 'message', data: 'x'.repeat(600) });
    assert.deepEqual(seen, ['slow-reader']);
  });

  it('a packet for a free transport with nothing waiting is written at once: nothing is held, whatever its size', () => {
    const transport = { name: 'websocket', writable: true, socket: { bufferedAmount: 0, terminate() {} } };
    const { engine, seen, guard } = guarded(transport);
    engine.emit('packetCreate', { type: 'message', data: 'x'.repeat(5000) });
    engine.emit('flush', [{ type: 'message', data: 'x'.repeat(5000) }]);
    assert.deepEqual(seen, []);
    // The transport is busy with that batch (the client reads slowly): what follows waits and counts, with the socket's unsent bytes.
    transport.writable = false;
    transport.socket.bufferedAmount = 900;
    engine.emit('packetCreate', { type: 'message', data: 'x'.repeat(50) });
    assert.equal(guard.bufferedBytes, 950);
    assert.deepEqual(seen, []);
    engine.emit('packetCreate', { type: 'message', data: 'x'.repeat(60) });
    assert.deepEqual(seen, ['slow-reader']);
  });

  it('over websocket the socket\'s unsent bytes count too, and the socket is terminated', () => {
    const socket = { bufferedAmount: 900, terminate() {} };
    const { engine, seen } = guarded({ name: 'websocket', socket });
    let terminated = false;
    socket.terminate = () => void (terminated = true);
    engine.emit('packetCreate', { type: 'message', data: 'x'.repeat(200) });
    assert.deepEqual(seen, ['slow-reader']);
    assert.equal(terminated, true);
  });
});

describe('config (no sockets)', () => {
  it('fills in defaults and refuses contradictions with the option named', () => {
    const c = resolveConfig({ logLevel: 'silent' });
    assert.deepEqual([c.port, c.host, c.defaultRoomSize, c.maxRoomSize, c.serveStatic, c.attached, c.redis], [9001, '127.0.0.1', 8, 8, true, false, null]);
    assert.throws(() => resolveConfig({ logLevel: 'silent', defaultRoomSize: 9, maxRoomSize: 4 }), /defaultRoomSize \(9\) exceeds maxRoomSize \(4\)/);
    assert.throws(() => resolveConfig({ logLevel: 'silent', port: 70000 }), /port must be an integer/);
    assert.throws(() => resolveConfig({ logLevel: 'silent', token: 't', tokenSecret: 'x'.repeat(32) }), /exclude each other/);
    assert.throws(() => resolveConfig({ logLevel: 'silent', relayOnly: true }), /relayOnly needs a TURN server/);
    assert.throws(() => resolveConfig({ logLevel: 'silent', redisUrl: 'http://x' }), /redisUrl/);
    assert.equal(resolveConfig({ logLevel: 'silent', maxRoomSize: 4 }).defaultRoomSize, 4);
  });
});
