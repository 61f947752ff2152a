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
//
// The pieces: fuzz/generators.mjs (what is sent), fuzz/sending.mjs (how, and
// the tallies), fuzz/children.mjs (the host and good-pair processes),
// fuzz/shared.mjs (constants and helpers).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { child } from './fuzz/children.mjs';
import { actionArbitrary } from './fuzz/generators.mjs';
import { drive, newStats, resetStats } from './fuzz/sending.mjs';
import { GOOD_ROOM, GOOD_USERS, ROOT, cpuPressure, fmt, mb, pressureShare, round, sleep } from './fuzz/shared.mjs';

const FILE = fileURLToPath(import.meta.url);

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

if (process.argv[1] === FILE) {
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
