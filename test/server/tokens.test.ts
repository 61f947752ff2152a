// Room tokens (JWT): who may connect, which rooms they may enter, what they
// may do there. Tokens are signed here with jose directly, independently of
// the server's own minting helper (which gets its own test).
import assert from 'node:assert/strict';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { SignJWT, UnsecuredJWT, exportJWK, generateKeyPair, type JWK, type JWTPayload } from 'jose';
import type { HandshakeErrorData, PeerInfo, RoomJoinedPayload } from '../../src/protocol.js';
import { mintRoomToken } from '../../src/server/index.js';
import { connect, flush, metric, next, ok, record, refused, send, sleep, startServer, type Client } from './helpers.js';

const SECRET = 'test-secret-that-is-at-least-32-bytes-long!';
const key = new TextEncoder().encode(SECRET);
const now = () => Math.floor(Date.now() / 1000);

/** An HS256 room token: defaults sub alice, room demo, valid for an hour. */
function sign(claims: JWTPayload = {}, opts: { secret?: Uint8Array; exp?: number | null; sub?: string | null } = {}): Promise<string> {
  const body: JWTPayload = { room: 'demo', ...claims };
  const jwt = new SignJWT(body).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (opts.sub !== null) jwt.setSubject(opts.sub ?? 'alice');
  if (opts.exp !== null) jwt.setExpirationTime(opts.exp ?? now() + 3600);
  return jwt.sign(opts.secret ?? key);
}

type ConnectError = Error & { data?: HandshakeErrorData };

/** Asserts the handshake is refused with `code` (default unauthorized); returns the message. */
async function refusedHandshake(server: Parameters<typeof connect>[0], auth: Record<string, unknown>, code = 'unauthorized'): Promise<string> {
  return (await refusedHandshakeData(server, auth, code)).message;
}

async function refusedHandshakeData(server: Parameters<typeof connect>[0], auth: Record<string, unknown>, code = 'unauthorized'): Promise<HandshakeErrorData> {
  let data: HandshakeErrorData | undefined;
  await assert.rejects(connect(server, { auth }), (err: ConnectError) => {
    assert.equal(err.message, code);
    assert.equal(err.data?.code, code);
    data = err.data;
    return true;
  });
  return data!;
}

/** Records everything room-related a member receives. */
function roomEvents(c: Client): unknown[][] {
  const seen: unknown[][] = [];
  for (const e of ['peer:join', 'peer:leave', 'peer:update', 'signal', 'custom'] as const) {
    const list = record(c, e);
    seen.push(list);
  }
  return seen;
}

const sendingSdp = ['v=0', 'o=- 1 2 IN IP4 0.0.0.0', 's=-', 't=0 0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=mid:0', 'a=sendrecv', ''].join('\r\n');
const receivingSdp = sendingSdp.replace('a=sendrecv', 'a=recvonly');

describe('room tokens: the handshake', () => {
  it('a valid token connects; sub becomes the userid whatever auth.userid says', async () => {
    const server = await startServer({ tokenSecret: SECRET });
    const c = await connect(server, { auth: { token: await sign(), userid: 'mallory' } });
    const ack = (await ok(c, 'room:open', { roomid: 'demo' })) as unknown as RoomJoinedPayload;
    assert.equal(ack.userid, 'alice');
    assert.deepEqual(ack.permissions, ['open', 'publish', 'data']);
  });

  it('missing, expired, tampered, wrongly signed, unsigned, not-yet-valid or malformed tokens: unauthorized, and the room sees nothing', async () => {
    const server = await startServer({ tokenSecret: SECRET });
    const member = await connect(server, { auth: { token: await sign({}, { sub: 'member' }) } });
    await ok(member, 'room:open', { roomid: 'demo' });
    const seen = roomEvents(member);

    const good = await sign();
    const [h, p, s] = good.split('.') as [string, string, string];
    const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), room: '*', sub: 'admin' })).toString('base64url');
    const mid = Math.floor(s.length / 2);
    const flipped = s.slice(0, mid) + (s[mid] === 'A' ? 'B' : 'A') + s.slice(mid + 1);
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['missing', {}, /missing/],
      ['empty', { token: '' }, /missing/],
      ['expired', { token: await sign({}, { exp: now() - 10 }) }, /expired/],
      ['no exp', { token: await sign({}, { exp: null }) }, /"exp"/],
      ['no sub', { token: await sign({}, { sub: null }) }, /"sub"/],
      ['tampered payload', { token: `${h}.${forgedPayload}.${s}` }, /signature/],
      ['tampered signature', { token: `${h}.${p}.${flipped}` }, /signature/],
      ['wrong secret', { token: await sign({}, { secret: new TextEncoder().encode('another-secret-that-is-32-bytes-long') }) }, /signature/],
      ['alg none', { token: new UnsecuredJWT({ room: '*', sub: 'admin' }).setExpirationTime('1h').encode() }, /algorithm|malformed/],
      ['not yet valid', { token: await sign({ nbf: now() + 600 }) }, /not yet valid/],
      ['garbage', { token: 'not.a.jwt' }, /malformed/],
      ['bad sub', { token: await sign({}, { sub: 'has space' }) }, /"sub"/],
      ['no room', { token: await sign({ room: undefined }) }, /"room"/],
      ['bad room', { token: await sign({ room: '../etc' }) }, /"room"/],
      ['empty room list', { token: await sign({ room: [] }) }, /"room"/],
      ['bad permissions', { token: await sign({ permissions: 'open' }) }, /"permissions"/],
    ];
    for (const [name, auth, message] of cases) {
      const data = await refusedHandshakeData(server, auth);
      assert.match(data.message, message, name);
      assert.equal(data.expired, name === 'expired' ? true : undefined, `${name}: expired flag`);
    }
    assert.equal(await metric(server, 'rtc_handshakes_rejected_total', 'reason="unauthorized"'), cases.length);
    await flush(member);
    assert.deepEqual(seen.flat(), [], 'no room event');
    assert.equal((await server.store.stats()).members, 1);
  });

  it('authenticate() runs after the token check and sees its claims', async () => {
    const seen: unknown[] = [];
    const server = await startServer({
      tokenSecret: SECRET,
      authenticate: ({ userid, claims }) => {
        seen.push([userid, claims?.room]);
        return claims?.banned !== true;
      },
    });
    await connect(server, { auth: { token: await sign() } });
    await refusedHandshake(server, { token: await sign({ banned: true }) });
    await refusedHandshake(server, { token: await sign({}, { exp: now() - 5 }) });
    assert.deepEqual(seen, [
      ['alice', 'demo'],
      ['alice', 'demo'],
    ]);
  });

  it('issuer and audience, when configured, must match', async () => {
    const server = await startServer({ tokenSecret: SECRET, tokenIssuer: 'https://backend.example', tokenAudience: 'rtc' });
    await refusedHandshake(server, { token: await sign() });
    await refusedHandshake(server, { token: await sign({ iss: 'https://evil.example', aud: 'rtc' }) });
    await refusedHandshake(server, { token: await sign({ iss: 'https://backend.example', aud: 'other' }) });
    await connect(server, { auth: { token: await sign({ iss: 'https://backend.example', aud: 'rtc' }) } });
  });

  it('a short secret, two key sources, or a shared token with room tokens fail at start', async () => {
    await assert.rejects(startServer({ tokenSecret: 'short' }), /32 bytes/);
    await assert.rejects(startServer({ tokenSecret: SECRET, jwks: { keys: [] } }), /exactly one/);
    await assert.rejects(startServer({ tokenSecret: SECRET, token: 'x' }), /exclude/);
    await assert.rejects(startServer({ jwksUrl: 'http://auth.example/jwks.json' }), /https/);
  });
});

describe('room tokens: rooms', () => {
  it('a token for another room cannot open, join, open-or-join or even ask about this one', async () => {
    const server = await startServer({ tokenSecret: SECRET });
    const member = await connect(server, { auth: { token: await sign({}, { sub: 'member' }) } });
    await ok(member, 'room:open', { roomid: 'demo' });
    const seen = roomEvents(member);
    const outsider = await connect(server, { auth: { token: await sign({ room: 'other' }, { sub: 'outsider' }) } });
    for (const event of ['room:join', 'room:open', 'room:open-or-join', 'room:presence']) {
      await refused(outsider, event, { roomid: 'demo' }, 'unauthorized');
    }
    await refused(outsider, 'signal', { to: 'member', data: { candidate: null } }, 'not-in-room');
    await ok(outsider, 'room:open', { roomid: 'other' });
    await flush(member);
    assert.deepEqual(seen.flat(), []);
  });

  it('"*" and lists of rooms', async () => {
    const server = await startServer({ tokenSecret: SECRET });
    const any = await connect(server, { auth: { token: await sign({ room: '*' }, { sub: 'any' }) } });
    await ok(any, 'room:open', { roomid: 'whatever' });
    const two = await connect(server, { auth: { token: await sign({ room: ['a', 'b'] }, { sub: 'two' }) } });
    await ok(two, 'room:presence', { roomid: 'a' });
    await refused(two, 'room:presence', { roomid: 'whatever' }, 'unauthorized');
    await ok(two, 'room:open', { roomid: 'b' });
  });

  it('an expired token cannot resume: the reconnect is refused; on the old connection, entering a room is refused', async () => {
    const server = await startServer({ tokenSecret: SECRET });
    const peer = await connect(server, { auth: { token: await sign({}, { sub: 'peer' }) } });
    await ok(peer, 'room:open', { roomid: 'demo' });
    const exp = now() + 2;
    const short = await sign({}, { exp });
    const c = await connect(server, { auth: { token: short }, reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 50 });
    await ok(c, 'room:join', { roomid: 'demo' });
    await sleep(exp * 1000 - Date.now() + 50);

    // Still connected: the call goes on, but no new room.
    await ok(c, 'room:leave', {});
    await refused(c, 'room:join', { roomid: 'demo' }, 'unauthorized');
    await refused(c, 'room:presence', { roomid: 'demo' }, 'unauthorized');
    const res = await send(c, 'room:join', { roomid: 'demo' });
    assert.equal(!res.ok && res.error.expired, true, 'the refusal says the token expired');

    const joins = record<PeerInfo>(peer, 'peer:join');
    const refusedAgain = new Promise<ConnectError>((resolve) => c.once('connect_error', resolve));
    // socket.io-client reconnects with the same auth after a transport loss.
    (c.io.engine as unknown as { close(): void }).close();
    const err = await refusedAgain;
    assert.equal(err.data?.code, 'unauthorized');
    assert.equal(err.data?.expired, true, 'machine-readable: the token expired');
    assert.match(err.data?.message ?? '', /expired/);
    c.io.reconnection(false);
    await flush(peer);
    assert.deepEqual(joins, []);
  });
});

describe('room tokens: permissions', () => {
  it('without open: room:open and opening through open-or-join are forbidden; joining works', async () => {
    const server = await startServer({ tokenSecret: SECRET });
    const guest = await connect(server, { auth: { token: await sign({ permissions: ['publish', 'data'] }, { sub: 'guest' }) } });
    await refused(guest, 'room:open', { roomid: 'demo' }, 'forbidden');
    await refused(guest, 'room:open-or-join', { roomid: 'demo' }, 'forbidden');
    assert.equal((await server.store.stats()).rooms, 0);
    const host = await connect(server, { auth: { token: await sign({}, { sub: 'host' }) } });
    await ok(host, 'room:open', { roomid: 'demo' });
    const ack = (await ok(guest, 'room:open-or-join', { roomid: 'demo' })) as unknown as RoomJoinedPayload;
    assert.equal(ack.isInitiator, false);
    assert.deepEqual(ack.permissions, ['publish', 'data']);
  });

  it('members see each other\'s permissions (ack peers, peer:join)', async () => {
    const server = await startServer({ tokenSecret: SECRET });
    const host = await connect(server, { auth: { token: await sign({}, { sub: 'host' }) } });
    await ok(host, 'room:open', { roomid: 'demo' });
    const joined = next<PeerInfo>(host, 'peer:join');
    const viewer = await connect(server, { auth: { token: await sign({ permissions: [] }, { sub: 'viewer' }) } });
    const ack = (await ok(viewer, 'room:join', { roomid: 'demo' })) as unknown as RoomJoinedPayload;
    // A token without a permissions claim grants all but moderate: the opener is no host then.
    assert.deepEqual(ack.peers, [{ userid: 'host', extra: {}, permissions: ['open', 'publish', 'data'], role: 'participant' }]);
    assert.deepEqual(await joined, { userid: 'viewer', extra: {}, permissions: [], role: 'participant' });
  });

  it('unknown permission names grant nothing', async () => {
    const server = await startServer({ tokenSecret: SECRET });
    const c = await connect(server, { auth: { token: await sign({ permissions: ['admin', 'data'] }) } });
    await refused(c, 'room:open', { roomid: 'demo' }, 'forbidden');
  });

  it('without publish: streams announcements and descriptions that send media are forbidden; receiving is fine', async () => {
    const server = await startServer({ tokenSecret: SECRET });
    const host = await connect(server, { auth: { token: await sign({}, { sub: 'host' }) } });
    await ok(host, 'room:open', { roomid: 'demo' });
    const viewer = await connect(server, { auth: { token: await sign({ permissions: ['data'] }, { sub: 'viewer' }) } });
    await ok(viewer, 'room:join', { roomid: 'demo' });
    const signals = record(host, 'signal');
    await refused(viewer, 'signal', { to: 'host', data: { streams: [{ streamid: 's', kind: 'camera' }] } }, 'forbidden');
    await refused(viewer, 'signal', { to: 'host', data: { description: { type: 'offer', sdp: sendingSdp } } }, 'forbidden');
    await refused(viewer, 'signal', { to: 'host', data: { description: { type: 'answer', sdp: sendingSdp.replace('a=sendrecv\r\n', '') } } }, 'forbidden');
    await ok(viewer, 'signal', { to: 'host', data: { description: { type: 'answer', sdp: receivingSdp } } });
    await ok(viewer, 'signal', { to: 'host', data: { streams: [] } });
    await ok(viewer, 'signal', { to: 'host', data: { candidate: { candidate: 'candidate:1 1 udp 1 x.local 9 typ host', sdpMid: '0' } } });
    await ok(viewer, 'custom', { event: 'chat', data: 'hi' });
    // The host may publish.
    await ok(host, 'signal', { to: 'viewer', data: { description: { type: 'offer', sdp: sendingSdp }, streams: [{ streamid: 's', kind: 'camera' }] } });
    await flush(host);
    assert.equal(signals.length, 3);
  });

  it('without data: custom messages are forbidden', async () => {
    const server = await startServer({ tokenSecret: SECRET });
    const host = await connect(server, { auth: { token: await sign({}, { sub: 'host' }) } });
    await ok(host, 'room:open', { roomid: 'demo' });
    const mute = await connect(server, { auth: { token: await sign({ permissions: ['publish'] }, { sub: 'mute' }) } });
    await ok(mute, 'room:join', { roomid: 'demo' });
    const customs = record(host, 'custom');
    await refused(mute, 'custom', { event: 'chat', data: 'hi' }, 'forbidden');
    await refused(mute, 'custom', { event: 'chat', data: 'hi', to: 'host' }, 'forbidden');
    await ok(mute, 'signal', { to: 'host', data: { description: { type: 'offer', sdp: sendingSdp } } });
    await flush(host);
    assert.deepEqual(customs, []);
  });
});

describe('room tokens: public keys', () => {
  it('a local JWKS (ES256); an HS256 token made with the public key as secret is refused', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const server = await startServer({ jwks: { keys: [jwk] } });
    const token = await new SignJWT({ room: 'demo' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('bob').setExpirationTime('10m').sign(privateKey);
    const c = await connect(server, { auth: { token } });
    assert.equal(((await ok(c, 'room:open', { roomid: 'demo' })) as unknown as RoomJoinedPayload).userid, 'bob');
    // Algorithm confusion: the public key (which anyone has) as an HMAC secret.
    const confused = await new SignJWT({ room: '*' })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setSubject('admin')
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(JSON.stringify(jwk)));
    assert.match(await refusedHandshake(server, { token: confused }), /algorithm/);
    // Signed by another key with the same kid.
    const other = await generateKeyPair('ES256');
    const forged = await new SignJWT({ room: '*' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('admin').setExpirationTime('10m').sign(other.privateKey);
    assert.match(await refusedHandshake(server, { token: forged }), /signature/);
  });

  it('a JWKS URL (served on 127.0.0.1 here): fetched once and cached; unreachable keys are a server error, not the client\'s', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'r1', alg: 'RS256', use: 'sig' }] };
    let fetches = 0;
    const jwksServer: HttpServer = createServer((req, res) => {
      fetches++;
      res.writeHead(req.url === '/.well-known/jwks.json' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const { port } = jwksServer.address() as AddressInfo;
    try {
      const server = await startServer({ jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json` });
      const token = (sub: string) =>
        new SignJWT({ room: 'demo' }).setProtectedHeader({ alg: 'RS256', kid: 'r1' }).setSubject(sub).setExpirationTime('10m').sign(privateKey);
      const a = await connect(server, { auth: { token: await token('a') } });
      await connect(server, { auth: { token: await token('b') } });
      await ok(a, 'room:open', { roomid: 'demo' });
      assert.equal(fetches, 1);
      await refusedHandshake(server, { token: await sign() });

      const down = await startServer({ jwksUrl: `http://127.0.0.1:${port}/missing.json` });
      const message = await refusedHandshake(down, { token: await token('a') }, 'internal-error');
      assert.match(message, /cannot fetch/);
    } finally {
      jwksServer.closeAllConnections();
      await new Promise((resolve) => jwksServer.close(resolve));
    }
  });
});

describe('mintRoomToken (what `rtc-elements token` prints)', () => {
  it('mints a token the server accepts, with the claims asked for', async () => {
    const token = await mintRoomToken({ secret: SECRET, userid: 'carol', room: ['demo', 'x'], ttlSeconds: 60, permissions: ['data'] });
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as JWTPayload;
    assert.equal(claims.sub, 'carol');
    assert.deepEqual(claims.room, ['demo', 'x']);
    assert.deepEqual(claims.permissions, ['data']);
    assert.equal(claims.exp! - claims.iat!, 60);
    const server = await startServer({ tokenSecret: SECRET });
    const c = await connect(server, { auth: { token } });
    await refused(c, 'room:open', { roomid: 'demo' }, 'forbidden');
    await assert.rejects(mintRoomToken({ secret: 'short', userid: 'c', room: 'demo', ttlSeconds: 60 }), /32 bytes/);
    await assert.rejects(mintRoomToken({ secret: SECRET, userid: 'bad id', room: 'demo', ttlSeconds: 60 }), /userid/);
  });
});
