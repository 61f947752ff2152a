// The server's pure parts, without sockets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { ERROR_CODES, MAX_SDP_LENGTH, USERID_PATTERN } from '../../src/protocol.js';
import { isJsonValue, jsonByteLength } from '../../src/server/json.js';
import { createOriginPolicy } from '../../src/server/origin.js';
import { hashPassword, verifyPassword } from '../../src/server/password.js';
import { BusyError, RateLimiter, WorkLimiter, resolveRateLimit } from '../../src/server/rate-limit.js';
import { MemoryRoomStore } from '../../src/server/rooms.js';
import { candidateType, isNonRelayCandidate, sdpHasNonRelayCandidate, sendsMedia } from '../../src/server/sdp.js';
import { createSignalingServer } from '../../src/server/index.js';
import { DEFAULT_SFU_ROOM_SIZE, resolveConfig } from '../../src/server/config.js';
import { fastSignal, payloadSchemas } from '../../src/server/validation.js';
import './helpers.js';

describe('origin policy', () => {
  it('allows no origin, loopback, the own host and listed origins only', () => {
    const policy = createOriginPolicy(['https://app.example.com']);
    const yes: [string | undefined, string?][] = [
      [undefined],
      [''],
      ['http://localhost'],
      ['http://localhost:1234'],
      ['https://127.0.0.1:8443'],
      ['http://[::1]:9001'],
      ['https://app.example.com'],
      ['https://app.example.com:443'],
      ['http://10.0.0.5:9001', '10.0.0.5:9001'],
      ['https://my.host', 'MY.HOST'],
    ];
    const no: [string, string?][] = [
      ['https://evil.example'],
      ['null'],
      ['file://'],
      ['chrome-extension://abc'],
      ['https://app.example.com:8443'],
      ['http://app.example.com'],
      ['https://localhost.evil.example'],
      ['https://127.0.0.1.evil.example'],
      ['http://10.0.0.5:9002', '10.0.0.5:9001'],
      ['garbage'],
    ];
    for (const [origin, host] of yes) assert.equal(policy.allows(origin, host), true, `${origin} @ ${host}`);
    for (const [origin, host] of no) assert.equal(policy.allows(origin, host), false, `${origin} @ ${host}`);
    assert.equal(createOriginPolicy(['*']).allows('https://evil.example'), true);
    assert.throws(() => createOriginPolicy(['ftp://x']));
  });
});

describe('JSON checks', () => {
  it('accepts plain JSON, refuses everything else', () => {
    for (const ok of [null, true, 0, -1.5, 'x', [], {}, { a: [1, { b: null }] }, Object.create(null) as object]) {
      assert.equal(isJsonValue(ok), true, JSON.stringify(ok));
    }
    for (const bad of [
      undefined,
      NaN,
      Infinity,
      () => 1,
      Symbol('s'),
      10n,
      new Date(),
      Buffer.from('x'),
      new Map(),
      JSON.parse('{"__proto__":1}'),
      { constructor: 1 },
      { nested: { prototype: {} } },
      [{ ok: 1 }, JSON.parse('{"x":{"__proto__":{}}}')],
    ]) {
      assert.equal(isJsonValue(bad), false, String(bad));
    }
    let deep: unknown = 1;
    for (let i = 0; i < 16; i++) deep = [deep];
    assert.equal(isJsonValue(deep), true);
    assert.equal(isJsonValue([deep]), false);
    assert.equal(jsonByteLength('é'), 4);
  });
});

describe('RateLimiter', () => {
  it('passes a burst, refills over time, disconnects after sustained abuse', () => {
    const limiter = new RateLimiter(resolveRateLimit({ burst: 3, perSecond: 2, maxViolations: 2 }), 0);
    assert.deepEqual([0, 0, 0, 0, 0].map((t) => limiter.take(t)), ['ok', 'ok', 'ok', 'limited', 'limited']);
    assert.equal(limiter.take(500), 'ok', 'one token back after 0.5 s');
    assert.equal(limiter.take(500), 'limited');
    assert.equal(limiter.take(500), 'disconnect');
  });

  it('violations drain, so an occasional overrun is forgiven', () => {
    const limiter = new RateLimiter(resolveRateLimit({ burst: 1, perSecond: 1, maxViolations: 1 }), 0);
    for (let t = 0; t < 20_000; t += 1000) {
      assert.equal(limiter.take(t), 'ok');
      assert.equal(limiter.take(t), 'limited');
    }
  });

  it('refuses nonsense settings, defaults missing ones', () => {
    assert.throws(() => resolveRateLimit({ burst: 0 }));
    assert.throws(() => resolveRateLimit({ perSecond: -1 }));
    assert.deepEqual(resolveRateLimit(undefined), { burst: 200, perSecond: 50, maxViolations: 200 });
    assert.deepEqual(resolveRateLimit({ burst: 10 }), { burst: 10, perSecond: 50, maxViolations: 10 });
  });
});

describe('MemoryRoomStore', () => {
  const m = (userid: string, connId = `c-${userid}`) => ({ userid, connId, extra: {} });

  it('create, join, full, leave, delete', () => {
    const store = new MemoryRoomStore();
    const created = store.create({ roomid: 'r', maxParticipants: 2, passwordHash: null }, m('a'));
    assert.equal(created.status, 'ok');
    assert.equal(store.create({ roomid: 'r', maxParticipants: 2, passwordHash: null }, m('b')).status, 'exists');
    const token = store.get('r')!.token;
    const joined = store.join('r', token, m('b'));
    assert.equal(joined.status, 'ok');
    assert.deepEqual(joined.status === 'ok' && joined.peers.map((p) => p.userid), ['a']);
    assert.equal(store.join('r', token, m('c')).status, 'full');
    assert.equal(store.join('r', 'stale', m('c')).status, 'changed');
    assert.equal(store.join('nope', token, m('c')).status, 'not-found');
    assert.deepEqual(store.leave('r', 'a', 'wrong-conn'), { left: false, deleted: false });
    assert.deepEqual(store.leave('r', 'a', 'c-a'), { left: true, deleted: false });
    assert.deepEqual(store.leave('r', 'b', 'c-b'), { left: true, deleted: true });
    assert.equal(store.get('r'), undefined);
    assert.deepEqual(store.stats(), { rooms: 0, members: 0 });
  });

  it('a userid holds one membership: same room = takeover, other room = eviction', () => {
    const store = new MemoryRoomStore();
    store.create({ roomid: 'r1', maxParticipants: 2, passwordHash: null }, m('a', 'old'));
    store.join('r1', store.get('r1')!.token, m('b'));
    const same = store.join('r1', store.get('r1')!.token, m('a', 'new'));
    assert.equal(same.status, 'ok');
    assert.deepEqual(same.status === 'ok' && same.replaced, { connId: 'old', roomid: 'r1' });
    assert.equal(store.member('r1', 'a')!.connId, 'new');
    assert.equal(store.join('r1', store.get('r1')!.token, m('a', 'new')).status, 'already-in-room');
    const moved = store.create({ roomid: 'r2', maxParticipants: 2, passwordHash: null }, m('a', 'newer'));
    assert.deepEqual(moved.status === 'ok' && moved.replaced, { connId: 'new', roomid: 'r1' });
    assert.equal(store.member('r1', 'a'), undefined);
    assert.deepEqual(store.stats(), { rooms: 2, members: 2 });
    assert.equal(store.updateExtra('r2', 'a', 'new', { x: 1 }), false, 'only the holder may update');
    assert.equal(store.updateExtra('r2', 'a', 'newer', { x: 1 }), true);
    assert.deepEqual(store.member('r2', 'a')!.extra, { x: 1 });
  });

  it('returns copies, not its internals', () => {
    const store = new MemoryRoomStore();
    store.create({ roomid: 'r', maxParticipants: 2, passwordHash: null }, m('a'));
    store.member('r', 'a')!.connId = 'hijacked';
    assert.equal(store.member('r', 'a')!.connId, 'c-a');
  });
});

describe('WorkLimiter (password hashing)', () => {
  it('runs at most `concurrency` jobs, queues up to `maxQueued`, refuses the rest at once', async () => {
    const limiter = new WorkLimiter(2, 3);
    let running = 0;
    let peak = 0;
    const releases: (() => void)[] = [];
    const job = () =>
      new Promise<string>((resolve) => {
        running++;
        peak = Math.max(peak, running);
        releases.push(() => {
          running--;
          resolve('done');
        });
      });
    const accepted = Array.from({ length: 5 }, () => limiter.run(job));
    await assert.rejects(limiter.run(job), BusyError);
    await new Promise((r) => setImmediate(r));
    assert.equal(running, 2);
    assert.equal(limiter.queued, 3);
    while (releases.length || running) {
      releases.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    assert.deepEqual(await Promise.all(accepted), ['done', 'done', 'done', 'done', 'done']);
    assert.equal(peak, 2);
    // A failing job frees its slot too.
    await assert.rejects(limiter.run(() => Promise.reject(new Error('x'))), /x/);
    assert.equal(await limiter.run(async () => 'free'), 'free');
  });
});

describe('SDP rules', () => {
  const sdp = (...lines: string[]) => ['v=0', 'o=- 1 2 IN IP4 0.0.0.0', 's=-', 't=0 0', ...lines, ''].join('\r\n');

  it('sendsMedia: audio or video sections that are not rejected and not recvonly/inactive', () => {
    assert.equal(sendsMedia(sdp('m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=sendrecv')), true);
    assert.equal(sendsMedia(sdp('m=video 9 UDP/TLS/RTP/SAVPF 96', 'a=sendonly')), true);
    assert.equal(sendsMedia(sdp('m=video 9 UDP/TLS/RTP/SAVPF 96')), true, 'no direction = sendrecv (RFC 4566)');
    assert.equal(sendsMedia(sdp('a=sendonly', 'm=audio 9 RTP/AVP 0')), true, 'session-level direction');
    assert.equal(sendsMedia(sdp('a=recvonly', 'm=audio 9 RTP/AVP 0')), false, 'session-level recvonly');
    assert.equal(sendsMedia(sdp('a=recvonly', 'm=audio 9 RTP/AVP 0', 'a=sendrecv')), true, 'the section wins');
    assert.equal(sendsMedia(sdp('m=audio 9 RTP/AVP 0', 'a=recvonly', 'm=video 9 RTP/AVP 96', 'a=inactive')), false);
    assert.equal(sendsMedia(sdp('m=audio 9 RTP/AVP 0', 'a=recvonly', 'm=video 9 RTP/AVP 96', 'a=sendrecv')), true, 'the last section counts too');
    assert.equal(sendsMedia(sdp('m=audio 0 UDP/TLS/RTP/SAVPF 111', 'a=sendrecv')), false, 'port 0: rejected');
    assert.equal(sendsMedia(sdp('m=application 9 UDP/DTLS/SCTP webrtc-datachannel')), false);
    assert.equal(sendsMedia('v=0\nm=audio 9 RTP/AVP 0\na=sendrecv\n'), true, 'bare LF');
    assert.equal(sendsMedia(''), false);
  });

  it('candidate types under relay-only', () => {
    assert.equal(candidateType('candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host generation 0'), 'host');
    assert.equal(candidateType('a=candidate:3 1 udp 1 203.0.113.1 6000 typ relay raddr 0.0.0.0 rport 0'), 'relay');
    assert.equal(candidateType('nonsense'), undefined);
    assert.equal(isNonRelayCandidate(''), false);
    assert.equal(isNonRelayCandidate('candidate:3 1 udp 1 203.0.113.1 6000 typ relay'), false);
    assert.equal(isNonRelayCandidate('candidate:1 1 udp 1 x.local 5000 typ host'), true);
    assert.equal(isNonRelayCandidate('candidate:1 1 udp 1 1.2.3.4 5000 typ relay-ish'), true);
    assert.equal(isNonRelayCandidate('garbage'), true);
    assert.equal(sdpHasNonRelayCandidate(sdp('m=audio 9 RTP/AVP 0', 'a=candidate:3 1 udp 1 203.0.113.1 6000 typ relay')), false);
    assert.equal(sdpHasNonRelayCandidate(sdp('m=audio 9 RTP/AVP 0', 'a=candidate:1 1 udp 1 192.168.0.2 6000 typ host')), true);
    assert.equal(sdpHasNonRelayCandidate(sdp('m=audio 9 RTP/AVP 0')), false);
  });
});

describe('passwords', () => {
  it('scrypt with a random salt, verified in constant time', async () => {
    const h1 = await hashPassword('pw', 1024);
    const h2 = await hashPassword('pw', 1024);
    assert.notEqual(h1, h2);
    assert.equal(await verifyPassword('pw', h1), true);
    assert.equal(await verifyPassword('pW', h1), false);
    assert.equal(await verifyPassword('pw', 'plain'), false);
    assert.equal(await verifyPassword('é'.normalize('NFD'), await hashPassword('é', 1024)), true, 'NFC-normalised');
  });
});

describe('protocol constants', () => {
  it('lists the issue\'s error codes', () => {
    for (const code of ['invalid-request', 'room-exists', 'room-not-found', 'room-full', 'invalid-password', 'not-in-room', 'rate-limited', 'unauthorized']) {
      assert.ok((ERROR_CODES as readonly string[]).includes(code), code);
    }
    assert.match('a-Z_0.9', USERID_PATTERN);
    assert.doesNotMatch('a b', USERID_PATTERN);
  });
});

describe('createSignalingServer options', () => {
  it('refuses invalid options before listening', async () => {
    for (const options of [
      { port: -1 },
      { port: 1.5 },
      { maxRoomSize: 1 },
      { defaultRoomSize: 9, maxRoomSize: 8 },
      { iceServers: [{ url: 'stun:x' }] as never },
      { rateLimit: { burst: -1 } },
      { pingInterval: 0 },
      { janusUrls: ['http://127.0.0.1:8188'] },
      { janusUrls: 'ws://127.0.0.1:8188' as never },
      { janusApiSecret: 's' },
      { janusUrls: ['ws://127.0.0.1:8188'], janusAdminKey: '' },
      { sfuRoomSize: 1 },
    ]) {
      await assert.rejects(createSignalingServer({ logLevel: 'silent', ...options }), TypeError, JSON.stringify(options));
    }
  });
});

describe('Janus options', () => {
  it('none: no Janus, SFU rooms of 50 (refused anyway)', () => {
    const config = resolveConfig({ logLevel: 'silent' });
    assert.equal(config.janus, null);
    assert.equal(config.sfuRoomSize, DEFAULT_SFU_ROOM_SIZE);
    assert.equal(DEFAULT_SFU_ROOM_SIZE, 50);
  });

  it('URLs deduplicated, secrets kept server-side, sfuRoomSize checked', () => {
    const config = resolveConfig({
      logLevel: 'silent',
      janusUrls: ['ws://127.0.0.1:8188', 'wss://janus.example/ws', 'ws://127.0.0.1:8188'],
      janusApiSecret: 'api',
      janusAdminKey: 'admin',
      sfuRoomSize: 100,
    });
    assert.deepEqual(config.janus, { urls: ['ws://127.0.0.1:8188', 'wss://janus.example/ws'], apiSecret: 'api', adminKey: 'admin' });
    assert.equal(config.sfuRoomSize, 100);
  });
});

describe('fastSignal (the relay hot path, checked without the schema)', () => {
  // A small seeded generator: the same cases on every run, many shapes per case.
  let seed = 0x5eed;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const str = (n: number) => 'x'.repeat(n);
  const weird: unknown[] = [
    undefined, null, true, 0, -1, 1.5, 1023, 1024, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, NaN, Infinity,
    '', 'a', 'c12', 'bad id!', str(64), str(65), str(256), str(257), str(1024), str(1025), str(MAX_SDP_LENGTH), str(MAX_SDP_LENGTH + 1),
    'offer', 'answer', 'pranswer', 'rollback', 'Offer', [], ['offer'], {}, { candidate: 'x' }, { type: 'offer', sdp: 'v=0' },
  ];
  const bases = (): Record<string, unknown>[] => [
    { to: 'c12', data: { candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 } } },
    { to: 'peer-1', data: { candidate: { candidate: 'candidate:1 1 udp 1 10.0.0.1 9 typ host', sdpMid: null, sdpMLineIndex: null, usernameFragment: 'abcd' } } },
    { to: 'peer-1', data: { candidate: { candidate: '' } } },
    { to: 'a.b_c-d', data: { candidate: null, session: 's1', gen: 3 } },
    { to: 'x', data: { description: { type: 'offer', sdp: 'v=0\r\n' }, session: 'abc', gen: 0 } },
    { to: 'x', data: { description: { type: 'answer', sdp: 'v=0\r\n' } } },
    { to: 'x', data: { description: { type: 'rollback', sdp: '' }, candidate: null } },
    { to: 'x', data: { description: { type: 'offer', sdp: 'v=0' }, streams: [{ streamid: 's', kind: 'camera' }] } },
    { to: 'x', data: { session: 's' } },
  ];
  /** One random change somewhere in the payload: a value replaced, a key removed or added. */
  const mutate = (root: Record<string, unknown>) => {
    let node: Record<string, unknown> = root;
    for (;;) {
      const keys = Object.keys(node);
      const key = keys.length ? pick(keys) : 'k';
      const child = node[key];
      if (child && typeof child === 'object' && !Array.isArray(child) && rnd() < 0.6) {
        node = child as Record<string, unknown>;
        continue;
      }
      const r = rnd();
      if (r < 0.6) node[key] = structuredClone(pick(weird));
      else if (r < 0.8) delete node[key];
      else node[pick(['from', 'extra', 'candidate', 'description', 'gen', 'session', 'sdpMid', 'type', 'sdp', 'streams'])] = structuredClone(pick(weird));
      return;
    }
  };

  it('accepts only what the schema accepts, with the same output; declines the rest to the schema', () => {
    let fastAccepted = 0;
    let schemaAccepted = 0;
    for (let i = 0; i < 20000; i++) {
      const payload = structuredClone(pick(bases()));
      const changes = i < 200 ? 0 : 1 + Math.floor(rnd() * 3);
      for (let k = 0; k < changes; k++) mutate(payload);
      const fast = fastSignal(payload);
      const parsed = v.safeParse(payloadSchemas.signal, payload);
      if (parsed.success) schemaAccepted++;
      if (!fast) continue;
      fastAccepted++;
      assert.ok(parsed.success, `fastSignal accepted what the schema refuses: ${JSON.stringify(payload).slice(0, 300)}`);
      // Same keys, same order: what is relayed is byte for byte the same. (The schema keeps a key
      // whose value is undefined, fastSignal drops it; payloads arrive as JSON, which has no undefined.)
      assert.equal(JSON.stringify(fast), JSON.stringify(parsed.output));
      assert.deepEqual(fast, JSON.parse(JSON.stringify(parsed.output)));
    }
    // The fast path carries the common cases (otherwise it would be dead code).
    assert.ok(fastAccepted > schemaAccepted / 2, `fast ${fastAccepted} of ${schemaAccepted} valid`);
    for (const base of bases().slice(0, 7)) assert.ok(fastSignal(base), JSON.stringify(base));
    // Streams take the schema's path.
    assert.equal(fastSignal(bases()[7]!), undefined);
  });
});
