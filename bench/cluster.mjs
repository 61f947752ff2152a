// Part "cluster" (issue 9): the relay of part "server", with 1, 2 and 3
// server nodes sharing rooms through one redis-server, at the same offered
// load, in the same run. Setups, each its own processes:
//   single   one node, rooms in memory (no Redis): what shared mode costs
//   1 node   one node with --redis-url: the baseline the scaling ratios use
//   2 nodes, 3 nodes
// The load generator (bench/server-load.mjs) spreads each room of 4 over two
// nodes, its members alternating (room r on nodes r mod N and r + 1 mod N), as
// a load balancer that ignores rooms would: 2 of every 3 relays cross between
// nodes through Redis, with 2 nodes and with 3 alike, so that what grows from
// 2 to 3 nodes is the cost of a relay, not the share of relays that cross.
// (Client i on node i mod N would raise that share from 2/3 to 5/6.)
//
// On a 2-core machine every setup shares the same 2 cores between its nodes,
// Redis and the load generator: more nodes cannot add CPU, so the ratios show
// what distributing costs, not the capacity more machines would add.
import { startRedis } from './lib/redis.mjs';
import { fmt, machineCpu, median, ratio, round } from './lib/util.mjs';
import { child, OUR_OPTIONS } from './server.mjs';

export const SETUPS = [
  { name: 'single', nodes: 1, redis: false, label: '1 node, rooms in memory (no Redis)' },
  { name: '1', nodes: 1, redis: true, label: '1 node + Redis' },
  { name: '2', nodes: 2, redis: true, label: '2 nodes + Redis' },
  { name: '3', nodes: 3, redis: true, label: '3 nodes + Redis' },
];

let prefixes = 0;

async function one(setup, cfg, redis, log) {
  const options = { ...OUR_OPTIONS, ...(setup.redis ? { redisUrl: redis.url, redisKeyPrefix: `bench${++prefixes}:` } : {}) };
  // BENCH_SERVER_PROF=<dir>: a V8 CPU profile of each node, as in part "server".
  const prof = (i) => (process.env.BENCH_SERVER_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SERVER_PROF}`, `--cpu-prof-name=cluster-${setup.name}-${i}-${Date.now()}.cpuprofile`] : []);
  const hosts = Array.from({ length: setup.nodes }, (_, i) => child('server-host.mjs', ['ours', JSON.stringify(options)], ['--expose-gc', ...prof(i)]));
  let load;
  try {
    // Up to 90 s: three nodes starting at once on a 2-core machine shared with other work took over 30.
    const ports = (await Promise.all(hosts.map((h) => h.next('ready', 90000)))).map((m) => m.port);
    const urls = ports.map((port) => `http://127.0.0.1:${port}`);
    load = child('server-load.mjs', [JSON.stringify({ urls, clients: cfg.clients, roomSize: cfg.roomSize, placement: 'pairs' })]);
    await load.next('ready', 20000);
    load.send({ type: 'connect' });
    const conn = await load.next('connected', 120000);
    const phases = {};
    for (const phase of [
      { type: 'fixed', name: 'fixed', rate: cfg.rate, warmupMs: cfg.warmupMs, durationMs: cfg.durationMs },
      // The same load per node whatever the node count (N nodes carry N times it): what each node's
      // relaying costs as the cluster grows, without a node's own event-loop and housekeeping overhead
      // spread over fewer messages as more nodes share a fixed total.
      { type: 'fixed', name: 'perNode', rate: cfg.perNodeRate * setup.nodes, warmupMs: cfg.warmupMs, durationMs: cfg.durationMs },
      { type: 'saturate', name: 'saturate', inflight: cfg.inflight, warmupMs: cfg.warmupMs, durationMs: cfg.durationMs },
    ]) {
      load.send(phase);
      await load.next('phase-start', 10000);
      // Each node's own CPU (process.cpuUsage() in the node), so the cost per node shows, not only the sum.
      const cpu = async () => (await Promise.all(hosts.map((h) => h.ask('cpu')))).map((c) => c.cpuMs);
      const c0 = await cpu();
      const r0 = redis.cpuMs();
      const m0 = machineCpu();
      const w0 = performance.now();
      const r = await load.next('result', cfg.warmupMs + cfg.durationMs + 60000);
      const c1 = await cpu();
      const r1 = redis.cpuMs();
      const m1 = machineCpu();
      const wall = performance.now() - w0;
      const perNode = c1.map((c, i) => c - c0[i]);
      r.serverCores = perNode.reduce((a, b) => a + b, 0) / wall;
      r.nodeCores = perNode.map((ms) => ms / wall);
      // CPU per relayed message, per node: node i's CPU time over the messages the cluster delivered
      // meanwhile, times N (each node's share of them); equal to the nodes' total CPU per message.
      const delivered = (r.deliveredPerSec * wall) / 1000;
      r.nodeCpuUsPerMsg = perNode.map((ms) => (ms * 1000 * setup.nodes) / delivered);
      r.cpuUsPerMsg = (r.serverCores * wall * 1000) / delivered;
      r.redisCores = setup.redis ? (r1 - r0) / wall : 0;
      if (m0 && m1) r.otherCores = Math.max(0, (m1.busy - m0.busy) / (wall / 1000) - r.serverCores - r.redisCores - r.loadCpuShare);
      phases[phase.name] = r;
    }
    const f = phases.fixed;
    const s = phases.saturate;
    log(
      `  cluster ${setup.label}: ${conn.connected} connected, ${conn.joined} joined; ${cfg.rate}/s offered: ${round(f.deliveredPerSec)}/s p50 ${round(f.latency.p50, 2)} p99 ${round(f.latency.p99, 2)} ms, ${round(f.cpuUsPerMsg)} µs/msg; ` +
        `${phases.perNode.rate ?? cfg.perNodeRate * setup.nodes}/s offered (${cfg.perNodeRate}/s per node): ${round(phases.perNode.deliveredPerSec)}/s, ${round(phases.perNode.cpuUsPerMsg)} µs/msg; ` +
        `saturated ${round(s.deliveredPerSec)}/s p99 ${round(s.latency.p99, 1)} ms (nodes ${round(s.serverCores * 100)}%, redis ${round(s.redisCores * 100)}%, load gen ${round(s.loadCpuShare * 100)}%, other ${round((s.otherCores ?? NaN) * 100)}% of a core)`,
    );
    return { connected: conn.connected, joined: conn.joined, connectErrors: conn.errors, phases };
  } finally {
    if (load) {
      load.send({ type: 'close' });
      await Promise.race([new Promise((r) => load.proc.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
      load.kill();
    }
    for (const h of hosts) h.send({ type: 'close' });
    await Promise.all(hosts.map((h) => Promise.race([new Promise((r) => h.proc.once('exit', r)), new Promise((r) => setTimeout(r, 5000))])));
    for (const h of hosts) h.kill();
  }
}

export async function runCluster({ clients = 400, roomSize = 4, rate = 1000, perNodeRate = 500, inflight = 2, warmupMs = 2000, durationMs = 5000, rounds = 2, log = console.log } = {}) {
  const cfg = { clients, roomSize, rate, perNodeRate, inflight, warmupMs, durationMs, rounds };
  const redis = await startRedis();
  const runs = Object.fromEntries(SETUPS.map((s) => [s.name, []]));
  try {
    for (let r = 0; r < rounds; r++) {
      // Rotate the order: whatever else the machine does hits every setup alike.
      const order = SETUPS.map((_, i) => SETUPS[(i + r) % SETUPS.length]);
      for (const setup of order) runs[setup.name].push(await one(setup, cfg, redis, log));
    }
  } finally {
    await redis.stop();
  }
  return summarizeCluster(runs, cfg);
}

export function summarizeCluster(runs, cfg) {
  const setups = {};
  for (const setup of SETUPS) {
    const xs = runs[setup.name];
    const m = (f) => round(median(xs.map(f)), 3);
    setups[setup.name] = {
      label: setup.label,
      nodes: setup.nodes,
      redis: setup.redis,
      rounds: xs.length,
      fixed: {
        deliveredPerSec: m((x) => x.phases.fixed.deliveredPerSec),
        p50: m((x) => x.phases.fixed.latency.p50),
        p99: m((x) => x.phases.fixed.latency.p99),
        lost: m((x) => x.phases.fixed.sentInWindow - x.phases.fixed.deliveredOfWindow),
        serverCores: m((x) => x.phases.fixed.serverCores),
        redisCores: m((x) => x.phases.fixed.redisCores),
        cpuUsPerMsg: m((x) => x.phases.fixed.cpuUsPerMsg),
        nodeCpuUsPerMsg: Array.from({ length: setup.nodes }, (_, i) => m((x) => x.phases.fixed.nodeCpuUsPerMsg[i])),
      },
      perNode: {
        rate: cfg.perNodeRate * setup.nodes,
        deliveredPerSec: m((x) => x.phases.perNode.deliveredPerSec),
        p99: m((x) => x.phases.perNode.latency.p99),
        serverCores: m((x) => x.phases.perNode.serverCores),
        cpuUsPerMsg: m((x) => x.phases.perNode.cpuUsPerMsg),
        nodeCpuUsPerMsg: Array.from({ length: setup.nodes }, (_, i) => m((x) => x.phases.perNode.nodeCpuUsPerMsg[i])),
      },
      saturate: {
        deliveredPerSec: m((x) => x.phases.saturate.deliveredPerSec),
        p50: m((x) => x.phases.saturate.latency.p50),
        p99: m((x) => x.phases.saturate.latency.p99),
        // Sent in the window, not delivered within a second after it: late behind a backlog, or lost.
        undelivered: m((x) => x.phases.saturate.sentInWindow - x.phases.saturate.deliveredOfWindow),
        sent: m((x) => x.phases.saturate.sentInWindow),
        serverCores: m((x) => x.phases.saturate.serverCores),
        redisCores: m((x) => x.phases.saturate.redisCores),
        cpuUsPerMsg: m((x) => x.phases.saturate.cpuUsPerMsg),
        nodeCpuUsPerMsg: Array.from({ length: setup.nodes }, (_, i) => m((x) => x.phases.saturate.nodeCpuUsPerMsg[i])),
        loadCores: m((x) => x.phases.saturate.loadCpuShare),
        otherCores: m((x) => x.phases.saturate.otherCores ?? NaN),
      },
      errors: xs.flatMap((x) => Object.values(x.phases).map((p) => p.errors)).filter((e) => Object.keys(e).length),
    };
  }
  const base = setups['1'];
  const scaling = {};
  for (const name of ['single', '2', '3']) {
    scaling[name] = {
      saturatedThroughput: round(ratio(setups[name].saturate.deliveredPerSec, base.saturate.deliveredPerSec), 3),
      fixedP99: round(ratio(setups[name].fixed.p99, base.fixed.p99), 3),
      fixedThroughput: round(ratio(setups[name].fixed.deliveredPerSec, base.fixed.deliveredPerSec), 3),
      fixedCpuPerMsg: round(ratio(setups[name].fixed.cpuUsPerMsg, base.fixed.cpuUsPerMsg), 3),
    };
  }
  return { config: { ...cfg, ourOptions: OUR_OPTIONS }, setups, scaling, runs };
}

/** Summary rows (the bench's table shape). */
export function clusterRows(d) {
  const row = (metric, ours, baseline, r) => ({ part: 'cluster', metric, ours, baseline, ratio: r, target: '—', verdict: 'info' });
  const s = d.setups;
  const rows = [];
  const baseSat = `${fmt(s['1'].saturate.deliveredPerSec)} (1 node + Redis)`;
  const baseP99 = `${fmt(s['1'].fixed.p99, 2)} (1 node + Redis)`;
  for (const n of ['2', '3']) {
    rows.push(row(`relay throughput, saturated, ${n} nodes (msg/s, ${d.config.clients} clients)`, fmt(s[n].saturate.deliveredPerSec), baseSat, fmt(d.scaling[n].saturatedThroughput, 2)));
  }
  for (const n of ['2', '3']) {
    rows.push(row(`relay latency p99 at ${d.config.rate} msg/s offered, ${n} nodes (ms)`, fmt(s[n].fixed.p99, 2), baseP99, fmt(d.scaling[n].fixedP99, 2)));
  }
  // At a fixed total load (info): more nodes share it, so each node's fixed overhead is spread over fewer messages.
  const cpuAt = (n) => s[n].fixed.cpuUsPerMsg;
  for (const n of ['1', '2', '3']) {
    rows.push(row(`nodes CPU per relayed message at ${d.config.rate} msg/s in total, ${n} node${n === '1' ? '' : 's'} (µs; per node: ${s[n].fixed.nodeCpuUsPerMsg?.map((x) => fmt(x)).join(' / ')})`, fmt(cpuAt(n)), n === '1' ? `${fmt(s.single.fixed.cpuUsPerMsg)} (1 node, no Redis)` : `${fmt(cpuAt(String(n - 1)))} (${n - 1} node${n === '2' ? '' : 's'})`, fmt(ratio(cpuAt(n), n === '1' ? s.single.fixed.cpuUsPerMsg : cpuAt(String(n - 1))), 2)));
  }
  // Issue 19 target 4: a node's CPU per relayed message must not grow with the number of nodes (each node carrying the same load).
  const cpu = (n) => s[n].perNode?.cpuUsPerMsg;
  if (cpu('3') === undefined) return rows;
  const per = d.config.perNodeRate;
  for (const n of ['1', '2', '3']) {
    rows.push(row(`nodes CPU per relayed message at ${per} msg/s per node, ${n} node${n === '1' ? '' : 's'} (µs; per node: ${s[n].perNode.nodeCpuUsPerMsg.map((x) => fmt(x)).join(' / ')})`, fmt(cpu(n)), n === '1' ? `${fmt(s.single.perNode.cpuUsPerMsg)} (1 node, no Redis)` : `${fmt(cpu(String(n - 1)))} (${n - 1} node${n === '2' ? '' : 's'})`, fmt(ratio(cpu(n), n === '1' ? s.single.perNode.cpuUsPerMsg : cpu(String(n - 1))), 2)));
  }
  const grow = ratio(cpu('3'), cpu('2'));
  rows.at(-1).target = '≤ 1.10 × 2 nodes';
  rows.at(-1).verdict = Number.isFinite(grow) ? (grow <= 1.1 ? 'PASS' : 'MISS') : 'n/a';
  rows.push(row('relay throughput, saturated, 1 node + Redis (msg/s)', fmt(s['1'].saturate.deliveredPerSec), `${fmt(s.single.saturate.deliveredPerSec)} (1 node, no Redis)`, fmt(ratio(s['1'].saturate.deliveredPerSec, s.single.saturate.deliveredPerSec), 2)));
  rows.push(row(`relay latency p99 at ${d.config.rate} msg/s offered, 1 node + Redis (ms)`, fmt(s['1'].fixed.p99, 2), `${fmt(s.single.fixed.p99, 2)} (1 node, no Redis)`, fmt(ratio(s['1'].fixed.p99, s.single.fixed.p99), 2)));
  return rows;
}

/** The part's section under "Details" in RESULTS.md. */
export function clusterDetails(part, mdTable, heading) {
  const d = part.data;
  const c = d.config;
  const out = [];
  out.push(heading('cluster', part));
  out.push('');
  out.push(
    `${c.clients} socket.io clients (websocket) in one load-generator process, rooms of ${c.roomSize}, each room spread over two nodes, its members alternating (2 of every 3 relays cross between nodes through Redis, with 2 nodes and with 3 alike); ` +
      `one redis-server 7 (no persistence) on loopback; every node its own process with ${JSON.stringify(c.ourOptions)}. Fixed load ${c.rate} signal/s in total, then ${c.perNodeRate ?? '—'} signal/s per node (N nodes carry N times it), then saturated (${c.inflight} signals in flight per client); ` +
      `${c.warmupMs} ms warm-up, ${c.durationMs} ms measured; medians over ${c.rounds} rounds, the setups' order rotated each round. CPU in cores (100 % = one core), from /proc.`,
  );
  out.push('');
  out.push(
    mdTable(
      ['Setup', `${c.rate}/s: delivered/s`, 'p50 (ms)', 'p99 (ms)', 'lost', 'saturated: delivered/s', 'p50 (ms)', 'p99 (ms)', 'not delivered 1 s after the window', 'nodes CPU (% core)', 'nodes CPU µs/msg at ' + c.rate + '/s (per node)', 'Redis CPU', 'load gen CPU', 'other processes', 'vs 1 node + Redis (saturated)'],
      Object.entries(d.setups).map(([name, x]) => [
        x.label,
        fmt(x.fixed.deliveredPerSec),
        fmt(x.fixed.p50, 2),
        fmt(x.fixed.p99, 2),
        fmt(x.fixed.lost),
        fmt(x.saturate.deliveredPerSec),
        fmt(x.saturate.p50, 1),
        fmt(x.saturate.p99, 1),
        `${fmt(x.saturate.undelivered)} of ${fmt(x.saturate.sent)}`,
        fmt(x.saturate.serverCores * 100, 0),
        x.fixed.cpuUsPerMsg === undefined ? '—' : `${fmt(x.fixed.cpuUsPerMsg)} (${x.fixed.nodeCpuUsPerMsg.map((v) => fmt(v)).join(' / ')})`,
        fmt(x.saturate.redisCores * 100, 0),
        fmt(x.saturate.loadCores * 100, 0),
        fmt(x.saturate.otherCores * 100, 0),
        name === '1' ? '1.00' : fmt(d.scaling[name]?.saturatedThroughput, 2),
      ]),
    ),
  );
  const errs = Object.values(d.setups).flatMap((x) => x.errors);
  if (errs.length) out.push(`\nErrors acked: ${JSON.stringify(errs)}`);
  out.push('');
  return out.join('\n');
}
