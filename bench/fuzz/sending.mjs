// The fuzz harness's sending side: paced driving of generated actions over the hostile sockets, ack checks and the tallies.
import { performance } from 'node:perf_hooks';
import { sleep } from './shared.mjs';

export function newStats() {
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

export function resetStats(s) {
  Object.assign(s, { ...newStats(), probesPending: s.probesPending });
}

/** Sends `count` generated messages at `cfg.rate` per second. */
export async function drive(ctx, count, seed, rate = ctx.cfg.rate) {
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

