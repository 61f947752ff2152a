// Child process of the server part: N socket.io clients (websocket only) in
// rooms of `roomSize`, each sending our protocol's `signal` to its room mates.
// The send time rides in the relayed candidate's sdpMid (the server strips
// unknown keys but relays sdpMid as it is), so relay latency is measured
// one way, sender to receiver, on this process's own clock.
//   node bench/server-load.mjs '<{"url","clients","roomSize"}>'   then IPC commands
// With "urls" (several server nodes sharing rooms) client i connects to
// urls[i % urls.length]: the members of one room sit on different nodes. With
// "placement": "pairs", each room spans two nodes (room r on nodes r and r + 1,
// its members alternating), so the share of deliveries that cross between
// nodes is 2/3 with 2 nodes and with 3 alike.
import { performance } from 'node:perf_hooks';
import { io } from 'socket.io-client';

const cfg = JSON.parse(process.argv[2]);
const { clients, roomSize } = cfg;
const urls = cfg.urls ?? [cfg.url];
const nodeOf = (c) => (cfg.placement === 'pairs' ? (Math.floor(c / roomSize) + ((c % roomSize) % 2)) % urls.length : c % urls.length);
const CANDIDATE = 'candidate:1 1 udp 1 127.0.0.1 9 typ host';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

const sockets = [];
const mates = [];
const errors = {};
const countError = (code) => {
  errors[code] = (errors[code] ?? 0) + 1;
};

// Measurement state, reset per phase.
let win = null; // { start, end, recv, lat: [], ackLat: [], sentInWindow }
let sending = false;

function onSignal(msg) {
  const t = now();
  const sent = Number(msg?.data?.candidate?.sdpMid);
  if (!win || !Number.isFinite(sent)) return;
  win.total++;
  if (sent >= win.start && sent < win.end) {
    win.recvOfWindow++;
    win.lat.push(t - sent);
  }
  if (t >= win.start && t < win.end) win.recv++;
}

function sendOne(c, k, onAck) {
  const t = now();
  const to = mates[c][k % mates[c].length];
  if (win && t >= win.start && t < win.end) win.sentInWindow++;
  sockets[c].emit(
    'signal',
    { to, data: { candidate: { candidate: CANDIDATE, sdpMid: t.toFixed(3), sdpMLineIndex: 0 } } },
    (ack) => {
      const ta = now();
      if (!ack?.ok) countError(ack?.error?.code ?? 'bad-ack');
      else if (win && t >= win.start && t < win.end) win.ackLat.push(ta - t);
      onAck?.();
    },
  );
}

async function connectAll() {
  const started = now();
  const batch = 50;
  for (let i = 0; i < clients; i += batch) {
    const group = [];
    for (let c = i; c < Math.min(clients, i + batch); c++) {
      const s = io(urls[nodeOf(c)], { transports: ['websocket'], forceNew: true, reconnection: false, timeout: 20000, auth: { userid: `c${c}` } });
      sockets[c] = s;
      s.on('signal', onSignal);
      group.push(
        new Promise((resolve) => {
          s.once('connect', () => resolve(true));
          s.once('connect_error', (err) => {
            countError(`connect: ${err.message}`);
            resolve(false);
          });
        }),
      );
    }
    await Promise.all(group);
  }
  const connectMs = now() - started;
  const joinStart = now();
  let joined = 0;
  for (let i = 0; i < clients; i += batch) {
    const group = [];
    for (let c = i; c < Math.min(clients, i + batch); c++) {
      const room = Math.floor(c / roomSize);
      group.push(
        new Promise((resolve) => {
          if (!sockets[c].connected) return resolve();
          sockets[c].timeout(20000).emit('room:open-or-join', { roomid: `r${room}` }, (err, ack) => {
            if (err || !ack?.ok) countError(`join: ${err?.message ?? ack?.error?.code}`);
            else joined++;
            resolve();
          });
        }),
      );
      mates[c] = [];
      for (let m = room * roomSize; m < Math.min(clients, (room + 1) * roomSize); m++) if (m !== c) mates[c].push(`c${m}`);
    }
    await Promise.all(group);
  }
  return { connected: sockets.filter((s) => s.connected).length, joined, connectMs, joinMs: now() - joinStart };
}

/** Open loop: `rate` messages per second in total, spread round-robin over the clients. */
async function fixed(rate, warmupMs, durationMs) {
  const start = now();
  win = { start: start + warmupMs, end: start + warmupMs + durationMs, recv: 0, total: 0, recvOfWindow: 0, sentInWindow: 0, lat: [], ackLat: [] };
  let sent = 0;
  let c = 0;
  let k = 0;
  while (now() < win.end) {
    const due = Math.floor(((now() - start) / 1000) * rate);
    while (sent < due) {
      sendOne(c, k);
      sent++;
      c++;
      if (c === clients) {
        c = 0;
        k++;
      }
    }
    await sleep(2);
  }
}

/** Closed loop: every client keeps `inflight` signals waiting for their ack. */
async function saturate(inflight, warmupMs, durationMs) {
  const start = now();
  win = { start: start + warmupMs, end: start + warmupMs + durationMs, recv: 0, total: 0, recvOfWindow: 0, sentInWindow: 0, lat: [], ackLat: [] };
  sending = true;
  const counters = new Array(clients).fill(0);
  const loop = (c) => {
    if (!sending || !sockets[c].connected) return;
    sendOne(c, counters[c]++, () => loop(c));
  };
  for (let c = 0; c < clients; c++) for (let j = 0; j < inflight; j++) loop(c);
  while (now() < win.end) await sleep(20);
  sending = false;
}

function summarize(w, durationMs) {
  const sorted = Float64Array.from(w.lat).sort();
  const ack = Float64Array.from(w.ackLat).sort();
  const pct = (xs, p) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor((p / 100) * (xs.length - 1)))] : null);
  return {
    deliveredPerSec: w.recv / (durationMs / 1000),
    sentPerSec: w.sentInWindow / (durationMs / 1000),
    deliveredOfWindow: w.recvOfWindow,
    deliveredTotal: w.total,
    sentInWindow: w.sentInWindow,
    latency: { p50: pct(sorted, 50), p90: pct(sorted, 90), p99: pct(sorted, 99), max: sorted.length ? sorted[sorted.length - 1] : null, n: sorted.length },
    ackRtt: { p50: pct(ack, 50), p99: pct(ack, 99), n: ack.length },
  };
}

process.on('message', async (m) => {
  try {
    if (m.type === 'connect') {
      process.send({ type: 'connected', ...(await connectAll()), errors: { ...errors } });
    } else if (m.type === 'fixed' || m.type === 'saturate') {
      for (const key of Object.keys(errors)) delete errors[key];
      const cpu0 = process.cpuUsage();
      const t0 = now();
      process.send({ type: 'phase-start' });
      if (m.type === 'fixed') await fixed(m.rate, m.warmupMs, m.durationMs);
      else await saturate(m.inflight, m.warmupMs, m.durationMs);
      await sleep(1000); // late deliveries of the window still count for latency and loss
      const cpu = process.cpuUsage(cpu0);
      const result = summarize(win, m.durationMs);
      win = null;
      process.send({ type: 'result', ...result, errors: { ...errors }, loadCpuShare: (cpu.user + cpu.system) / 1000 / (now() - t0) });
    } else if (m.type === 'close') {
      for (const s of sockets) s?.disconnect();
      await sleep(200);
      process.exit(0);
    }
  } catch (err) {
    process.send({ type: 'error', message: String(err?.stack ?? err) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready' });
