// Child process of the server part: runs one signaling server under test on
// 127.0.0.1 and answers the parent's questions over IPC (memory after GC,
// CPU time). Started with --expose-gc.
//   node --expose-gc bench/server-host.mjs ours|bare '<options JSON>'
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { PerformanceObserver, monitorEventLoopDelay, constants as perfConstants } from 'node:perf_hooks';
import { Server } from 'socket.io';
import { attachBareProtocolRelay, loadOurServer } from './lib/servers.mjs';
import { memoryAfterGc, sleep } from './lib/util.mjs';

const kind = process.argv[2];
const options = JSON.parse(process.argv[3] ?? '{}');
let close;
let port;
/** Connections the server lost, by socket.io's disconnect reason (`ping timeout`, `forced close`: our guard…); the load generator never disconnects during a phase. */
const disconnects = {};
const countDisconnects = (io) =>
  io.on('connection', (socket) => socket.on('disconnect', (reason) => void (disconnects[reason] = (disconnects[reason] ?? 0) + 1)));

if (kind === 'ours') {
  const { createSignalingServer } = await loadOurServer();
  const server = await createSignalingServer({ port: 0, host: '127.0.0.1', logLevel: 'silent', ...options });
  port = server.port;
  countDisconnects(server.io);
  close = () => server.close();
} else if (kind === 'bare') {
  const http = createServer();
  // The options (our heartbeat) apply here too, so both servers do the same work besides relaying.
  const io = new Server(http, { serveClient: false, ...options });
  attachBareProtocolRelay(io);
  countDisconnects(io);
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  port = http.address().port;
  close = async () => {
    io.close();
    http.closeAllConnections();
  };
} else {
  console.error(`server-host: unknown kind ${kind}`);
  process.exit(2);
}

/** Read and write system calls so far (Linux /proc/self/io), to tell the syscalls per message apart from the JavaScript. */
function syscalls() {
  try {
    const io = Object.fromEntries(readFileSync('/proc/self/io', 'utf8').trim().split('\n').map((l) => l.split(': ')));
    return { syscr: Number(io.syscr), syscw: Number(io.syscw) };
  } catch {
    return {};
  }
}

/** Time in garbage collection so far (ms), minor (scavenge) and major (mark-compact) apart: what a bigger live heap costs shows in the major part. */
const gc = { minorMs: 0, majorMs: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) {
      gc.majorMs += e.duration;
    } else gc.minorMs += e.duration;
  }
}).observe({ entryTypes: ['gc'] });

/** The event loop's delays since the last `cpu` question (a phase's, when asked at its start and end): how long a message that arrives can wait. */
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
const ms = (ns) => Math.round(ns / 1e4) / 100;

// BENCH_HEAP_SAMPLE=<file prefix>: sampled allocations (garbage included) of this server, written at close.
let heapSession;
if (process.env.BENCH_HEAP_SAMPLE) {
  const { Session } = await import('node:inspector');
  heapSession = new Session();
  heapSession.connect();
  await new Promise((resolve, reject) => heapSession.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true }, (e) => (e ? reject(e) : resolve())));
}

process.on('message', async (m) => {
  if (m.type === 'mem') {
    const u = await memoryAfterGc();
    process.send({ type: 'mem', id: m.id, rss: u.rss, heapUsed: u.heapUsed, external: u.external, arrayBuffers: u.arrayBuffers });
  } else if (m.type === 'cpu') {
    const c = process.cpuUsage();
    const eld = { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) };
    loopDelay.reset();
    process.send({ type: 'cpu', id: m.id, cpuMs: (c.user + c.system) / 1000, systemMs: c.system / 1000, ...syscalls(), gc: { ...gc }, eld, disconnects: { ...disconnects } });
  } else if (m.type === 'close') {
    if (heapSession) {
      const { profile } = await new Promise((resolve) => heapSession.post('HeapProfiler.stopSampling', (e, r) => resolve(r)));
      (await import('node:fs')).writeFileSync(`${process.env.BENCH_HEAP_SAMPLE}-${kind}.heapprofile`, JSON.stringify(profile));
    }
    await Promise.race([close(), sleep(3000)]);
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready', port });
