// Hostile clients at scale (issue 8): fast-check generates messages across
// every client event (and unknown ones) with oversized, deeply nested,
// prototype-polluting, wrongly typed, unicode and binary payloads, raw
// malformed packets, floods, oversized packets and junk handshakes, sent
// from 64 sockets at once (1,000 messages/s by default, floods far above),
// while two well-behaved clients keep relaying in a room of their own.
//
// Three processes, so that what is measured is not disturbed by who measures:
//   host   the signaling server from dist/ (production defaults, room tokens
//          on), started with --expose-gc; reports memory after GC, unhandled
//          rejections, event-loop delay, CPU, and whether Object.prototype changed
//   good   the two well-behaved clients: one message each way every 40 ms,
//          one-way latency on one clock (also measured alone, before the attack)
//   this   the hostile sockets and the generator
//
// Pass: no crash, no unhandled rejection, no malformed ack or internal-error,
// junk handshakes never accepted, the good pair loses nothing, sees no
// stranger and keeps its relay p95 under 50 ms, and the server's heap after
// GC returns to within 10% of its value after the warm-up (cold start shown
// for information: the difference is mostly code compiled during the
// warm-up). CPU pressure (Linux PSI) is reported: on a machine busy with
// other work the latency says more about the machine than the server.
//
//   import { run, fuzzRows } from './fuzz.mjs';
//   const { pass, rows, data } = await run({ messages: 100_000 });   // rows: the bench's summary-row shape
//   node bench/fuzz.mjs [--messages N] [--sockets N] [--rate N] [--seed N] [--warmup N]   (standalone)
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const FILE = fileURLToPath(import.meta.url);
const ROOT = dirname(dirname(FILE));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const GOOD_ROOM = 'good-room';
const GOOD_PASSWORD = 'good-password';
const GOOD_USERS = ['good-a', 'good-b'];
const ROOM_POOL = ['f1', 'f2', 'f3', 'f4', 'f5', 'f6'];
/** socket.io-client refuses to emit these itself. */
const CLIENT_RESERVED = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);

export const DEFAULTS = {
  /** Hostile messages to send (a flood of n counts n; a handshake counts 1). */
  messages: 100_000,
  /** Hostile sockets connected at once (plus short-lived handshake probes). */
  sockets: 64,
  /** Target hostile messages per second, all sockets together. */
  rate: 1000,
  seed: 20240611,
  /** Hostile messages sent before the baseline is taken (JIT, caches). */
  warmup: 10_000,
  /** The warm-up runs faster: it only has to make V8 compile the paths the run takes. */
  warmupRate: 3000,
  latencyTargetMs: 50,
  memoryTolerance: 0.1,
  /** How long the good pair relays alone, for the quiet baseline (ms). */
  quietMs: 2000,
  /** Extra createSignalingServer options for the host (JSON-safe). */
  serverOptions: {},
  /** Relative weights of the kinds of action: { emit, raw, handshake, oversized, flood } (0 leaves one out). */
  mix: {},
  /** Keep the server's heap snapshots (baseline, end) here, to see what a memory miss holds. */
  snapshotDir: undefined,
  /** Extra node flags for the host, e.g. ['--cpu-prof'] to see where its time goes. */
  hostExecArgv: [],
  log: () => {},
};

// ---------------------------------------------------------------------------
// The parent: run()

/**
 * Runs the harness; resolves with `{ pass, rows, data }`: `rows` in the
 * bench's summary-row shape ({ part, metric, ours, baseline, ratio, target,
 * verdict }), `data` the raw figures (what `fuzzRows(data)` turns back into
 * rows, e.g. from results.json).
 */
export async function run(options = {}) {
  const cfg = { ...DEFAULTS, ...options };
  const log = cfg.log;
  const fc = (await import('fast-check')).default;
  const { io } = await import('socket.io-client');
  const { SignJWT } = await import('jose');
  const { CLIENT_EVENTS, ERROR_CODES } = await import(pathToFileURL(join(ROOT, 'dist/protocol.js')).href);
  const codes = new Set(ERROR_CODES);

  const secret = randomBytes(32).toString('base64url');
  const key = new TextEncoder().encode(secret);
  const mint = (sub, claims = {}) =>
    new SignJWT({ room: '*', ...claims }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime('2h').sign(key);

  const started = performance.now();
  const snapshotDir = cfg.snapshotDir ?? mkdtempSync(join(tmpdir(), 'rtc-fuzz-'));
  const host = child(['--fuzz-host', JSON.stringify({ tokenSecret: secret, ...cfg.serverOptions })], ['--expose-gc', ...cfg.hostExecArgv]);
  let good;
  const stats = newStats();
  const pool = [];
  try {
    const { port } = await host.next('ready', 20_000);
    log(`  fuzz: server up (${Math.round(performance.now() - started)} ms)`);
    const url = `http://127.0.0.1:${port}`;
    const memCold = await host.ask('mem');
    good = child(['--fuzz-good', JSON.stringify({ url, tokens: [await mint(GOOD_USERS[0], { room: GOOD_ROOM }), await mint(GOOD_USERS[1], { room: GOOD_ROOM })] })]);
    await good.next('ready', 20_000);

    // Hostile sockets: valid tokens (authenticated but malicious users), some without permissions.
    const tokens = [];
    for (let i = 0; i < cfg.sockets; i++) tokens.push(await mint(`h${i}`, i % 4 === 0 ? { permissions: [] } : i % 4 === 1 ? { permissions: ['data'] } : {}));
    const open = (i) => {
      const transports = i % 8 === 7 ? ['polling'] : ['websocket'];
      const socket = io(url, { transports, forceNew: true, reconnection: false, timeout: 10_000, auth: { token: tokens[i] } });
      const slot = { socket, live: false, connecting: true };
      socket.on('connect', () => {
        slot.live = true;
        slot.connecting = false;
      });
      socket.on('connect_error', () => {
        slot.connecting = false;
        stats.hostileConnectErrors++;
      });
      socket.on('disconnect', (reason) => {
        slot.live = false;
        stats.disconnects[reason] = (stats.disconnects[reason] ?? 0) + 1;
      });
      socket.onAny(() => stats.eventsReceived++);
      pool[i] = slot;
      return slot;
    };
    const connectPool = async () => {
      for (let i = 0; i < cfg.sockets; i++) if (!pool[i] || (!pool[i].live && !pool[i].connecting)) open(i);
      for (let t = 0; t < 200 && pool.some((s) => s.connecting); t++) await sleep(25);
    };
    const closePool = async () => {
      for (const slot of pool) slot?.socket.disconnect();
      pool.length = 0;
      for (let t = 0; t < 100 && stats.probesPending > 0; t++) await sleep(20);
    };

    const arb = actionArbitrary(fc, CLIENT_EVENTS, cfg.sockets, cfg.mix);
    const ctx = { cfg, fc, io, url, pool, open, stats, codes, arb, log, stopped: () => host.exited() };

    // Warm-up, then the baseline.
    await connectPool();
    await drive(ctx, cfg.warmup, cfg.seed ^ 0x5a5a, cfg.warmupRate);
    await closePool();
    await sleep(1500);
    const memBase = (await host.tryAsk('mem')) ?? memCold;
    const dataBase = await heapData(host, snapshotDir, 'baseline');
    const warmupStats = { ...stats, disconnects: { ...stats.disconnects }, outcomes: { ...stats.outcomes } };
    resetStats(stats);
    log(`  fuzz: baseline heap ${mb(memBase.heapUsed)} MB after ${cfg.warmup} warm-up messages (cold: ${mb(memCold.heapUsed)} MB)`);

    // The good pair alone: what this machine gives without hostile traffic.
    good.send({ type: 'window', on: true });
    const quietPressure0 = cpuPressure();
    const quietT0 = performance.now();
    await sleep(cfg.quietMs);
    const quietPressure = pressureShare(quietPressure0, cpuPressure(), (performance.now() - quietT0) / 1000);
    good.send({ type: 'window', on: false });
    await sleep(200);
    const quiet = await good.ask('report', {}, 10_000);

    // The run.
    await connectPool();
    await host.tryAsk('mark');
    good.send({ type: 'window', on: true });
    const t0 = performance.now();
    log(`  fuzz: ${cfg.sockets} hostile sockets connected; sending ${cfg.messages} messages (${Math.round(t0 - started)} ms)`);
    const cpu0 = process.cpuUsage();
    const pressure0 = cpuPressure();
    await drive(ctx, cfg.messages, cfg.seed);
    const pressure1 = cpuPressure();
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = process.cpuUsage(cpu0);
    const attackerCpu = (cpu1.user + cpu1.system) / 1e6 / seconds;
    good.send({ type: 'window', on: false });
    await sleep(300);
    const goodReport = await good.ask('report', {}, 10_000);
    const hostMid = (await host.tryAsk('stats')) ?? DEAD_HOST;
    await closePool();
    await sleep(1500);
    const memEnd = (await host.tryAsk('mem')) ?? { heapUsed: NaN, rss: NaN };
    const dataEnd = await heapData(host, snapshotDir, 'end');
    const hostEnd = (await host.tryAsk('stats')) ?? DEAD_HOST;

    // Still serving: a newcomer opens a room and the good pair still relays.
    const health = await fetch(`${url}/healthz`).then((r) => r.status, () => 0);
    const late = await good.ask('report', {}, 10_000);

    const data = {
      config: { messages: cfg.messages, sockets: cfg.sockets, rate: cfg.rate, seed: cfg.seed, warmup: cfg.warmup },
      seconds: round(seconds, 1),
      totalSeconds: round((performance.now() - started) / 1000, 1),
      sent: stats.sent,
      sentPerSecond: round(stats.sent / seconds),
      kinds: stats.kinds,
      acks: stats.acks,
      outcomes: stats.outcomes,
      malformedAcks: stats.malformedAcks,
      malformedExamples: stats.malformedExamples,
      internalErrors: stats.internalErrors,
      hostileDisconnects: stats.disconnects,
      hostileReconnects: stats.reconnects,
      probes: stats.probes,
      eventsReceived: stats.eventsReceived,
      warmupSent: warmupStats.sent,
      crashes: host.exited() ? 1 : 0,
      crash: host.crashMessage(),
      unhandledRejections: Math.max(hostEnd.unhandledRejections, host.unhandled()),
      prototypeChanged: hostEnd.prototypeChanged,
      healthAfter: health,
      serverSocketsDuring: hostMid.sockets,
      serverCpuDuring: round(hostMid.cpu, 2),
      attackerCpuDuring: round(attackerCpu, 2),
      // Share of the run during which some task on this machine waited for a CPU
      // (Linux PSI): high values mean the latency says more about the machine than the server.
      cpuPressure: pressureShare(pressure0, pressure1, seconds),
      // The same while only the good pair runs: other work on this machine.
      cpuPressureQuiet: quietPressure,
      generateMs: round(stats.generateMs),
      serverEventLoopDuring: { p50: round(hostMid.eventLoop.p50, 1), p99: round(hostMid.eventLoop.p99, 1), max: round(hostMid.eventLoop.max, 1) },
      loadAverage: loadavg().map((x) => round(x, 2)),
      serverSocketsAfter: hostEnd.sockets,
      roomsAfter: hostEnd.rooms,
      quiet: { n: quiet.n, p50: round(quiet.p50, 2), p95: round(quiet.p95, 2), max: round(quiet.max, 1) },
      good: { ...goodReport, stillRelaying: late.received > goodReport.received, lost: late.lost, foreign: late.foreign, disconnects: late.disconnects },
      memory: {
        heapCold: memCold.heapUsed,
        heapBaseline: memBase.heapUsed,
        heapEnd: memEnd.heapUsed,
        rssBaseline: memBase.rss,
        rssEnd: memEnd.rss,
        heapGrowth: (memEnd.heapUsed - memBase.heapUsed) / memBase.heapUsed,
        // From heap snapshots: what the server holds (objects, strings, arrays,
        // closures …), without V8's code (bytecode, machine code and their
        // metadata), which keeps growing for a while as more paths get optimised.
        dataBaseline: dataBase.data,
        dataEnd: dataEnd.data,
        codeBaseline: dataBase.code,
        codeEnd: dataEnd.code,
        growth: (dataEnd.data - dataBase.data) / dataBase.data,
      },
      targets: { latencyP95Ms: cfg.latencyTargetMs, memoryTolerance: cfg.memoryTolerance },
    };
    data.pass = verdicts(data).every(([, ok]) => ok);
    return { pass: data.pass, rows: fuzzRows(data), data };
  } finally {
    for (const slot of pool) slot?.socket.disconnect();
    if (good) await good.close();
    await host.close();
    if (!cfg.snapshotDir) rmSync(snapshotDir, { recursive: true, force: true });
  }
}

/**
 * The server's heap after GC from a heap snapshot, split into V8 code
 * (node type "code": bytecode, machine code, feedback and their metadata)
 * and everything else (what the program holds).
 */
async function heapData(host, dir, name) {
  const reply = await host.tryAsk('snapshot', { path: join(dir, `${name}.heapsnapshot`) }, 120_000);
  if (!reply) return { data: NaN, code: NaN };
  const snap = JSON.parse(readFileSync(reply.path, 'utf8'));
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [iType, iSize, n] = [fields.indexOf('type'), fields.indexOf('self_size'), fields.length];
  let data = 0;
  let code = 0;
  for (let i = 0; i < snap.nodes.length; i += n) {
    if (types[snap.nodes[i + iType]] === 'code') code += snap.nodes[i + iSize];
    else data += snap.nodes[i + iSize];
  }
  return { data, code };
}

/** What a crashed host "reports". */
const DEAD_HOST = { unhandledRejections: 0, prototypeChanged: false, sockets: 0, rooms: 0, cpu: NaN, eventLoop: { p50: NaN, p99: NaN, max: NaN } };

function verdicts(d) {
  return [
    ['messages', d.sent >= d.config.messages],
    ['crashes', d.crashes === 0],
    ['unhandled', d.unhandledRejections === 0],
    ['acks', d.malformedAcks === 0 && d.internalErrors === 0],
    ['prototype', !d.prototypeChanged],
    ['health', d.healthAfter === 200],
    ['good', d.good.lost === 0 && d.good.foreign === 0 && d.good.disconnects === 0 && d.good.errors === 0 && d.good.stillRelaying],
    ['latency', d.good.p95 < d.targets.latencyP95Ms],
    ['memory', d.memory.growth <= d.targets.memoryTolerance],
  ];
}

/** The summary rows for `data` (from run(), or from results.json). */
export function fuzzRows(d) {
  const v = Object.fromEntries(verdicts(d));
  const pf = (ok) => (ok ? 'PASS' : 'MISS');
  const row = (metric, ours, baseline, ratio, target, verdict) => ({ part: 'fuzz', metric, ours: String(ours), baseline, ratio, target, verdict });
  const KB = 1024;
  return [
    row(`hostile messages (${d.config.sockets} sockets, ${d.seconds} s)`, d.sent, '—', '—', `≥ ${d.config.messages}`, pf(v.messages)),
    row('server crashes / unhandled rejections', `${d.crashes} / ${d.unhandledRejections}`, '—', '—', '0 / 0', pf(v.crashes && v.unhandled)),
    row('malformed acks / internal-error acks', `${d.malformedAcks} / ${d.internalErrors}`, `${d.acks} acks`, '—', '0 / 0', pf(v.acks)),
    row('good pair: lost / strangers seen / disconnects', `${d.good.lost} / ${d.good.foreign} / ${d.good.disconnects}`, `${d.good.received} relayed`, '—', '0 / 0 / 0', pf(v.good)),
    row(`good pair relay latency p95 under attack (ms, n=${d.good.n})`, fmt(d.good.p95, 1), `${fmt(d.quiet?.p95, 1)} (alone)`, fmt(d.good.p95 / d.quiet?.p95, 1), `< ${d.targets.latencyP95Ms} ms`, pf(v.latency)),
    row('CPU pressure: share of time a task waited for a CPU (Linux PSI)', `${fmt((d.cpuPressure ?? NaN) * 100, 0)} % under attack`, `${fmt((d.cpuPressureQuiet ?? NaN) * 100, 0)} % alone, load ${d.loadAverage?.[0] ?? 'n/a'}`, '—', '—', 'info'),
    row('good pair relay latency p50 under attack (ms)', fmt(d.good.p50, 1), `${fmt(d.quiet?.p50, 1)} (alone)`, fmt(d.good.p50 / d.quiet?.p50, 1), '—', 'info'),
    row('server heap data after GC (snapshot, V8 code excluded), end vs after warm-up (KB)', fmt(d.memory.dataEnd / KB), fmt(d.memory.dataBaseline / KB), fmt(1 + d.memory.growth, 3), `≤ ${1 + d.targets.memoryTolerance} ×`, pf(v.memory)),
    row('server V8 code (bytecode, machine code), end vs after warm-up (KB)', fmt(d.memory.codeEnd / KB), fmt(d.memory.codeBaseline / KB), fmt(d.memory.codeEnd / d.memory.codeBaseline, 3), '—', 'info'),
    row('server heap after GC, all, end vs after warm-up (KB)', fmt(d.memory.heapEnd / KB), fmt(d.memory.heapBaseline / KB), fmt(1 + d.memory.heapGrowth, 3), '—', 'info'),
    row('server heap after GC, end vs cold start (KB)', fmt(d.memory.heapEnd / KB), fmt(d.memory.heapCold / KB), fmt(d.memory.heapEnd / d.memory.heapCold, 3), '—', 'info'),
  ];
}

// ---------------------------------------------------------------------------
// Generators

/** Builds `{ a: { a: … } }` or `[[…]]` `depth` deep, without recursion. */
function nest(depth, kind) {
  let v = 1;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
}

const POISON_TEXTS = [
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  '{"prototype":{"polluted":1}}',
  '{"a":{"b":{"__proto__":{"polluted":1}}}}',
  '{"roomid":"f1","__proto__":{"roomid":"good-room"}}',
  '{"to":"good-a","__proto__":{"to":"good-b"},"data":{"candidate":null}}',
  '{"event":"x","data":{"__proto__":{"isAdmin":true}}}',
  '{"extra":{"constructor":{"name":"x"}}}',
  '[{"__proto__":[]}]',
  '{"__proto__":null}',
  '{"hasOwnProperty":1,"toString":"x","valueOf":{}}',
];

function actionArbitrary(fc, events, sockets, mix = {}) {
  const unicodeString = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.constantFrom('\u0000', 'ｆ１', 'f1\u200b', 'f\u0301', '\ud800', '🙂'.repeat(40), 'ℌ', 'A'.repeat(65), 'good\u2010a', 'ɡood-a'),
  );
  const binary = fc.uint8Array({ maxLength: 96 }).map((a) => Buffer.from(a));
  const poison = fc.constantFrom(...POISON_TEXTS).map((t) => JSON.parse(t));
  const deep = fc.tuple(fc.integer({ min: 15, max: 1500 }), fc.constantFrom('array', 'object')).map(([d, k]) => nest(d, k));
  const big = fc.integer({ min: 4 * 1024, max: 60 * 1024 }).map((n) => 'x'.repeat(n));
  const junk = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.bigInt().map(String), fc.array(fc.integer(), { maxLength: 5 }));
  const json = fc.jsonValue({ maxDepth: 3 });
  const value = fc.oneof(
    { arbitrary: json, weight: 8 },
    { arbitrary: binary, weight: 1 },
    { arbitrary: poison, weight: 1 },
    { arbitrary: deep, weight: 1 },
    { arbitrary: big, weight: 1 },
    { arbitrary: unicodeString, weight: 2 },
    { arbitrary: junk, weight: 2 },
  );
  const roomid = fc.oneof(
    { arbitrary: fc.constantFrom(...ROOM_POOL), weight: 10 },
    { arbitrary: fc.constantFrom(GOOD_ROOM, '__proto__', 'constructor', 'toString', ''), weight: 1 },
    { arbitrary: unicodeString, weight: 2 },
    { arbitrary: value, weight: 1 },
  );
  const userid = fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: sockets - 1 }).map((i) => `h${i}`), weight: 8 },
    { arbitrary: fc.constantFrom(...GOOD_USERS, 'nobody', '__proto__'), weight: 2 },
    { arbitrary: unicodeString, weight: 1 },
    { arbitrary: value, weight: 1 },
  );
  const password = fc.oneof(fc.constantFrom(undefined, '', 'pw', GOOD_PASSWORD), fc.string({ maxLength: 300 }), junk);
  const sdp = fc.oneof(
    { arbitrary: fc.string({ maxLength: 200 }), weight: 3 },
    { arbitrary: fc.constantFrom('v=0\r\nm=audio 9 RTP/AVP 0\r\na=sendrecv\r\n', 'v=0\r\nm=video 9 RTP/AVP 96\r\na=recvonly\r\na=candidate:1 1 udp 1 10.0.0.1 9 typ host\r\n'), weight: 1 },
    { arbitrary: fc.constant('s'.repeat(48 * 1024 + 1)), weight: 1 },
    { arbitrary: junk, weight: 1 },
  );
  const candidate = fc.oneof(
    fc.constant(null),
    fc.record(
      {
        candidate: fc.oneof(fc.string({ maxLength: 120 }), fc.constant('candidate:1 1 udp 1 10.0.0.9 5000 typ host'), fc.constant('c'.repeat(1025)), junk),
        sdpMid: fc.oneof(fc.string({ maxLength: 8 }), junk),
        sdpMLineIndex: fc.oneof(fc.integer({ min: -2, max: 2000 }), junk),
        usernameFragment: fc.oneof(fc.string({ maxLength: 300 }), junk),
      },
      { requiredKeys: [] },
    ),
    value,
  );
  const streams = fc.oneof(
    fc.array(fc.record({ streamid: fc.oneof(fc.string({ maxLength: 70 }), junk), kind: fc.oneof(fc.constantFrom('camera', 'screen', 'audio'), unicodeString), audioMuted: fc.oneof(fc.boolean(), junk) }, { requiredKeys: [] }), { maxLength: 20 }),
    value,
  );
  const signalData = fc.oneof(
    fc.record(
      {
        session: fc.oneof(fc.string({ maxLength: 70 }), junk),
        gen: fc.oneof(fc.nat(), junk),
        description: fc.oneof(fc.record({ type: fc.oneof(fc.constantFrom('offer', 'answer', 'pranswer', 'rollback'), unicodeString), sdp }, { requiredKeys: [] }), value),
        candidate,
        streams,
        from: userid,
      },
      { requiredKeys: [] },
    ),
    value,
  );
  const extra = fc.oneof({ arbitrary: json, weight: 4 }, { arbitrary: value, weight: 2 });
  const maxParticipants = fc.oneof(fc.integer({ min: -5, max: 2000 }), junk);
  const payloads = {
    'room:open': fc.record({ roomid, password, maxParticipants, extra }, { requiredKeys: [] }),
    'room:join': fc.record({ roomid, password, extra }, { requiredKeys: [] }),
    'room:open-or-join': fc.record({ roomid, password, maxParticipants, extra }, { requiredKeys: [] }),
    'room:presence': fc.record({ roomid }, { requiredKeys: [] }),
    'room:leave': fc.oneof(fc.constant({}), value),
    signal: fc.record({ to: userid, data: signalData, from: userid }, { requiredKeys: [] }),
    custom: fc.record({ event: fc.oneof(fc.string({ maxLength: 70 }), unicodeString, junk), data: value, to: userid }, { requiredKeys: [] }),
    'extra:update': fc.record({ extra }, { requiredKeys: [] }),
  };
  // Well-formed ones too, so the success paths (rooms filling, relaying to members) run under the storm.
  const goodRoomid = fc.constantFrom(...ROOM_POOL);
  const goodPeer = fc.integer({ min: 0, max: sockets - 1 }).map((i) => `h${i}`);
  const goodPassword = fc.constantFrom(undefined, 'pw');
  const goodExtra = fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined });
  const valid = {
    'room:open': fc.record({ roomid: goodRoomid, password: goodPassword, maxParticipants: fc.integer({ min: 2, max: 8 }), extra: goodExtra }, { requiredKeys: ['roomid'] }),
    'room:join': fc.record({ roomid: goodRoomid, password: goodPassword, extra: goodExtra }, { requiredKeys: ['roomid'] }),
    'room:open-or-join': fc.record({ roomid: goodRoomid, password: goodPassword, extra: goodExtra }, { requiredKeys: ['roomid'] }),
    'room:presence': fc.record({ roomid: goodRoomid }),
    'room:leave': fc.constant({}),
    signal: fc.record({
      to: goodPeer,
      data: fc.oneof(
        fc.record({ candidate: fc.constant({ candidate: 'candidate:1 1 udp 1 h.local 9 typ host', sdpMid: '0', sdpMLineIndex: 0 }) }),
        fc.record({ description: fc.record({ type: fc.constantFrom('offer', 'answer'), sdp: fc.constantFrom('v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n', 'v=0\r\nm=audio 9 RTP/AVP 0\r\na=sendrecv\r\n') }) }),
        fc.record({ streams: fc.array(fc.record({ streamid: fc.string({ minLength: 1, maxLength: 64 }), kind: fc.constantFrom('camera', 'screen', 'audio') }), { maxLength: 4 }) }),
      ),
    }),
    custom: fc.record({ event: fc.string({ minLength: 1, maxLength: 64 }), data: fc.jsonValue({ maxDepth: 2 }), to: goodPeer }, { requiredKeys: ['event'] }),
    'extra:update': fc.record({ extra: fc.jsonValue({ maxDepth: 2 }) }),
  };
  const payloadFor = (event) =>
    Object.hasOwn(payloads, event)
      ? fc.oneof({ arbitrary: valid[event], weight: 3 }, { arbitrary: payloads[event], weight: 5 }, { arbitrary: poison, weight: 1 }, { arbitrary: value, weight: 1 })
      : value;
  const eventName = fc.oneof(
    { arbitrary: fc.constantFrom(...events), weight: 12 },
    { arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'room:delete', 'admin', 'peer:join', 'signal ', ''), weight: 1 },
    { arbitrary: unicodeString.filter((e) => !CLIENT_RESERVED.has(e)), weight: 1 },
  );
  const socket = fc.integer({ min: 0, max: sockets - 1 });

  const emit = eventName.chain((event) =>
    fc.record({
      kind: fc.constant('emit'),
      socket,
      event: fc.constant(event),
      payload: payloadFor(event),
      extraArgs: fc.oneof({ arbitrary: fc.constant([]), weight: 9 }, { arbitrary: fc.array(value, { minLength: 1, maxLength: 2 }), weight: 1 }),
      ack: fc.oneof({ arbitrary: fc.constant(true), weight: 5 }, { arbitrary: fc.constant(false), weight: 1 }),
    }),
  );
  const deepText = (n) => `${'['.repeat(n)}1${']'.repeat(n)}`;
  const rawPacket = fc.oneof(
    fc.constantFrom(
      '2',
      '2[',
      '2{"a":1}',
      '2[]',
      '2[null]',
      '2[1,2,3]',
      '2["room:open"]',
      '2["room:open",{"roomid":"f1"},"x"]',
      '3',
      '3[]',
      '399999999999999999999[{}]',
      '2999999999999999999999["room:presence",{"roomid":"f1"}]',
      '0/admin,',
      '0/admin,{"token":"x"}',
      '2/admin,["room:open",{"roomid":"f1"}]',
      '51-["custom",{"event":"b","data":{"_placeholder":true,"num":0}}]',
      '51-["custom",{"event":"b","data":{"_placeholder":true,"num":7}}]',
      '5-1["custom",{}]',
      '6',
      '7["x"]',
      '2["__proto__",{}]',
      '2["constructor",{"roomid":"f1"}]',
      '2["room:open",{"__proto__":{"roomid":"good-room"}}]',
      `2["room:presence",${deepText(3000)}]`,
      `2["custom",{"event":"d","data":${deepText(20000)}}]`,
      'x'.repeat(1000),
      '',
    ),
    fc.string({ maxLength: 60 }).map((s) => `2${s}`),
    fc.string({ unit: 'binary', maxLength: 60 }),
  );
  const raw = fc.record({ kind: fc.constant('raw'), socket, text: rawPacket, attachment: fc.option(binary, { nil: undefined }) });
  const flood = fc.record({
    kind: fc.constant('flood'),
    socket,
    count: fc.integer({ min: 220, max: 500 }),
    event: fc.constantFrom('room:presence', 'signal', 'custom', 'extra:update', 'nope'),
  });
  const handshake = fc.record({
    kind: fc.constant('handshake'),
    auth: fc.oneof(
      fc.record(
        {
          token: fc.oneof(
            fc.string({ maxLength: 200 }),
            fc.constantFrom('eyJhbGciOiJub25lIn0.eyJzdWIiOiJnb29kLWEiLCJyb29tIjoiKiJ9.', 'a.b.c', '...', 'x'.repeat(5000)),
            fc.tuple(fc.base64String({ maxLength: 60 }), fc.base64String({ maxLength: 200 }), fc.base64String({ maxLength: 60 })).map((p) => p.join('.')),
            binary,
            junk,
          ),
          userid: userid,
          extra: extra,
        },
        { requiredKeys: [] },
      ),
      poison,
      value,
    ),
    transport: fc.constantFrom('websocket', 'polling'),
  });
  const oversized = fc.record({ kind: fc.constant('oversized'), socket, size: fc.integer({ min: 65 * 1024, max: 100 * 1024 }) });
  // Weighted by messages: floods (~360 messages each) make up about a tenth.
  // Most raw packets and every oversized one end their connection, so they
  // stay rare enough that sockets live long enough to get into rooms.
  const w = { emit: 3000, raw: 40, handshake: 40, oversized: 6, flood: 1, ...mix };
  const kinds = { emit, raw, handshake, oversized, flood };
  return fc.oneof(...Object.entries(kinds).filter(([k]) => w[k] > 0).map(([k, arbitrary]) => ({ arbitrary, weight: w[k] })));
}

// ---------------------------------------------------------------------------
// Sending

function newStats() {
  return {
    sent: 0,
    kinds: {},
    acks: 0,
    outcomes: {},
    malformedAcks: 0,
    malformedExamples: [],
    internalErrors: 0,
    disconnects: {},
    reconnects: 0,
    probes: 0,
    probesPending: 0,
    hostileConnectErrors: 0,
    eventsReceived: 0,
    generateMs: 0,
  };
}

function resetStats(s) {
  Object.assign(s, { ...newStats(), probesPending: s.probesPending });
}

/** Sends `count` generated messages at `cfg.rate` per second. */
async function drive(ctx, count, seed, rate = ctx.cfg.rate) {
  const { fc, pool, stats } = ctx;
  const start = performance.now();
  const first = stats.sent;
  let batch = 0;
  while (stats.sent - first < count && !ctx.stopped()) {
    const g0 = performance.now();
    const actions = fc.sample(ctx.arb, { numRuns: 250, seed: seed + batch++ });
    stats.generateMs += performance.now() - g0;
    for (const action of actions) {
      if (stats.sent - first >= count) break;
      perform(ctx, action);
      // Keep to the rate; sockets a flood or an oversized packet cost come back.
      const ahead = (stats.sent - first) / rate - (performance.now() - start) / 1000;
      if (ahead > 0.005) await sleep(ahead * 1000);
    }
    for (let i = 0; i < pool.length; i++) {
      const slot = pool[i];
      if (slot && !slot.live && !slot.connecting) {
        stats.reconnects++;
        ctx.open(i);
      }
    }
    await sleep(0);
  }
}

const FLOOD_PAYLOADS = {
  'room:presence': { roomid: 'f1' },
  signal: { to: 'h1', data: { candidate: null } },
  custom: { event: 'x', data: 1 },
  'extra:update': { extra: {} },
  nope: {},
};

function count(stats, kind, n = 1) {
  stats.sent += n;
  stats.kinds[kind] = (stats.kinds[kind] ?? 0) + n;
}

function ackHandler(ctx, event) {
  const { stats, codes } = ctx;
  return (res) => {
    stats.acks++;
    let outcome;
    if (res && typeof res === 'object' && res.ok === true) outcome = 'ok';
    else if (res && typeof res === 'object' && res.ok === false && res.error && codes.has(res.error.code) && typeof res.error.message === 'string') outcome = res.error.code;
    else {
      stats.malformedAcks++;
      if (stats.malformedExamples.length < 5) stats.malformedExamples.push({ event, res: JSON.stringify(res)?.slice(0, 200) });
      return;
    }
    if (outcome === 'internal-error') {
      stats.internalErrors++;
      if (stats.malformedExamples.length < 5) stats.malformedExamples.push({ event, res: JSON.stringify(res).slice(0, 200) });
    }
    const k = `${typeof event === 'string' && event.length < 20 ? event : '(odd)'} ${outcome}`;
    stats.outcomes[k] = (stats.outcomes[k] ?? 0) + 1;
  };
}

function liveSocket(ctx, index) {
  const { pool } = ctx;
  for (let k = 0; k < pool.length; k++) {
    const slot = pool[(index + k) % pool.length];
    if (slot?.live) return slot.socket;
  }
  return null;
}

function perform(ctx, action) {
  const { stats } = ctx;
  if (action.kind === 'handshake') {
    probe(ctx, action);
    count(stats, 'handshake');
    return;
  }
  const socket = liveSocket(ctx, action.socket);
  if (!socket) return; // all reconnecting: the next batch retries
  switch (action.kind) {
    case 'emit': {
      const args = [action.payload, ...action.extraArgs];
      try {
        if (action.ack) socket.emit(action.event, ...args, ackHandler(ctx, action.event));
        else socket.emit(action.event, ...args);
      } catch {
        // The client library refuses some names; nothing was sent.
        return;
      }
      count(stats, 'emit');
      return;
    }
    case 'raw': {
      const engine = socket.io.engine;
      engine.send(action.text);
      if (action.attachment) engine.send(action.attachment);
      count(stats, 'raw');
      return;
    }
    case 'flood': {
      const payload = FLOOD_PAYLOADS[action.event];
      const handler = ackHandler(ctx, action.event);
      for (let i = 0; i < action.count; i++) socket.emit(action.event, payload, handler);
      count(stats, 'flood', action.count);
      return;
    }
    case 'oversized':
      socket.emit('custom', { event: 'big', data: 'z'.repeat(action.size) }, ackHandler(ctx, 'custom'));
      count(stats, 'oversized');
      return;
  }
}

/** A short-lived connection with fuzzed handshake auth. */
function probe(ctx, action) {
  const { stats } = ctx;
  if (stats.probesPending >= 32) return;
  stats.probes++;
  stats.probesPending++;
  let socket;
  try {
    socket = ctx.io(ctx.url, { transports: [action.transport], forceNew: true, reconnection: false, timeout: 5000, auth: action.auth });
  } catch {
    stats.probesPending--;
    return;
  }
  const done = () => {
    clearTimeout(timer);
    socket.disconnect();
    stats.probesPending--;
  };
  const timer = setTimeout(done, 5000);
  socket.once('connect', () => {
    // A valid handshake with junk auth (no token): must not happen with room tokens on.
    stats.outcomes['handshake accepted'] = (stats.outcomes['handshake accepted'] ?? 0) + 1;
    done();
  });
  socket.once('connect_error', (err) => {
    const code = err?.data?.code ?? 'transport';
    stats.outcomes[`handshake ${code}`] = (stats.outcomes[`handshake ${code}`] ?? 0) + 1;
    if (code === 'internal-error') stats.internalErrors++;
    done();
  });
}

// ---------------------------------------------------------------------------
// Children

function child(args, execArgv = []) {
  const proc = fork(FILE, args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiters = [];
  let exited = false;
  let crash = null;
  let unhandled = 0;
  // Sending to a process that just died raises on the ChildProcess; exit reports it.
  proc.on('error', () => {});
  proc.on('message', (m) => {
    if (m.type === 'crash') crash = m.message;
    if (m.type === 'unhandled') unhandled++;
    const i = waiters.findIndex((w) => w.type === m.type && (w.id === undefined || w.id === m.id));
    if (i >= 0) waiters.splice(i, 1)[0].resolve(m);
  });
  const exit = new Promise((resolve) =>
    proc.on('exit', (code, signal) => {
      exited = true;
      for (const w of waiters.splice(0)) w.reject(new Error(`${args[0]} exited (${code ?? signal})${crash ? `: ${crash}` : ''}`));
      resolve();
    }),
  );
  let seq = 0;
  const wait = (entry, ms) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(entry), 1);
        reject(new Error(`${args[0]}: no ${entry.type} within ${ms} ms`));
      }, ms);
      entry.resolve = (m) => {
        clearTimeout(timer);
        resolve(m);
      };
      entry.reject = (e) => {
        clearTimeout(timer);
        reject(e);
      };
      waiters.push(entry);
    });
  return {
    next: (type, ms = 20_000) => wait({ type }, ms),
    ask(type, extra = {}, ms = 20_000) {
      if (exited || !proc.connected) return Promise.reject(new Error(`${args[0]} is gone${crash ? `: ${crash}` : ''}`));
      const id = ++seq;
      const p = wait({ type, id }, ms);
      proc.send({ type, id, ...extra });
      return p;
    },
    /** Like ask, but null once the process is gone (a crash is reported, not thrown). */
    async tryAsk(type, extra = {}, ms = 20_000) {
      try {
        return await this.ask(type, extra, ms);
      } catch (err) {
        if (exited) return null;
        throw err;
      }
    },
    send: (m) => proc.connected && proc.send(m),
    exited: () => exited,
    crashMessage: () => crash,
    unhandled: () => unhandled,
    async close() {
      if (exited) return;
      if (proc.connected) proc.send({ type: 'close' });
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
    },
  };
}

async function hostMain(options) {
  let unhandledRejections = 0;
  process.on('unhandledRejection', (reason) => {
    unhandledRejections++;
    process.send?.({ type: 'unhandled', message: String(reason?.stack ?? reason) });
  });
  // Reported, not handled: an uncaught exception still ends the process (a crash).
  process.on('uncaughtExceptionMonitor', (err) => process.send?.({ type: 'crash', message: String(err?.stack ?? err) }));
  const protoBefore = Object.getOwnPropertyNames(Object.prototype).join(',');
  const { createSignalingServer } = await import(pathToFileURL(join(ROOT, 'dist/server/index.js')).href);
  const server = await createSignalingServer({ port: 0, host: '127.0.0.1', logLevel: 'silent', ...options });
  const { monitorEventLoopDelay } = await import('node:perf_hooks');
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  let cpuMark = process.cpuUsage();
  let wallMark = performance.now();
  process.on('message', async (m) => {
    if (m.type === 'mem') {
      for (let k = 0; k < 3; k++) {
        globalThis.gc?.();
        await sleep(50);
      }
      const u = process.memoryUsage();
      process.send({ type: 'mem', id: m.id, heapUsed: u.heapUsed, rss: u.rss, external: u.external });
    } else if (m.type === 'snapshot') {
      const { writeHeapSnapshot } = await import('node:v8');
      process.send({ type: 'snapshot', id: m.id, path: writeHeapSnapshot(m.path) });
    } else if (m.type === 'mark') {
      loop.reset();
      cpuMark = process.cpuUsage();
      wallMark = performance.now();
      process.send({ type: 'mark', id: m.id });
    } else if (m.type === 'stats') {
      const cpu = process.cpuUsage(cpuMark);
      const busy = (cpu.user + cpu.system) / 1000 / (performance.now() - wallMark);
      const eventLoop = { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
      const prototypeChanged = Object.getOwnPropertyNames(Object.prototype).join(',') !== protoBefore || 'polluted' in {} || 'isAdmin' in {};
      const { rooms } = await server.store.stats();
      process.send({ type: 'stats', id: m.id, unhandledRejections, prototypeChanged, sockets: server.io.engine.clientsCount, rooms, cpu: busy, eventLoop });
    } else if (m.type === 'close') {
      await Promise.race([server.close(), sleep(3000)]);
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready', port: server.port });
}

async function goodMain({ url, tokens }) {
  const { io } = await import('socket.io-client');
  const INTERVAL_MS = 40;
  const CANDIDATE = 'candidate:1 1 udp 1 good.local 9 typ host';
  const [a, b] = tokens.map((token) => io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token } }));
  await Promise.all([a, b].map((s) => new Promise((resolve, reject) => (s.once('connect', resolve), s.once('connect_error', reject)))));
  const st = { sent: 0, received: 0, errors: 0, foreign: 0, disconnects: 0, latencies: [], measuring: false, sentAt: new Map() };
  const open = await a.timeout(10_000).emitWithAck('room:open', { roomid: GOOD_ROOM, password: GOOD_PASSWORD, maxParticipants: 2 });
  const joined = await b.timeout(10_000).emitWithAck('room:join', { roomid: GOOD_ROOM, password: GOOD_PASSWORD });
  if (!open.ok || !joined.ok) throw new Error(`good pair could not meet: ${JSON.stringify([open, joined])}`);
  for (const s of [a, b]) {
    s.on('disconnect', () => st.disconnects++);
    s.on('peer:join', () => st.foreign++);
    s.on('peer:leave', () => st.foreign++);
  }
  const arrived = (seq) => {
    const t = st.sentAt.get(seq);
    if (t === undefined) return;
    st.sentAt.delete(seq);
    st.received++;
    if (t.measure) st.latencies.push(performance.now() - t.at);
  };
  b.on('signal', (m) => (m.from === GOOD_USERS[0] ? arrived(Number(m.data?.candidate?.sdpMid)) : st.foreign++));
  b.on('custom', () => st.foreign++);
  a.on('custom', (m) => (m.from === GOOD_USERS[1] && m.event === 'ping' ? arrived(m.data?.seq) : st.foreign++));
  a.on('signal', () => st.foreign++);
  let seq = 0;
  const ack = (res) => {
    if (!res?.ok) st.errors++;
  };
  const tick = (from) => {
    const n = ++seq;
    st.sentAt.set(n, { at: performance.now(), measure: st.measuring });
    st.sent++;
    if (from === a) a.emit('signal', { to: GOOD_USERS[1], data: { candidate: { candidate: CANDIDATE, sdpMid: String(n), sdpMLineIndex: 0 } } }, ack);
    else b.emit('custom', { event: 'ping', data: { seq: n }, to: GOOD_USERS[0] }, ack);
  };
  const ta = setInterval(() => tick(a), INTERVAL_MS);
  let tb;
  setTimeout(() => (tb = setInterval(() => tick(b), INTERVAL_MS)), INTERVAL_MS / 2);
  process.on('message', (m) => {
    if (m.type === 'window') {
      // A new window starts a new sample.
      if (m.on) st.latencies = [];
      st.measuring = m.on;
    }
    else if (m.type === 'report') {
      const xs = [...st.latencies].sort((x, y) => x - y);
      const q = (p) => (xs.length ? xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] : NaN);
      // Still in flight for more than a second: lost.
      const now = performance.now();
      const lost = [...st.sentAt.values()].filter((t) => now - t.at > 1000).length;
      process.send({ type: 'report', id: m.id, n: xs.length, p50: q(50), p95: q(95), p99: q(99), max: xs.at(-1) ?? NaN, sent: st.sent, received: st.received, lost, errors: st.errors, foreign: st.foreign, disconnects: st.disconnects });
    } else if (m.type === 'close') {
      clearInterval(ta);
      clearInterval(tb);
      a.disconnect();
      b.disconnect();
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready' });
}

// ---------------------------------------------------------------------------

/** Linux PSI: microseconds some task waited for a CPU, since boot; null elsewhere. */
function cpuPressure() {
  try {
    const line = readFileSync('/proc/pressure/cpu', 'utf8').split('\n').find((l) => l.startsWith('some '));
    const total = Number(/total=(\d+)/.exec(line ?? '')?.[1]);
    return Number.isFinite(total) ? total : null;
  } catch {
    return null;
  }
}

function pressureShare(before, after, seconds) {
  return before !== null && after !== null ? round((after - before) / 1e6 / seconds, 3) : null;
}

const round = (x, digits = 0) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : null);
const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);

if (process.argv[1] === FILE) {
  const [role, arg] = process.argv.slice(2);
  if (role === '--fuzz-host') await hostMain(JSON.parse(arg));
  else if (role === '--fuzz-good') await goodMain(JSON.parse(arg));
  else {
    const opts = {};
    const argv = process.argv.slice(2);
    for (let i = 0; i < argv.length; i += 2) {
      const name = argv[i].replace(/^--/, '');
      if (!['messages', 'sockets', 'rate', 'seed', 'warmup'].includes(name)) {
        console.error('usage: node bench/fuzz.mjs [--messages N] [--sockets N] [--rate N] [--seed N] [--warmup N]');
        process.exit(2);
      }
      opts[name] = Number(argv[i + 1]);
    }
    const { pass, rows, data } = await run({ ...opts, log: console.log });
    console.table(rows);
    if (process.env.FUZZ_VERBOSE) console.log(JSON.stringify(data, null, 2));
    process.exit(pass ? 0 : 1);
  }
}
