// Attacks from raw engine.io/socket.io packets (issue #15): a member that never
// reads, ACKs nobody asked for, floods of non-event packets, half-sent binary
// packets, and a member announcing another member's stream id. Each runs over
// websocket and long-polling where the transport matters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PeerLeavePayload } from '../../src/protocol.js';
import type { SignalingServerOptions } from '../../src/server/index.js';
import { connect, metric, next, ok, refused, sleep, startServer, type Client } from './helpers.js';
import { RawClient, type Transport } from './raw-eio.js';

const TRANSPORTS: Transport[] = ['websocket', 'polling'];

/** A room `r` with a well-behaved member `a` and a raw member `s` speaking `transport`. */
async function roomWithRaw(transport: Transport, options: SignalingServerOptions = {}) {
  const server = await startServer(options);
  const a = await connect(server, { auth: { userid: 'a' } });
  await ok(a, 'room:open', { roomid: 'r' });
  const s = await RawClient.connect(server.url!, transport, { userid: 's' });
  const joined = (await s.emit('room:join', { roomid: 'r' })) as { ok: boolean };
  assert.equal(joined.ok, true, 'the raw client joins');
  return { server, a, s };
}

/** Resolves with `s`'s leave as `a` sees it, or null after `ms`. */
async function leaveOf(a: Client, ms: number): Promise<PeerLeavePayload | null> {
  return next<PeerLeavePayload>(a, 'peer:leave', ms).catch(() => null);
}

for (const transport of TRANSPORTS) {
  describe(`a hostile member over ${transport}`, () => {
    it('that stops reading is closed once more than the cap waits for it; the room sees a disconnect', async () => {
      // socket.io's default heartbeat (25 s + 20 s): without a cap, a reader
      // that stalls holds everything sent to it for at least 45 s.
      const { server, a, s } = await roomWithRaw(transport, {
        pingInterval: 25_000,
        pingTimeout: 20_000,
        rateLimit: { burst: 10_000, perSecond: 10_000 },
      });
      s.stopReading();
      const left = leaveOf(a, 15_000);
      // 15 KB a message; far beyond what loopback TCP buffers absorb over websocket.
      const chunk = 'x'.repeat(15_000);
      const count = transport === 'websocket' ? 800 : 150;
      for (let i = 0; i < count && s.isOpen; i++) {
        a.emit('custom', { event: 'bulk', data: chunk, to: 's' }, () => {});
        if (i % 50 === 49) await sleep(20);
      }
      const leave = await left;
      assert.deepEqual(leave, { userid: 's', reason: 'disconnect' }, 'the stalled member is dropped from the room');
      assert.equal(await metric(server, 'rtc_protocol_disconnects_total', 'reason="slow-reader"'), 1);
      // The sender is unharmed.
      await ok(a, 'room:presence', { roomid: 'r' });
    });

    it('that answers pings it never read (blind pongs) is closed', async () => {
      const { server, a, s } = await roomWithRaw(transport, { pingInterval: 300, pingTimeout: 5_000 });
      s.stopReading();
      const left = leaveOf(a, 4_000);
      const timer = setInterval(() => void s.write('3'), 50);
      try {
        assert.deepEqual(await left, { userid: 's', reason: 'disconnect' });
      } finally {
        clearInterval(timer);
      }
      assert.equal(await metric(server, 'rtc_protocol_disconnects_total', 'reason="unsolicited-pong"'), 1);
    });

    it('that sends an ACK the server never asked for is closed', async () => {
      const { server, a, s } = await roomWithRaw(transport);
      const left = leaveOf(a, 3_000);
      await s.write(`431[${JSON.stringify({ ok: true, pad: 'y'.repeat(30_000) })}]`);
      assert.deepEqual(await left, { userid: 's', reason: 'disconnect' });
      assert.equal(await metric(server, 'rtc_protocol_disconnects_total', 'reason="unsolicited-ack"'), 1);
    });

    it('that floods packets of another type than events is rate limited and disconnected', async () => {
      const { server, a, s } = await roomWithRaw(transport);
      const left = leaveOf(a, 5_000);
      // engine.io noops: parsed by the server, never an event, never counted before.
      const noops = Array.from({ length: 1_000 }, () => '6');
      for (let i = 0; i < 3 && s.isOpen; i++) await s.writeAll(noops);
      assert.deepEqual(await left, { userid: 's', reason: 'disconnect' });
      assert.equal(await metric(server, 'rtc_rate_limit_disconnects_total'), 1);
    });

    it('that announces a binary event is closed at once, before any attachment is held', async () => {
      const { server, a, s } = await roomWithRaw(transport);
      const left = leaveOf(a, 3_000);
      // A BINARY_EVENT announcing 10 attachments, then one of them.
      await s.write(`4510-${JSON.stringify(['custom', { event: 'x', data: { _placeholder: true, num: 0 } }])}`);
      s.writeBinary(Buffer.alloc(60_000, 1));
      assert.deepEqual(await left, { userid: 's', reason: 'disconnect' });
      assert.equal(await metric(server, 'rtc_protocol_disconnects_total', 'reason="binary"'), 1);
    });
  });
}

describe('stream ids belong to the member who announced them', () => {
  const sdp = (streamid: string) =>
    ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=sendrecv', `a=msid:${streamid} track-1`, ''].join('\r\n');

  /** Alice opens `roomid`; Bob and Mallory join it. */
  async function threeIn(roomid: string): Promise<[Client, Client, Client]> {
    const server = await startServer();
    const [a, b, m] = await Promise.all(['a', 'b', 'm'].map((userid) => connect(server, { auth: { userid } })));
    await ok(a!, 'room:open', { roomid });
    await ok(b!, 'room:join', { roomid });
    await ok(m!, 'room:join', { roomid });
    return [a!, b!, m!];
  }

  it('a member announcing, or offering under, another member\'s stream id is refused; its own ids pass', async () => {
    const [a, b, m] = await threeIn('r');
    await ok(b, 'signal', { to: 'a', data: { streams: [{ streamid: 'bob-cam', kind: 'camera' }] } });
    await ok(b, 'signal', { to: 'a', data: { description: { type: 'offer', sdp: sdp('bob-cam') } } });

    await refused(m, 'signal', { to: 'a', data: { streams: [{ streamid: 'bob-cam', kind: 'camera' }] } }, 'forbidden');
    await refused(m, 'signal', { to: 'a', data: { description: { type: 'offer', sdp: sdp('bob-cam') } } }, 'forbidden');
    // Claiming first through the other peer does not help either.
    await refused(m, 'signal', { to: 'b', data: { streams: [{ streamid: 'bob-cam', kind: 'screen' }] } }, 'forbidden');

    await ok(m, 'signal', { to: 'a', data: { streams: [{ streamid: 'mallory-cam', kind: 'camera' }] } });
    await ok(m, 'signal', { to: 'a', data: { description: { type: 'offer', sdp: sdp('mallory-cam') } } });
    // The owner may announce it again, to anyone.
    await ok(b, 'signal', { to: 'm', data: { streams: [{ streamid: 'bob-cam', kind: 'camera', videoMuted: true }] } });
  });

  it('an id is free again once its owner has left the room', async () => {
    const [a, b, m] = await threeIn('r2');
    await ok(b, 'signal', { to: 'a', data: { streams: [{ streamid: 'cam-1', kind: 'camera' }] } });
    await refused(m, 'signal', { to: 'a', data: { streams: [{ streamid: 'cam-1', kind: 'camera' }] } }, 'forbidden');
    await ok(b, 'room:leave', {});
    await ok(m, 'signal', { to: 'a', data: { streams: [{ streamid: 'cam-1', kind: 'camera' }] } });
  });
});
