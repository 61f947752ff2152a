// TURN REST credentials (coturn `use-auth-secret`) in join acks, their
// refresh, and the relay-only policy.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import type { IceServerConfig, IceServersPayload, RoomJoinedPayload } from '../../src/protocol.js';
import { turnCredentials } from '../../src/server/index.js';
import { connect, connectAll, flush, next, ok, record, refused, sleep, startServer } from './helpers.js';

const TURN_SECRET = 'coturn-static-auth-secret';
const URLS = ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349?transport=tcp'];

/** The coturn REST password, computed here from scratch. */
const expectedPassword = (secret: string, username: string) => createHmac('sha1', Buffer.from(secret, 'utf8')).update(Buffer.from(username, 'utf8')).digest('base64');

function turnEntry(servers: IceServerConfig[]): IceServerConfig {
  const entry = servers.find((s) => [s.urls].flat().some((u) => u.startsWith('turn')) && s.username);
  assert.ok(entry, `a TURN entry with credentials in ${JSON.stringify(servers)}`);
  return entry;
}

/** Checks one handed-out credential: format, expiry window, HMAC. */
function checkCredential(entry: IceServerConfig, userid: string, ttl: number, before: number, after: number): number {
  assert.deepEqual(entry.urls, URLS);
  const match = /^(\d+):(.+)$/.exec(entry.username ?? '');
  assert.ok(match, `username ${entry.username}`);
  const expiry = Number(match[1]);
  assert.equal(match[2], userid);
  assert.ok(expiry >= Math.floor(before / 1000) + ttl && expiry <= Math.floor(after / 1000) + ttl, `expiry ${expiry} within now + ${ttl}`);
  assert.equal(entry.credential, expectedPassword(TURN_SECRET, entry.username!));
  return expiry;
}

describe('TURN credentials', () => {
  it('match a known vector (computed with openssl) and an independent computation', () => {
    // echo -n "1700000000:alice" | openssl dgst -sha1 -hmac north -binary | base64
    assert.deepEqual(turnCredentials('north', 'alice', 1700000000), { username: '1700000000:alice', credential: 'Cd/49soE35ICqcJF/bCTn8Z4OyE=' });
    for (const [secret, userid, expiry] of [
      ['s', 'u', 0],
      ['ünïcödé secret', 'user.name-1_2', 2000000000],
      ['x'.repeat(200), 'a'.repeat(64), 1234567890],
    ] as const) {
      const { username, credential } = turnCredentials(secret, userid, expiry);
      assert.equal(username, `${expiry}:${userid}`);
      assert.equal(credential, expectedPassword(secret, username));
    }
  });

  it('every join ack holds fresh credentials for its own userid (default TTL 300 s), after the configured servers', async () => {
    const stun = { urls: 'stun:stun.example.org:3478' };
    const server = await startServer({ iceServers: [stun], turn: { secret: TURN_SECRET, urls: URLS } });
    const [a, b] = await connectAll(server, ['ann', 'bob']);
    const before = Date.now();
    const opened = (await ok(a!, 'room:open', { roomid: 'r' })) as unknown as RoomJoinedPayload;
    const joined = (await ok(b!, 'room:join', { roomid: 'r' })) as unknown as RoomJoinedPayload;
    const after = Date.now();
    assert.deepEqual(opened.iceServers[0], stun);
    assert.equal(opened.iceServers.length, 2);
    checkCredential(turnEntry(opened.iceServers), 'ann', 300, before, after);
    checkCredential(turnEntry(joined.iceServers), 'bob', 300, before, after);
    assert.equal(opened.iceTransportPolicy, undefined);
    // Presence hands out nothing.
    const presence = await ok(b!, 'room:presence', { roomid: 'r' });
    assert.equal(JSON.stringify(presence).includes('turn'), false);
  });

  it('are refreshed with ice:servers before they expire, while in a room only', async () => {
    const server = await startServer({ turn: { secret: TURN_SECRET, urls: URLS, ttl: 1 } });
    const [a, idle] = await connectAll(server, ['ann', 'idle']);
    const idlePushes = record(idle!, 'ice:servers');
    const before = Date.now();
    const ack = (await ok(a!, 'room:open', { roomid: 'r' })) as unknown as RoomJoinedPayload;
    const first = checkCredential(turnEntry(ack.iceServers), 'ann', 1, before, Date.now());
    const t0 = Date.now();
    const pushed = await next<IceServersPayload>(a!, 'ice:servers', 3000);
    const elapsed = Date.now() - t0;
    // Pushed at four fifths of the lifetime (≥ 500 ms): before the old ones expire.
    assert.ok(elapsed >= 400 && elapsed < 1000, `pushed after ${elapsed} ms`);
    const second = checkCredential(turnEntry(pushed.iceServers), 'ann', 1, t0, Date.now());
    assert.ok(second >= first);
    await next(a!, 'ice:servers', 3000);
    // Leaving stops the pushes.
    await ok(a!, 'room:leave', {});
    const later = record(a!, 'ice:servers');
    await sleep(1200);
    assert.deepEqual(later, []);
    assert.deepEqual(idlePushes, []);
  });

  it('bad TURN options fail at start', async () => {
    await assert.rejects(startServer({ turn: { secret: '', urls: URLS } }), /secret/);
    await assert.rejects(startServer({ turn: { secret: 's', urls: [] } }), /urls/);
    await assert.rejects(startServer({ turn: { secret: 's', urls: ['stun:x'] } }), /urls/);
    await assert.rejects(startServer({ turn: { secret: 's', urls: URLS, ttl: 0 } }), /ttl/);
  });
});

describe('relay-only', () => {
  const host = (ip: string) => `candidate:1 1 udp 2122260223 ${ip} 54321 typ host generation 0`;
  const relay = 'candidate:3 1 udp 41885439 203.0.113.7 60000 typ relay raddr 0.0.0.0 rport 0';
  const sdp = (candidates: string[]) =>
    ['v=0', 'o=- 1 2 IN IP4 0.0.0.0', 's=-', 't=0 0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', 'a=mid:0', ...candidates.map((c) => `a=${c}`), 'a=sendrecv', ''].join('\r\n');

  it('acks say iceTransportPolicy relay; only relay candidates are relayed, in trickle and in descriptions', async () => {
    const server = await startServer({ relayOnly: true, turn: { secret: TURN_SECRET, urls: URLS } });
    const [a, b] = await connectAll(server, ['a', 'b']);
    const opened = (await ok(a!, 'room:open', { roomid: 'r' })) as unknown as RoomJoinedPayload;
    const joined = (await ok(b!, 'room:join', { roomid: 'r' })) as unknown as RoomJoinedPayload;
    assert.equal(opened.iceTransportPolicy, 'relay');
    assert.equal(joined.iceTransportPolicy, 'relay');
    const signals = record(a!, 'signal');
    for (const candidate of [host('192.168.1.20'), host('abcd.local'), 'candidate:2 1 udp 1686052607 198.51.100.4 50000 typ srflx raddr 10.0.0.2 rport 5000', 'garbage']) {
      await refused(b!, 'signal', { to: 'a', data: { candidate: { candidate, sdpMid: '0' } } }, 'forbidden');
    }
    await refused(b!, 'signal', { to: 'a', data: { description: { type: 'offer', sdp: sdp([relay, host('10.1.2.3')]) } } }, 'forbidden');
    await ok(b!, 'signal', { to: 'a', data: { candidate: { candidate: relay, sdpMid: '0' } } });
    await ok(b!, 'signal', { to: 'a', data: { candidate: { candidate: '', sdpMid: '0' } } });
    await ok(b!, 'signal', { to: 'a', data: { candidate: null } });
    await ok(b!, 'signal', { to: 'a', data: { description: { type: 'offer', sdp: sdp([relay]) } } });
    await ok(b!, 'signal', { to: 'a', data: { description: { type: 'answer', sdp: sdp([]) } } });
    await flush(a!);
    assert.equal(signals.length, 5);
    assert.equal(JSON.stringify(signals).includes('typ host'), false);
  });

  it('without relay-only, every candidate passes', async () => {
    const server = await startServer();
    const [a, b] = await connectAll(server, ['a', 'b']);
    await ok(a!, 'room:open', { roomid: 'r' });
    const ack = (await ok(b!, 'room:join', { roomid: 'r' })) as unknown as RoomJoinedPayload;
    assert.equal(ack.iceTransportPolicy, undefined);
    assert.deepEqual(ack.iceServers, []);
    await ok(b!, 'signal', { to: 'a', data: { candidate: { candidate: host('192.168.1.20'), sdpMid: '0' } } });
  });

  it('needs a TURN server: TURN credentials or a turn: URL in iceServers', async () => {
    await assert.rejects(startServer({ relayOnly: true }), /TURN/);
    await assert.rejects(startServer({ relayOnly: true, iceServers: [{ urls: 'stun:stun.example.org' }] }), /TURN/);
    const server = await startServer({ relayOnly: true, iceServers: [{ urls: ['turns:turn.example.org:5349'], username: 'u', credential: 'p' }] });
    const c = await connect(server, { auth: { userid: 'c' } });
    assert.equal(((await ok(c, 'room:open', { roomid: 'r' })) as unknown as RoomJoinedPayload).iceTransportPolicy, 'relay');
  });
});
