// Part 4: the signaling server under 1,000 socket.io clients (a separate
// load-generator process, websocket transport) in rooms of 4, relaying
// `signal` messages to room mates. Our server and a bare socket.io relay run
// in turn in their own child process, in the same run, same load.
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { BENCH } from './lib/servers.mjs';
import { machineCpu, median, ratio, round, withTimeout } from './lib/util.mjs';

/**
 * Options our server runs with here. The rate limit (default burst 200,
 * 50/s per socket) is raised so the saturation phase measures the relay path,
 * not the limiter (its bookkeeping still runs for every message).
 */
/** Other processes using more than this many cores (of 2) during a round: it measures them, not the servers. */
const DISTURBED_CORES = 1.5;

// One address holds every load-generator client: the per-address cap (default 50) would turn most of them away.
export const OUR_OPTIONS = { rateLimit: { burst: 100000, perSecond: 100000 }, maxConnectionsPerIp: 100000 };

const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p));

/**
 * BENCH_PIN=1: the servers on one core, the load generators on the other
 * (through taskset). In three short runs the paired windows of a round then
 * varied less (0.85-1.06x against 0.81-1.16x), and a server's GC threads take
 * their time from the server's own core instead of running beside it on the
 * other; but a major GC's pause then lands whole in the latencies, and a load
 * generator held to one core fell behind its heartbeats (clients dropped). So
 * it is for finding where the time goes, not the default.
 */
const PIN = process.env.BENCH_PIN === '1' && TASKSET && availableParallelism() >= 2 ? { server: 0, load: 1 } : null;

/**
 * A bench child process (script under bench/) with an IPC request/answer
 * helper; with `cpu`, it and all its threads run on that core only (through
 * taskset, when the machine has one).
 */
export function child(script, args, execArgv = [], { cpu } = {}) {
  const pinned = cpu !== undefined && TASKSET ? { execPath: TASKSET, execArgv: ['-c', String(cpu), process.execPath, ...execArgv] } : { execArgv };
  const proc = fork(join(BENCH, script), args, { ...pinned, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiters = [];
  proc.on('message', (m) => {
    const i = waiters.findIndex((w) => w.type === m.type && (w.id === undefined || w.id === m.id));
    if (i >= 0) waiters.splice(i, 1)[0].resolve(m);
    else if (m.type === 'error') for (const w of waiters.splice(0)) w.reject(new Error(m.message));
  });
  proc.on('exit', (code) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`${script} exited with ${code}`));
  });
  let seq = 0;
  return {
    proc,
    next(type, ms = 60000) {
      return withTimeout(new Promise((resolve, reject) => waiters.push({ type, resolve, reject })), ms, `${script}: ${type}`);
    },
    ask(type, extra = {}, ms = 10000) {
      const id = ++seq;
      const p = withTimeout(new Promise((resolve, reject) => waiters.push({ type, id, resolve, reject })), ms, `${script}: ${type}`);
      proc.send({ type, id, ...extra });
      return p;
    },
    send(m) {
      proc.send(m);
    },
    kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
}

/**
 * Both servers' heartbeat: ours defaults to 4 s (a vanished client is noticed
 * in 8 s), socket.io's to 25 s. The bare relay gets ours, so that both do the
 * same work besides relaying and an idle one's pings weigh alike on the other's
 * measurement (both setups stay up during a round).
 */
const HEARTBEAT = { pingInterval: 4000, pingTimeout: 4000 };

/** One server under test in its own process, with its own load generator connected: ready for phases. */
async function startSetup(kind, cfg) {
  // BENCH_SERVER_PROF=<dir>: a V8 CPU profile of each server process, for finding where the time goes.
  const prof = process.env.BENCH_SERVER_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SERVER_PROF}`, `--cpu-prof-name=${kind}-${Date.now()}.cpuprofile`] : [];
  // BENCH_SERVER_NODE_ARGS="--trace-gc …": more Node flags for each server process.
  const extra = process.env.BENCH_SERVER_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
  const host = child('server-host.mjs', [kind, JSON.stringify(kind === 'ours' ? OUR_OPTIONS : HEARTBEAT)], ['--expose-gc', ...prof, ...extra], { cpu: PIN?.server });
  const setup = { kind, host, load: null, phases: {}, windows: [], loopWindows: [] };
  try {
    const { port } = await host.next('ready', 20000);
    const url = `http://127.0.0.1:${port}`;
    setup.mem0 = await host.ask('mem');
    setup.load = child('server-load.mjs', [JSON.stringify({ url, clients: cfg.clients, roomSize: cfg.roomSize })], [], { cpu: PIN?.load });
    await setup.load.next('ready', 20000);
    setup.load.send({ type: 'connect' });
    setup.conn = await setup.load.next('connected', 120000);
    setup.mem1 = await setup.host.ask('mem');
    return setup;
  } catch (err) {
    await stopSetup(setup);
    throw err;
  }
}

/** One measured phase of `setup` (the other setup idles meanwhile). */
async function runPhase(setup, phase, cfg) {
  const { host, load } = setup;
  load.send(phase);
  await load.next('phase-start', 10000);
  const c0 = await host.ask('cpu');
  const m0 = machineCpu();
  const w0 = performance.now();
  const r = await load.next('result', phase.warmupMs + phase.durationMs + 60000);
  const c1 = await host.ask('cpu');
  const m1 = machineCpu();
  const wall = performance.now() - w0;
  r.serverCpuShare = (c1.cpuMs - c0.cpuMs) / wall;
  // Clients the server dropped during the phase (their room mates' signals then fail with peer-not-found).
  for (const [reason, n] of Object.entries(c1.disconnects ?? {})) {
    const d = n - (c0.disconnects?.[reason] ?? 0);
    if (d > 0) r.errors = { ...r.errors, [`dropped: ${reason}`]: d };
  }
  // Everything else the machine ran meanwhile (other people's tests on a shared box, the idle setup's heartbeat), in cores.
  if (m0 && m1) r.otherCores = Math.max(0, (m1.busy - m0.busy) / (wall / 1000) - r.serverCpuShare - r.loadCpuShare);
  // Server CPU per delivered message over the whole phase (warm-up and drain included on both sides of the ratio).
  r.serverCpuUsPerMsg = ((c1.cpuMs - c0.cpuMs) * 1000) / Math.max(1, r.deliveredTotal);
  // Of which the kernel (system calls: mostly the sockets' writes), and the read/write calls per message.
  r.serverSystemUsPerMsg = ((c1.systemMs - c0.systemMs) * 1000) / Math.max(1, r.deliveredTotal);
  // Garbage collection pauses per message: minor (scavenges) and major (mark-compact, which grows with the live heap).
  if (c0.gc && c1.gc) {
    r.serverGcMinorUsPerMsg = ((c1.gc.minorMs - c0.gc.minorMs) * 1000) / Math.max(1, r.deliveredTotal);
    r.serverGcMajorUsPerMsg = ((c1.gc.majorMs - c0.gc.majorMs) * 1000) / Math.max(1, r.deliveredTotal);
  }
  r.serverLoopDelay = c1.eld;
  if (c0.syscw !== undefined) {
    r.serverWritesPerMsg = (c1.syscw - c0.syscw) / Math.max(1, r.deliveredTotal);
    r.serverReadsPerMsg = (c1.syscr - c0.syscr) / Math.max(1, r.deliveredTotal);
  }
  return r;
}

/** The saturation windows of one setup as one phase: rates over the summed windows, latency percentiles as medians of the windows'. */
function pooledSaturation(windows, durationMs) {
  const sum = (f) => windows.reduce((a, w) => a + f(w), 0);
  const med = (f) => median(windows.map(f));
  const seconds = (windows.length * durationMs) / 1000;
  const total = sum((w) => w.deliveredTotal);
  const weighted = (f) => sum((w) => f(w) * w.deliveredTotal) / Math.max(1, total);
  const errors = {};
  for (const w of windows) for (const [k, n] of Object.entries(w.errors ?? {})) errors[k] = (errors[k] ?? 0) + n;
  return {
    windows: windows.length,
    deliveredPerSec: sum((w) => w.deliveredPerSec * (durationMs / 1000)) / seconds,
    sentPerSec: sum((w) => w.sentPerSec * (durationMs / 1000)) / seconds,
    deliveredOfWindow: sum((w) => w.deliveredOfWindow),
    deliveredTotal: total,
    sentInWindow: sum((w) => w.sentInWindow),
    latency: { p50: med((w) => w.latency.p50), p90: med((w) => w.latency.p90), p99: med((w) => w.latency.p99), max: Math.max(...windows.map((w) => w.latency.max ?? 0)) },
    ackRtt: { p50: med((w) => w.ackRtt.p50), p99: med((w) => w.ackRtt.p99) },
    errors,
    serverCpuShare: sum((w) => w.serverCpuShare) / windows.length,
    loadCpuShare: sum((w) => w.loadCpuShare) / windows.length,
    otherCores: Math.max(...windows.map((w) => w.otherCores ?? 0)),
    serverCpuUsPerMsg: weighted((w) => w.serverCpuUsPerMsg),
    serverSystemUsPerMsg: weighted((w) => w.serverSystemUsPerMsg),
    serverWritesPerMsg: weighted((w) => w.serverWritesPerMsg ?? NaN),
    serverReadsPerMsg: weighted((w) => w.serverReadsPerMsg ?? NaN),
    serverGcMinorUsPerMsg: weighted((w) => w.serverGcMinorUsPerMsg ?? NaN),
    serverGcMajorUsPerMsg: weighted((w) => w.serverGcMajorUsPerMsg ?? NaN),
  };
}

function describe(kind, setup, cfg) {
  const { phases, conn } = setup;
  const heapPerSocket = (setup.mem1.heapUsed - setup.mem0.heapUsed) / Math.max(1, conn.connected);
  const s = phases.saturate;
  const errs = Object.assign({}, ...Object.values(phases).map((p) => p.errors));
  const cpu = (p) => `${round(p.serverCpuUsPerMsg)} µs cpu/msg (system ${round(p.serverSystemUsPerMsg)}; ${round(p.serverWritesPerMsg, 2)} writes, ${round(p.serverReadsPerMsg, 2)} reads; gc ${round(p.serverGcMinorUsPerMsg, 2)} minor + ${round(p.serverGcMajorUsPerMsg, 2)} major)`;
  return (
    `  server ${kind}: ${conn.connected} connected, ${conn.joined} joined; ` +
    cfg.rates.map((rate) => {
      const f = phases[`fixed${rate}`];
      const eld = f.serverLoopDelay ? ` (server loop delay p99 ${f.serverLoopDelay.p99} max ${f.serverLoopDelay.max} ms)` : '';
      return `${rate}/s offered: ${round(f.deliveredPerSec)}/s p50 ${round(f.latency.p50, 2)} p99 ${round(f.latency.p99, 2)} ms${eld}, ${cpu(f)}; `;
    }).join('') +
    (phases.closedLoop ? `closed loop (${cfg.loopInflight} in flight) ${round(phases.closedLoop.deliveredPerSec)}/s, ${round(phases.closedLoop.serverCpuShare * 100)}% server cpu; ` : '') +
    `saturated (${cfg.inflight} in flight) ${round(s.deliveredPerSec)}/s over ${s.windows} windows [${setup.windows.map((w) => round(w.deliveredPerSec)).join(', ')}], ${cpu(s)}; ` +
    `server cpu ${round(s.serverCpuShare * 100)}%, load gen ${round(s.loadCpuShare * 100)}%, other processes ${round((s.otherCores ?? NaN) * 100)}%; ` +
    `heap/socket ${round(heapPerSocket / 1024, 1)} KB${Object.keys(errs).length ? `; errors ${JSON.stringify(errs)}` : ''}`
  );
}

function resultOf(setup) {
  const { conn, mem0, mem1, phases } = setup;
  const perSocket = (k) => (mem1[k] - mem0[k]) / Math.max(1, conn.connected);
  return {
    connected: conn.connected,
    joined: conn.joined,
    connectMs: round(conn.connectMs),
    joinMs: round(conn.joinMs),
    connectErrors: conn.errors,
    memory: {
      rssBefore: mem0.rss,
      rssAfter: mem1.rss,
      heapBefore: mem0.heapUsed,
      heapAfter: mem1.heapUsed,
      rssPerSocket: round(perSocket('rss')),
      heapPerSocket: round(perSocket('heapUsed')),
      externalPerSocket: round(perSocket('external')),
    },
    phases,
    saturationWindows: setup.windows.map((w) => round(w.deliveredPerSec)),
  };
}

async function stopSetup(setup) {
  const { host, load } = setup;
  if (load) {
    load.send({ type: 'close' });
    await Promise.race([new Promise((r) => load.proc.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
    load.kill();
  }
  host.send({ type: 'close' });
  // Writing a heap sample (BENCH_HEAP_SAMPLE) takes a while.
  const grace = process.env.BENCH_HEAP_SAMPLE ? 120000 : 5000;
  await Promise.race([new Promise((r) => host.proc.once('exit', r)), new Promise((r) => setTimeout(r, grace))]);
  host.kill();
}

/**
 * One round: both servers up side by side, each with its own load generator,
 * measured in turn. The fixed rates run once per server; saturation runs in
 * short windows taken alternately, A B B A A B…, so that whatever the machine
 * does over the round (other work, a slower minute) falls on both alike.
 */
async function oneRound(order, cfg, log) {
  const setups = {};
  try {
    for (const kind of order) setups[kind] = await startSetup(kind, cfg);
    for (const rate of cfg.rates) {
      for (const kind of order) setups[kind].phases[`fixed${rate}`] = await runPhase(setups[kind], { type: 'fixed', rate, warmupMs: cfg.warmupMs, durationMs: cfg.durationMs }, cfg);
    }
    // Closed loop with few signals in flight (info): neither process is kept busy, so this measures round trips as much as the server.
    const loop = { type: 'saturate', inflight: cfg.loopInflight, warmupMs: cfg.saturateWarmupMs, durationMs: cfg.saturateWindowMs };
    for (let w = 0; w < cfg.loopWindows; w++) {
      for (const kind of w % 2 === 0 ? order : [...order].reverse()) setups[kind].loopWindows.push(await runPhase(setups[kind], loop, cfg));
    }
    // Saturated: enough in flight to keep the bare relay at 90-95 % of a core; both cores are then full (ours, corking its batches, runs at ~75 % and the load generator sets the pace).
    const saturate = { type: 'saturate', inflight: cfg.inflight, warmupMs: cfg.saturateWarmupMs, durationMs: cfg.saturateWindowMs };
    for (let w = 0; w < cfg.saturateWindows; w++) {
      for (const kind of w % 2 === 0 ? order : [...order].reverse()) setups[kind].windows.push(await runPhase(setups[kind], saturate, cfg));
    }
    const pair = {};
    for (const kind of order) {
      if (cfg.loopWindows) setups[kind].phases.closedLoop = pooledSaturation(setups[kind].loopWindows, cfg.saturateWindowMs);
      setups[kind].phases.saturate = pooledSaturation(setups[kind].windows, cfg.saturateWindowMs);
      log(describe(kind, setups[kind], cfg));
      pair[kind] = resultOf(setups[kind]);
    }
    return pair;
  } finally {
    await Promise.all(Object.values(setups).map(stopSetup));
  }
}

export async function runServer({
  clients = 1000,
  roomSize = 4,
  rates = [2000, 5000],
  inflight = 32,
  loopInflight = 2,
  loopWindows = 2,
  warmupMs = 2000,
  durationMs = 10000,
  saturateWindows = 4,
  saturateWarmupMs = 1000,
  saturateWindowMs = 4000,
  rounds = 5,
  log = console.log,
} = {}) {
  const cfg = { clients, roomSize, rates, inflight, loopInflight, loopWindows, warmupMs, durationMs, saturateWindows, saturateWarmupMs, saturateWindowMs };
  const runs = { ours: [], bare: [] };
  // A round during which other processes took more than half the machine says
  // more about them than about the servers: it is kept in results.json but
  // replaced by an extra round (at most two extra).
  const disturbed = (x) => Object.values(x.phases).some((p) => (p.otherCores ?? 0) > DISTURBED_CORES);
  let extra = 0;
  for (let r = 0; r < rounds + extra; r++) {
    // Alternate who goes first: whatever else the machine does then hits both alike.
    const pair = await oneRound(r % 2 === 0 ? ['ours', 'bare'] : ['bare', 'ours'], cfg, log);
    const bad = disturbed(pair.ours) || disturbed(pair.bare);
    for (const kind of ['ours', 'bare']) runs[kind].push({ ...pair[kind], disturbed: bad });
    if (bad && extra < 2) {
      extra++;
      log(`  server: round ${r + 1} disturbed (other processes above ${DISTURBED_CORES} cores): one more round`);
    }
  }
  return summarizeServer(runs, cfg);
}

/** Medians over the undisturbed rounds (all rounds if none is). */
export function summarizeServer(runs, cfg) {
  const { rates } = cfg;
  const agg = (kind) => {
    const clean = runs[kind].filter((x) => !x.disturbed);
    const xs = clean.length ? clean : runs[kind];
    const m = (f) => round(median(xs.map(f)), 3);
    const fixed = {};
    for (const rate of rates) {
      const p = (x) => x.phases[`fixed${rate}`];
      fixed[rate] = {
        deliveredPerSec: m((x) => p(x).deliveredPerSec),
        p50: m((x) => p(x).latency.p50),
        p90: m((x) => p(x).latency.p90),
        p99: m((x) => p(x).latency.p99),
        ackP50: m((x) => p(x).ackRtt.p50),
        ackP99: m((x) => p(x).ackRtt.p99),
        lost: m((x) => p(x).sentInWindow - p(x).deliveredOfWindow),
        serverCpuShare: m((x) => p(x).serverCpuShare),
        serverCpuUsPerMsg: m((x) => p(x).serverCpuUsPerMsg),
        otherCores: m((x) => p(x).otherCores ?? NaN),
      };
    }
    /** A closed-loop phase (saturated, or few in flight): medians over the rounds. */
    const closedPhase = (name) => ({
      deliveredPerSec: m((x) => x.phases[name].deliveredPerSec),
      p50: m((x) => x.phases[name].latency.p50),
      p99: m((x) => x.phases[name].latency.p99),
      serverCpuShare: m((x) => x.phases[name].serverCpuShare),
      serverCpuUsPerMsg: m((x) => x.phases[name].serverCpuUsPerMsg),
      loadCpuShare: m((x) => x.phases[name].loadCpuShare),
      otherCores: m((x) => x.phases[name].otherCores ?? NaN),
    });
    return {
      rounds: xs.length,
      disturbedRounds: runs[kind].length - clean.length,
      connected: Math.min(...xs.map((x) => x.connected)),
      fixed,
      saturate: closedPhase('saturate'),
      closedLoop: xs.every((x) => x.phases.closedLoop) ? closedPhase('closedLoop') : undefined,
      heapPerSocket: m((x) => x.memory.heapPerSocket),
      rssPerSocket: m((x) => x.memory.rssPerSocket),
      errors: xs.flatMap((x) => Object.values(x.phases).map((p) => p.errors)).filter((e) => Object.keys(e).length),
    };
  };
  const ours = agg('ours');
  const bare = agg('bare');
  const low = rates[0];
  return {
    config: { ...cfg, ourOptions: OUR_OPTIONS, disturbedAboveCores: DISTURBED_CORES },
    targetRate: low,
    ours,
    bare,
    ratios: {
      saturatedThroughput: round(ratio(ours.saturate.deliveredPerSec, bare.saturate.deliveredPerSec), 3),
      closedLoopThroughput: ours.closedLoop && bare.closedLoop ? round(ratio(ours.closedLoop.deliveredPerSec, bare.closedLoop.deliveredPerSec), 3) : undefined,
      // One core's worth of relaying, from CPU time per message at the highest fixed load: less sensitive to a busy machine.
      cpuCapacity: round(ratio(bare.fixed[rates.at(-1)].serverCpuUsPerMsg, ours.fixed[rates.at(-1)].serverCpuUsPerMsg), 3),
      fixedThroughput: Object.fromEntries(rates.map((r) => [r, round(ratio(ours.fixed[r].deliveredPerSec, bare.fixed[r].deliveredPerSec), 3)])),
      fixedP99: Object.fromEntries(rates.map((r) => [r, round(ratio(ours.fixed[r].p99, bare.fixed[r].p99), 3)])),
      heapPerSocket: round(ratio(ours.heapPerSocket, bare.heapPerSocket), 3),
    },
    runs,
  };
}
