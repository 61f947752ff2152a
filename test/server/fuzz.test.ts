// Property-based fuzzing: many random payloads, near-valid and not, across
// every event, from three connected clients sharing a few rooms. The server
// must answer each one with a well-formed ack (never internal-error), never
// drop a connection, never leak a rejection, and still work afterwards.
// Then the hostile-clients harness of the bench (bench/fuzz.mjs), 10,000
// messages: many sockets, floods, raw packets, junk handshakes, while two
// well-behaved clients relay in a room of their own.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { CLIENT_EVENTS, ERROR_CODES, ROOMID_PATTERN, type RoomJoinedPayload } from '../../src/protocol.js';
import { connectAll, metric, next, ok, raw, startServer } from './helpers.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20240611);
const USERIDS = ['fa', 'fb', 'fc'];
// socket.io-client refuses to emit these names itself.
const CLIENT_RESERVED = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);

const roomid = fc.oneof(
  { arbitrary: fc.constantFrom('f1', 'f2', 'f3'), weight: 8 },
  { arbitrary: fc.string({ maxLength: 140 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 20 }), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 1 }), weight: 1 },
);
const userid = fc.oneof(
  { arbitrary: fc.constantFrom(...USERIDS, 'nobody'), weight: 8 },
  { arbitrary: fc.string({ maxLength: 70 }), weight: 2 },
  { arbitrary: fc.jsonValue({ maxDepth: 1 }), weight: 1 },
);
const password = fc.oneof(
  { arbitrary: fc.constantFrom('pw', 'other', ''), weight: 4 },
  { arbitrary: fc.string({ maxLength: 300 }), weight: 1 },
  { arbitrary: fc.integer(), weight: 1 },
);
const extra = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 8 },
  { arbitrary: fc.constant(JSON.parse('{"a":{"__proto__":{"polluted":1}}}') as unknown), weight: 1 },
  { arbitrary: fc.constant({ constructor: { prototype: { x: 1 } } }), weight: 1 },
  { arbitrary: fc.string({ minLength: 4090, maxLength: 4100 }), weight: 1 },
);
const number = fc.oneof(fc.integer({ min: -3, max: 20 }), fc.double(), fc.string({ maxLength: 3 }));
const description = fc.record(
  {
    type: fc.oneof(fc.constantFrom('offer', 'answer', 'pranswer', 'rollback'), fc.string({ maxLength: 10 })),
    sdp: fc.oneof(
      { arbitrary: fc.string({ maxLength: 300 }), weight: 20 },
      { arbitrary: fc.constant('v'.repeat(48 * 1024 + 1)), weight: 1 },
      { arbitrary: fc.integer(), weight: 1 },
    ),
  },
  { requiredKeys: [] },
);
const candidate = fc.oneof(
  fc.constant(null),
  fc.record(
    {
      candidate: fc.oneof(fc.string({ maxLength: 120 }), fc.constant('c'.repeat(1025)), fc.integer()),
      sdpMid: fc.option(fc.string({ maxLength: 5 })),
      sdpMLineIndex: fc.option(number),
      usernameFragment: fc.option(fc.string({ maxLength: 8 })),
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue({ maxDepth: 1 }),
);
const streams = fc.array(
  fc.record(
    {
      streamid: fc.string({ maxLength: 70 }),
      kind: fc.oneof(fc.constantFrom('camera', 'screen', 'audio'), fc.string({ maxLength: 6 })),
      audioMuted: fc.oneof(fc.boolean(), fc.integer()),
      videoMuted: fc.boolean(),
    },
    { requiredKeys: ['streamid', 'kind'] },
  ),
  { maxLength: 18 },
);
const signalData = fc.record(
  { session: fc.string({ maxLength: 70 }), gen: number, description, candidate, streams, from: fc.string({ maxLength: 5 }) },
  { requiredKeys: [] },
);

const mangled: Record<(typeof CLIENT_EVENTS)[number], fc.Arbitrary<unknown>> = {
  'room:open': fc.record({ roomid, password, maxParticipants: number, extra }, { requiredKeys: [] }),
  'room:join': fc.record({ roomid, password, extra }, { requiredKeys: [] }),
  'room:open-or-join': fc.record({ roomid, password, maxParticipants: number, extra }, { requiredKeys: [] }),
  'room:presence': fc.record({ roomid }, { requiredKeys: [] }),
  'room:leave': fc.oneof(fc.constant({}), fc.jsonValue({ maxDepth: 2 })),
  signal: fc.record({ to: userid, data: fc.oneof(signalData, fc.jsonValue({ maxDepth: 2 })), from: userid }, { requiredKeys: [] }),
  custom: fc.record(
    {
      event: fc.oneof(fc.string({ maxLength: 70 }), fc.integer()),
      data: fc.oneof(
        { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 10 },
        { arbitrary: fc.string({ minLength: 16 * 1024 - 4, maxLength: 16 * 1024 + 4 }), weight: 1 },
      ),
      to: userid,
    },
    { requiredKeys: [] },
  ),
  'extra:update': fc.record({ extra }, { requiredKeys: [] }),
  'sfu:publish': fc.record({ jsep: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.record({ type: fc.string(), sdp: fc.string() })) }, { requiredKeys: [] }),
  'sfu:subscribe': fc.record({ feeds: fc.oneof(fc.array(userid), fc.jsonValue({ maxDepth: 2 })) }, { requiredKeys: [] }),
  'sfu:start': fc.record({ jsep: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] }),
  'sfu:trickle': fc.record({ target: fc.string(), candidate: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] }),
  'sfu:unpublish': fc.jsonValue({ maxDepth: 2 }),
  'sfu:layer': fc.record({ userid, streamid: fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 2 })), layer: fc.oneof(fc.constantFrom('low', 'medium', 'high'), fc.string()) }, { requiredKeys: [] }),
  'host:make': fc.record({ userid }, { requiredKeys: [] }),
  'lobby:admit': fc.record({ userid }, { requiredKeys: [] }),
  'lobby:deny': fc.record({ userid }, { requiredKeys: [] }),
  'member:mute': fc.record({ userid, kind: fc.oneof(fc.constantFrom('audio', 'video'), fc.string({ maxLength: 6 })) }, { requiredKeys: [] }),
  'member:unmute': fc.record({ kind: fc.oneof(fc.constantFrom('audio', 'video'), fc.jsonValue({ maxDepth: 1 })) }, { requiredKeys: [] }),
  'member:remove': fc.record({ userid }, { requiredKeys: [] }),
  'room:lock': fc.record({ locked: fc.oneof(fc.boolean(), fc.jsonValue({ maxDepth: 1 })) }, { requiredKeys: [] }),
  'room:end': fc.jsonValue({ maxDepth: 2 }),
};

// Valid payloads (within the limits), so the success paths run too.
const goodRoomid = fc.constantFrom('f1', 'f2', 'f3');
const goodExtra = fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined });
const goodPassword = fc.constantFrom(undefined, 'pw');
const goodSignalData = fc.oneof(
  fc.record({ description: fc.record({ type: fc.constantFrom('offer', 'answer', 'pranswer', 'rollback'), sdp: fc.string({ maxLength: 300 }) }) }),
  fc.record({
    candidate: fc.option(
      fc.record({ candidate: fc.string({ maxLength: 100 }), sdpMid: fc.option(fc.string({ maxLength: 3 })), sdpMLineIndex: fc.option(fc.nat(3)) }),
    ),
  }),
  fc.record({
    streams: fc.array(fc.record({ streamid: fc.string({ minLength: 1, maxLength: 64 }), kind: fc.constantFrom('camera', 'screen', 'audio') }), {
      maxLength: 16,
    }),
  }),
).chain((data) => fc.record({ session: fc.string({ maxLength: 64 }), gen: fc.nat() }, { requiredKeys: [] }).map((meta) => ({ ...meta, ...data })));
const goodPeer = fc.constantFrom(...USERIDS);
const valid: Record<(typeof CLIENT_EVENTS)[number], fc.Arbitrary<unknown>> = {
  'room:open': fc.record({ roomid: goodRoomid, password: goodPassword, maxParticipants: fc.integer({ min: 2, max: 10 }), extra: goodExtra }, { requiredKeys: ['roomid'] }),
  'room:join': fc.record({ roomid: goodRoomid, password: goodPassword, extra: goodExtra }, { requiredKeys: ['roomid'] }),
  'room:open-or-join': fc.record({ roomid: goodRoomid, password: goodPassword, extra: goodExtra }, { requiredKeys: ['roomid'] }),
  'room:presence': fc.record({ roomid: goodRoomid }),
  'room:leave': fc.constant({}),
  signal: fc.record({ to: goodPeer, data: goodSignalData }),
  custom: fc.record({ event: fc.string({ minLength: 1, maxLength: 64 }), data: fc.jsonValue({ maxDepth: 2 }), to: goodPeer }, { requiredKeys: ['event'] }),
  'extra:update': fc.record({ extra: fc.jsonValue({ maxDepth: 2 }) }),
  // No Janus here: these are refused (sfu-unavailable, not-in-room), never crash.
  'sfu:publish': fc.record({ jsep: fc.record({ type: fc.constant('offer'), sdp: fc.string({ minLength: 1, maxLength: 300 }) }) }),
  'sfu:subscribe': fc.record({ feeds: fc.array(goodPeer, { maxLength: 3 }) }, { requiredKeys: [] }),
  'sfu:start': fc.record({ jsep: fc.record({ type: fc.constant('answer'), sdp: fc.string({ minLength: 1, maxLength: 300 }) }) }),
  'sfu:trickle': fc.record({ target: fc.constantFrom('publisher', 'subscriber'), candidate: fc.constant(null) }),
  'sfu:unpublish': fc.constant({}),
  'sfu:layer': fc.record({ userid: goodPeer, streamid: fc.string({ minLength: 1, maxLength: 64 }), layer: fc.constantFrom('low', 'medium', 'high') }),
  'host:make': fc.record({ userid: goodPeer }),
  'lobby:admit': fc.record({ userid: goodPeer }),
  'lobby:deny': fc.record({ userid: goodPeer }),
  'member:mute': fc.record({ userid: goodPeer, kind: fc.constantFrom('audio', 'video') }),
  'member:unmute': fc.record({ kind: fc.constantFrom('audio', 'video') }),
  'member:remove': fc.record({ userid: goodPeer }),
  // Unlocking more often than locking, so joins keep succeeding.
  'room:lock': fc.record({ locked: fc.nat(3).map((n) => n === 0) }),
  'room:end': fc.constant({}),
};

const structured = Object.fromEntries(
  CLIENT_EVENTS.map((e) => [e, fc.oneof({ arbitrary: valid[e], weight: 1 }, { arbitrary: mangled[e], weight: 2 })]),
) as Record<(typeof CLIENT_EVENTS)[number], fc.Arbitrary<unknown>>;

// The sfu:* requests need Janus (sfu.test.ts); bench/fuzz.mjs throws hostile payloads at them.
// A host's member:remove and room:end disconnect their targets, which this test keeps connected: hosts.test.ts covers them.
const DISCONNECTING = new Set<string>(['member:remove', 'room:end']);
const FUZZED = CLIENT_EVENTS.filter((e) => !e.startsWith('sfu:') && !DISCONNECTING.has(e));
const knownEvent = fc.constantFrom(...FUZZED);
const anyEvent = fc.oneof(
  { arbitrary: knownEvent, weight: 8 },
  { arbitrary: fc.string({ maxLength: 20 }).filter((e) => !CLIENT_RESERVED.has(e)), weight: 1 },
  { arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'room:delete', 'admin'), weight: 1 },
);

interface Step {
  client: number;
  event: string;
  payload: unknown;
  ack: boolean;
}
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: knownEvent.chain((event) =>
      fc.record({
        client: fc.nat(2),
        event: fc.constant<string>(event),
        payload: structured[event],
        ack: fc.nat(9).map((n) => n > 0),
      }),
    ),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      client: fc.nat(2),
      event: anyEvent,
      payload: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(undefined)),
      ack: fc.boolean(),
    }),
    weight: 2,
  },
);

const ENTERING = new Set(['room:open', 'room:join', 'room:open-or-join']);

describe('fuzz', () => {
  it(`${RUNS} random payloads across all events: every ack well-formed, the server still correct afterwards`, { timeout: 120_000 }, async () => {
    const server = await startServer({ rateLimit: { burst: 1e6, perSecond: 1e6 }, passwordHashCost: 16, maxRoomSize: 2 });
    const clients = await connectAll(server, USERIDS);
    const codes = new Set<string>(ERROR_CODES);
    let answered = 0;
    const outcomes = new Map<string, number>();

    await fc.assert(
      fc.asyncProperty(step, async ({ client, event, payload, ack }) => {
        const c = clients[client]!;
        assert.ok(c.connected, `${USERIDS[client]} was disconnected`);
        if (!ack) {
          raw(c).emit(event, payload);
          return;
        }
        const res = (await raw(c).timeout(5000).emitWithAck(event, payload)) as Record<string, unknown>;
        answered++;
        const outcome = `${(CLIENT_EVENTS as readonly string[]).includes(event) ? event : '(unknown)'} ${res.ok === true ? 'ok' : (res.error as { code: string } | undefined)?.code}`;
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        assert.equal(typeof res, 'object');
        assert.equal(typeof res.ok, 'boolean');
        if (res.ok === false) {
          const error = res.error as { code: string; message: string };
          assert.ok(codes.has(error.code), `unknown code ${error.code}`);
          assert.notEqual(error.code, 'internal-error', `${event} ${JSON.stringify(payload)?.slice(0, 300)} -> ${error.message}`);
          assert.equal(typeof error.message, 'string');
          assert.ok(error.message.length <= 300);
        } else {
          assert.ok((CLIENT_EVENTS as readonly string[]).includes(event), `unknown event ${event} succeeded`);
          if (ENTERING.has(event)) {
            const joined = res as unknown as RoomJoinedPayload;
            assert.equal(joined.userid, USERIDS[client]);
            assert.match(joined.roomid, ROOMID_PATTERN);
            assert.ok(joined.peers.every((p) => USERIDS.includes(p.userid) && p.userid !== joined.userid));
          }
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    assert.ok(answered > RUNS / 2);
    if (process.env.FUZZ_VERBOSE) console.log([...outcomes].sort());
    // The generators reach the success path of every event, and the main refusals.
    // (lobby:admit and lobby:deny need a lobby, which these rooms do not have: their refusals run. member:mute
    // succeeds only from a host to another member of its room: rarer.)
    for (const event of FUZZED.filter((e) => e !== 'lobby:admit' && e !== 'lobby:deny')) {
      const min = event === 'member:mute' ? 3 : 10;
      assert.ok((outcomes.get(`${event} ok`) ?? 0) >= min, `${event} ok: ${outcomes.get(`${event} ok`)}`);
    }
    for (const code of ['forbidden', 'room-locked']) assert.ok([...outcomes].some(([k, n]) => k.endsWith(` ${code}`) && n > 0), code);
    for (const code of ['invalid-request', 'room-exists', 'room-not-found', 'room-full', 'invalid-password', 'not-in-room', 'already-in-room', 'peer-not-found']) {
      assert.ok([...outcomes].some(([k, n]) => k.endsWith(` ${code}`) && n > 0), code);
    }

    // Every fuzz client is still connected, and the store agrees with the sockets.
    for (const c of clients) assert.ok(c.connected);
    const inRooms = [...server.io.sockets.sockets.values()].filter((s) => s.data.roomid !== null);
    assert.equal((await server.store.stats()).members, inRooms.length);
    for (const s of inRooms) assert.equal((await server.store.member(s.data.roomid!, s.data.userid))?.connId, s.id);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.ok((await metric(server, 'rtc_messages_rejected_total', 'reason="invalid-request"')) > 100);

    // And it still works for newcomers.
    const [x, y] = await connectAll(server, ['x', 'y']);
    await ok(x!, 'room:open', { roomid: 'after-fuzz', password: 'pw' });
    const joinedX = next(x!, 'peer:join');
    const joined = (await ok(y!, 'room:join', { roomid: 'after-fuzz', password: 'pw' })) as unknown as RoomJoinedPayload;
    assert.deepEqual(joined.peers, [{ userid: 'x', extra: {}, role: 'host' }]);
    await joinedX;
    const signal = next(x!, 'signal');
    await ok(y!, 'signal', { to: 'x', data: { candidate: null } });
    assert.deepEqual(await signal, { from: 'y', data: { candidate: null } });
  });
});

describe('hostile clients at scale (bench/fuzz.mjs)', () => {
  const messages = Number(process.env.FUZZ_SCALE_MESSAGES ?? 10_000);
  /**
   * Measured while only the good pair runs (Linux PSI): above this share of
   * time with tasks waiting for a CPU, other work keeps the machine too busy
   * to judge latency (an idle machine shows a few per cent).
   */
  const MAX_QUIET_CPU_PRESSURE = 0.1;
  let result: { pass: boolean; rows: { metric: string; ours: string; verdict: string }[]; data: FuzzData } | undefined;
  let summary = '';

  before(async () => {
    // This file runs from build/test/server/; the harness drives the built server (dist/).
    const harness = (await import(new URL('../../../bench/fuzz.mjs', import.meta.url).href)) as {
      run(options: Record<string, unknown>): Promise<NonNullable<typeof result>>;
    };
    result = await harness.run({ messages });
    const d = result.data;
    summary = `${result.rows.map((r) => `${r.verdict} ${r.metric}: ${r.ours}`).join('\n')}\nCPU pressure ${d.cpuPressure} (alone ${d.cpuPressureQuiet}), load average ${d.loadAverage.join(', ')}`;
  }, { timeout: 180_000 });

  it(`${messages} messages from 64 sockets: no crash, no rejection, no bad ack, the good pair unharmed, memory back`, () => {
    const data = result!.data;
    assert.equal(data.crashes, 0, `${data.crash}\n${summary}`);
    assert.equal(data.unhandledRejections, 0, summary);
    assert.equal(data.malformedAcks + data.internalErrors, 0, `${JSON.stringify(data.malformedExamples)}\n${summary}`);
    assert.equal(data.prototypeChanged, false);
    assert.deepEqual([data.good.lost, data.good.foreign, data.good.disconnects, data.good.errors], [0, 0, 0, 0], summary);
    assert.ok(data.memory.growth <= 0.1, summary);
    assert.ok(data.sent >= messages);
    // Every kind of hostility ran, and the success paths too.
    for (const kind of ['emit', 'raw', 'handshake', 'flood', 'oversized']) assert.ok((data.kinds[kind] ?? 0) > 0, kind);
    for (const event of ['room:open', 'room:join', 'signal', 'custom', 'extra:update', 'room:presence']) {
      assert.ok(Object.keys(data.outcomes).some((k) => k.startsWith(`${event} ok`) || (event === 'room:open' && k === 'room:open-or-join ok')), `${event} ok`);
    }
    assert.ok((data.outcomes['handshake unauthorized'] ?? 0) > 0);
    assert.equal(data.outcomes['handshake accepted'] ?? 0, 0, 'junk handshakes never get in');
  });

  it('the good pair\'s relay p95 stays under 50 ms (judged when the machine is not busy with other work)', (t) => {
    const data = result!.data;
    if (data.cpuPressureQuiet !== null && data.cpuPressureQuiet > MAX_QUIET_CPU_PRESSURE) {
      t.diagnostic(summary);
      t.skip(`other work kept this machine's CPUs busy (tasks waiting ${Math.round(data.cpuPressureQuiet * 100)} % of the time before the attack): p95 ${data.good.p95.toFixed(1)} ms not judged`);
      return;
    }
    assert.ok(data.good.p95 < 50, summary);
    assert.ok(result!.pass, summary);
  });
});

interface FuzzData {
  sent: number;
  kinds: Record<string, number>;
  outcomes: Record<string, number>;
  crashes: number;
  crash: string | null;
  unhandledRejections: number;
  malformedAcks: number;
  internalErrors: number;
  malformedExamples: unknown[];
  prototypeChanged: boolean;
  loadAverage: number[];
  cpuPressure: number | null;
  cpuPressureQuiet: number | null;
  good: { lost: number; foreign: number; disconnects: number; errors: number; p95: number };
  memory: { growth: number };
}
