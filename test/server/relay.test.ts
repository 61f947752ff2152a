// signal and custom: relayed only inside one room, with the sender stamped by the server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CustomMessage, SignalMessage } from '../../src/protocol.js';
import { pino } from 'pino';
import type { SignalingServer } from '../../src/server/index.js';
import { connectAll, flush, metric, next, ok, record, refused, startServer } from './helpers.js';
import { RawClient } from './raw-eio.js';

const offer = { description: { type: 'offer', sdp: 'v=0\r\n' } };

describe('signal', () => {
  it('is relayed to `to` only, as { from, data }', async () => {
    const server = await startServer();
    const [a, b, c] = await connectAll(server, ['a', 'b', 'c']);
    await ok(a!, 'room:open', { roomid: 'r' });
    await ok(b!, 'room:join', { roomid: 'r' });
    await ok(c!, 'room:join', { roomid: 'r' });
    const atB = next<SignalMessage>(b!, 'signal');
    const atC = record(c!, 'signal');
    const atA = record(a!, 'signal');
    assert.deepEqual(await ok(a!, 'signal', { to: 'b', data: { ...offer, session: 's1', gen: 3 } }), { ok: true });
    assert.deepEqual(await atB, { from: 'a', data: { ...offer, session: 's1', gen: 3 } });
    await flush(c!);
    await flush(a!);
    assert.deepEqual(atC, []);
    assert.deepEqual(atA, []);
    assert.equal(await metric(server, 'rtc_messages_relayed_total', 'type="signal"'), 1);
  });

  it('carries candidates, end-of-candidates and stream descriptions', async () => {
    const server = await startServer();
    const [a, b] = await connectAll(server, ['a', 'b']);
    await ok(a!, 'room:open', { roomid: 'r' });
    await ok(b!, 'room:join', { roomid: 'r' });
    const got = record<SignalMessage>(b!, 'signal');
    const candidate = { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'abcd' };
    const datas = [
      { candidate },
      { candidate: { candidate: '', sdpMid: null, sdpMLineIndex: null } },
      { candidate: null },
      { streams: [{ streamid: 'cam', kind: 'camera', audioMuted: false, videoMuted: true }, { streamid: 'scr', kind: 'screen' }] },
      { description: { type: 'answer', sdp: 'v=0' }, streams: [] },
      { description: { type: 'rollback', sdp: '' } },
    ];
    for (const data of datas) await ok(a!, 'signal', { to: 'b', data });
    await flush(b!);
    assert.deepEqual(
      got.map((m) => m.data),
      datas,
    );
  });

  it('a forged sender is overwritten, and unknown keys are stripped', async () => {
    const server = await startServer();
    const [a, b] = await connectAll(server, ['a', 'b']);
    await ok(a!, 'room:open', { roomid: 'r' });
    await ok(b!, 'room:join', { roomid: 'r' });
    const atB = next<SignalMessage>(b!, 'signal');
    await ok(a!, 'signal', { to: 'b', from: 'mallory', data: { ...offer, from: 'mallory', evil: 1 } });
    assert.deepEqual(await atB, { from: 'a', data: offer });
    const custom = next<CustomMessage>(b!, 'custom');
    await ok(a!, 'custom', { event: 'howdy', data: 'hello', from: 'mallory' });
    assert.deepEqual(await custom, { from: 'a', event: 'howdy', data: 'hello' });
  });

  it('is refused outside a room (not-in-room), to strangers and to oneself (peer-not-found)', async () => {
    const server = await startServer();
    const [a, b] = await connectAll(server, ['a', 'b']);
    await refused(a!, 'signal', { to: 'b', data: offer }, 'not-in-room');
    await ok(a!, 'room:open', { roomid: 'r' });
    await refused(a!, 'signal', { to: 'b', data: offer }, 'peer-not-found');
    await refused(a!, 'signal', { to: 'a', data: offer }, 'peer-not-found');
    await refused(a!, 'signal', { to: 'nobody', data: offer }, 'peer-not-found');
    void b;
  });

  it('validates data: one of description/candidate/streams, types and limits', async () => {
    const server = await startServer();
    const [a, b] = await connectAll(server, ['a', 'b']);
    await ok(a!, 'room:open', { roomid: 'r' });
    await ok(b!, 'room:join', { roomid: 'r' });
    const got = record(b!, 'signal');
    const bad: unknown[] = [
      {},
      { session: 's' },
      { description: { type: 'bogus', sdp: 'v=0' } },
      { description: { type: 'offer' } },
      { description: { type: 'offer', sdp: 'x'.repeat(48 * 1024 + 1) } },
      { candidate: { candidate: 'x'.repeat(1025) } },
      { candidate: { candidate: 'c', sdpMLineIndex: -1 } },
      { candidate: 'candidate:1' },
      { streams: [{ streamid: 's', kind: 'hologram' }] },
      { streams: Array.from({ length: 17 }, (_, i) => ({ streamid: `s${i}`, kind: 'audio' })) },
      { streams: [{ streamid: 'x'.repeat(65), kind: 'audio' }] },
      { ...offer, gen: -1 },
      { ...offer, gen: 1.5 },
      { ...offer, session: 'x'.repeat(65) },
      'offer',
      null,
    ];
    for (const data of bad) await refused(a!, 'signal', { to: 'b', data }, 'invalid-request');
    await refused(a!, 'signal', { to: 'b' }, 'invalid-request');
    await refused(a!, 'signal', { to: '../b', data: offer }, 'invalid-request');
    // The largest allowed SDP passes.
    await ok(a!, 'signal', { to: 'b', data: { description: { type: 'offer', sdp: 'x'.repeat(48 * 1024) } } });
    await flush(b!);
    assert.equal(got.length, 1);
  });
});

describe('custom', () => {
  it('goes to the rest of the room, or to one member with `to`', async () => {
    const server = await startServer();
    const [a, b, c] = await connectAll(server, ['a', 'b', 'c']);
    await ok(a!, 'room:open', { roomid: 'r' });
    await ok(b!, 'room:join', { roomid: 'r' });
    await ok(c!, 'room:join', { roomid: 'r' });
    const [atA, atB, atC] = [record<CustomMessage>(a!, 'custom'), record<CustomMessage>(b!, 'custom'), record<CustomMessage>(c!, 'custom')];
    await ok(a!, 'custom', { event: 'howdy', data: 'hello' });
    await ok(b!, 'custom', { event: 'dm', data: { n: 1 }, to: 'c' });
    await ok(c!, 'custom', { event: 'nodata' });
    await Promise.all([flush(a!), flush(b!), flush(c!)]);
    assert.deepEqual(atA, [{ from: 'c', event: 'nodata', data: null }]);
    assert.deepEqual(atB, [
      { from: 'a', event: 'howdy', data: 'hello' },
      { from: 'c', event: 'nodata', data: null },
    ]);
    assert.deepEqual(atC, [
      { from: 'a', event: 'howdy', data: 'hello' },
      { from: 'b', event: 'dm', data: { n: 1 } },
    ]);
  });

  it('validates the event name, the data size and the recipient', async () => {
    const server = await startServer();
    const [a] = await connectAll(server, ['a']);
    await refused(a!, 'custom', { event: 'x', data: 1 }, 'not-in-room');
    await ok(a!, 'room:open', { roomid: 'r' });
    await refused(a!, 'custom', { event: '', data: 1 }, 'invalid-request');
    await refused(a!, 'custom', { event: 'e'.repeat(65), data: 1 }, 'invalid-request');
    await refused(a!, 'custom', { event: 'e', data: 'x'.repeat(16 * 1024) }, 'invalid-request');
    await refused(a!, 'custom', { event: 'e', data: JSON.parse('{"a":{"__proto__":{"polluted":true}}}') }, 'invalid-request');
    await refused(a!, 'custom', { event: 'e', data: { constructor: { prototype: {} } } }, 'invalid-request');
    await refused(a!, 'custom', { event: 'e', data: 1, to: 'ghost' }, 'peer-not-found');
    await refused(a!, 'custom', { event: 'e', data: 1, to: 'a' }, 'peer-not-found');
    await ok(a!, 'custom', { event: 'e'.repeat(64), data: 'x'.repeat(16 * 1024 - 100) });
  });
});

describe('room isolation', () => {
  it('a signal or custom to another room\'s member is refused and never delivered', async () => {
    const server = await startServer();
    const [victim, friend, mallory] = await connectAll(server, ['victim', 'friend', 'mallory']);
    await ok(victim!, 'room:open', { roomid: 'a' });
    await ok(friend!, 'room:join', { roomid: 'a' });
    await ok(mallory!, 'room:open', { roomid: 'b' });
    const signals = record<SignalMessage>(victim!, 'signal');
    const customs = record<CustomMessage>(victim!, 'custom');
    await refused(mallory!, 'signal', { to: 'victim', data: offer }, 'peer-not-found');
    await refused(mallory!, 'custom', { event: 'x', data: 'evil', to: 'victim' }, 'peer-not-found');
    await ok(mallory!, 'custom', { event: 'x', data: 'room b only' });
    // Anything leaked would have been emitted before mallory's acks; the
    // friend's messages, sent after, must be the first the victim sees.
    await ok(friend!, 'signal', { to: 'victim', data: offer });
    await ok(friend!, 'custom', { event: 'x', data: 'ok' });
    await flush(victim!);
    assert.deepEqual(signals, [{ from: 'friend', data: offer }]);
    assert.deepEqual(customs, [{ from: 'friend', event: 'x', data: 'ok' }]);
  });

  it('peer events stay inside the room', async () => {
    const server = await startServer();
    const [a, b, outsider] = await connectAll(server, ['a', 'b', 'outsider']);
    await ok(outsider!, 'room:open', { roomid: 'elsewhere' });
    const seen = [record(outsider!, 'peer:join'), record(outsider!, 'peer:leave'), record(outsider!, 'peer:update')];
    await ok(a!, 'room:open', { roomid: 'r' });
    await ok(b!, 'room:join', { roomid: 'r' });
    await ok(b!, 'extra:update', { extra: { x: 1 } });
    await ok(b!, 'room:leave', {});
    await flush(outsider!);
    assert.deepEqual(seen, [[], [], []]);
  });
});

describe('request logging', () => {
  const candidate = { candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 } };

  it('requests that log nothing make no logger: a connection gets one when it writes a line', async () => {
    let children = 0;
    const logger = pino({ level: 'info', onChild: () => void children++ }, { write: () => {} });
    const server = await startServer({ logger });
    const [a, b] = await connectAll(server, ['a', 'b']);
    const before = children;
    await ok(a!, 'room:open', { roomid: 'r' });
    await ok(b!, 'room:join', { roomid: 'r' });
    for (let i = 0; i < 20; i++) await ok(a!, 'signal', { to: 'b', data: candidate });
    assert.equal(children, before);
  });

  it('at debug level, each request is logged with the connection and its userid', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const server = await startServer({ logger });
    const [a, b] = await connectAll(server, ['a', 'b']);
    await ok(a!, 'room:open', { roomid: 'r' });
    await ok(b!, 'room:join', { roomid: 'r' });
    await ok(a!, 'signal', { to: 'b', data: candidate });
    assert.ok(lines.some((l) => l.msg === 'connected' && l.userid === 'a' && l.sid === a!.id));
    assert.ok(lines.some((l) => l.msg === 'request' && l.event === 'signal' && l.ok === true && l.userid === 'a' && l.sid === a!.id));
  });
});

/** Counts the system-call writes (net.Socket's _write/_writev) the server makes to `userid`'s websocket from now on. */
function countWrites(server: SignalingServer, userid: string): { n: number } {
  const socket = [...server.io.sockets.sockets.values()].find((x) => x.data.userid === userid);
  assert.ok(socket, `${userid} is connected`);
  const os = (socket.conn.transport as unknown as { socket: { _socket: Record<'_write' | '_writev', (...args: unknown[]) => unknown> } }).socket._socket;
  const counter = { n: 0 };
  for (const method of ['_write', '_writev'] as const) {
    const real = os[method];
    os[method] = function (this: unknown, ...args: unknown[]) {
      counter.n++;
      return real.apply(this, args);
    };
  }
  return counter;
}

describe('writes under load', () => {
  it("a busy client's acks, and the signals they relay, leave in a few writes, complete and in order", async () => {
    const server = await startServer({ rateLimit: { burst: 1000, perSecond: 1000 } });
    const [a] = await connectAll(server, ['a']);
    await ok(a!, 'room:open', { roomid: 'r' });
    const s = await RawClient.connect(server.url!, 'websocket', { userid: 's' });
    assert.equal(((await s.emit('room:join', { roomid: 'r' })) as { ok: boolean }).ok, true);
    const toS = countWrites(server, 's');
    const toA = countWrites(server, 'a');
    const atA = record<SignalMessage>(a!, 'signal');
    const count = 40;
    const candidate = (i: number) => ({ candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host', sdpMid: String(i), sdpMLineIndex: 0 });
    // The server reads all of them at once, as from a client with many signals in flight.
    const acks = await s.emitBurst('signal', Array.from({ length: count }, (_, i) => ({ to: 'a', data: { candidate: candidate(i) } })));
    assert.deepEqual(acks, Array.from({ length: count }, (_, n) => ({ n, ack: { ok: true } })), 'every signal acked, in order');
    await flush(a!);
    assert.deepEqual(
      atA.map((m) => m.data.candidate?.sdpMid),
      Array.from({ length: count }, (_, i) => String(i)),
      'every signal relayed, in order',
    );
    // One write per message (each a frame of its own) before the batches were corked: 40 each.
    assert.ok(toS.n <= 4, `${toS.n} writes for ${count} acks`);
    assert.ok(toA.n <= 4, `${toA.n} writes for ${count} signals`);
    s.destroy();
  });
});
