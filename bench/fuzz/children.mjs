// The fuzz harness's child processes: the server host and the good pair, forked from this file, and the parent's handle on them.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { memoryAfterGc } from '../lib/util.mjs';
import { GOOD_PASSWORD, GOOD_ROOM, GOOD_USERS, ROOT, sleep } from './shared.mjs';

const FILE = fileURLToPath(import.meta.url);

/** Forks this file in role `args[0]` (`--fuzz-host` or `--fuzz-good`); ask/next talk to it over IPC. */
export function child(args, execArgv = []) {
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
  // Every hostile socket comes from 127.0.0.1: the per-address cap (50 by default) would refuse most
  // of them before they could do harm, and the point is to see what they do once connected. Every
  // other limit stays at its default.
  const server = await createSignalingServer({ port: 0, host: '127.0.0.1', logLevel: 'silent', maxConnectionsPerIp: 1000, ...options });
  const { monitorEventLoopDelay } = await import('node:perf_hooks');
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  let cpuMark = process.cpuUsage();
  let wallMark = performance.now();
  process.on('message', async (m) => {
    if (m.type === 'mem') {
      const u = await memoryAfterGc();
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


if (process.argv[1] === FILE) {
  const [role, arg] = process.argv.slice(2);
  if (role === '--fuzz-host') await hostMain(JSON.parse(arg));
  else if (role === '--fuzz-good') await goodMain(JSON.parse(arg));
  else throw new Error(`unknown role ${role}`);
}
