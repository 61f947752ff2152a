// Turns bench/results/<part>.json into the summary table (console and Markdown) and
// RESULTS.md. Every row is a figure, its baseline from the same run, the
// ratio, and the target with PASS / MISS (or "info" where there is none).
import { clusterDetails, clusterRows } from '../cluster.mjs';
import { fuzzRows } from '../fuzz.mjs';
import { installDetails, installRows } from '../install.mjs';
import { sfuDetails, sfuRows } from '../sfu.mjs';
import { fmt, median } from './util.mjs';

const KB = 1024;

/** One summary row. */
function row(part, metric, ours, baseline, baselineLabel, r, target, verdict) {
  return { part, metric, ours, baseline: baseline === null ? '—' : `${baseline}${baselineLabel ? ` (${baselineLabel})` : ''}`, ratio: r, target, verdict };
}
const pf = (ok) => (ok === null || ok === undefined ? 'n/a' : ok ? 'PASS' : 'MISS');
const num = (x) => typeof x === 'number' && Number.isFinite(x);

/** Every part's rows, in the parts' order: computed from its data, or as restored (`legacy`) when its raw data was lost. */
export function summaryRows(parts) {
  return Object.entries(parts).flatMap(([name, p]) => (p.data ? computedRows({ [name]: p }) : (p.legacy?.rows ?? [])));
}

function computedRows(parts) {
  const rows = [];
  const t = parts.ttff?.data;
  if (t) {
    const o = t.variants.ours;
    const f = t.variants.floor;
    const m = t.variants.rtcmc;
    const r1 = t.ratios.p50VsFloor;
    const r2 = t.ratios.p50VsRtcmc;
    const what = t.reactionMs === undefined ? 'join → first frame both sides' : 'cold page: click-join → first frame both sides';
    rows.push(row('ttff', `${what}, p50 (ms, n=${o.n})`, fmt(o.p50), fmt(f.p50), 'floor, pre-connected', fmt(r1, 2), '≤ 1.00 × floor', pf(num(r1) ? r1 <= 1 : null)));
    rows.push(row('ttff', `${what}, p90 (ms)`, fmt(o.p90), fmt(f.p90), 'floor, pre-connected', fmt(t.ratios.p90VsFloor, 2), '— (the target is on p50)', 'info'));
    rows.push(row('ttff', `${what}, p50 (ms)`, fmt(o.p50), fmt(m.p50), 'RTCMultiConnection', fmt(r2, 2), '< 1.00 × RTCMultiConnection', pf(num(r2) ? r2 < 1 : null)));
    rows.push(row('ttff', `${what}, p90 (ms)`, fmt(o.p90), fmt(m.p90), 'RTCMultiConnection', fmt(o.p90 / m.p90, 2), '—', 'info'));
  }
  const me = parts.mesh?.data;
  if (me) {
    const o = me.variants.ours;
    const f = me.variants.floor;
    for (const n of Object.keys(o).filter((n) => n !== '2')) {
      rows.push(row('mesh', `${n} users: all see all, p50 (ms)`, fmt(o[n].allFramesP50), fmt(o[2]?.allFramesP50), 'ours, 2 users', fmt(me.ratios[n].allFramesVsTwo, 2), '—', 'info'));
      const r = me.ratios[n].allFramesVsFloor;
      rows.push(row('mesh', `${n} users: all see all, p50 (ms)`, fmt(o[n].allFramesP50), fmt(f[n].allFramesP50), 'floor, same size', fmt(r, 2), '≤ 1.10 × floor', pf(num(r) ? r <= 1.1 : null)));
      const pr = me.ratios[n].allFramesPairedVsFloor;
      if (num(pr)) rows.push(row('mesh', `${n} users: all see all, median of each run's ours / floor`, '—', '—', 'floor, same run', fmt(pr, 2), '—', 'info'));
    }
    for (const n of Object.keys(o)) {
      rows.push(row('mesh', `${n} users: CPU per user, steady (% of a core)`, fmt(o[n].steadyCorePerUser * 100, 1), fmt(f[n].steadyCorePerUser * 100, 1), 'floor', fmt(me.ratios[n].cpuPerUserVsFloor, 2), '—', 'info'));
    }
  }
  const s = parts.size?.data;
  if (s) {
    const base = (s.rtcmc.gzipBytes / KB).toFixed(1);
    rows.push(row('size', 'dist/rtc-elements.js, min + gzip -9 (KB)', (s.ours.esm.gzipBytes / KB).toFixed(1), base, 'RTCMultiConnection + socket.io', fmt(s.ratios.esmVsRtcmc, 2), `≤ ${s.budgetKB} KB`, pf(s.ours.esm.gzipBytes <= s.budgetKB * KB)));
    if (s.fetched) {
      rows.push(row('size', 'fetched by a page with the call UI (controls), English: rtc-elements.js + UI chunk (KB)', (s.fetched.callUi / KB).toFixed(1), base, 'RTCMultiConnection + socket.io', fmt(s.fetched.callUi / s.rtcmc.gzipBytes, 2), '—', 'info'));
      rows.push(row('size', 'rtc-elements.js + every chunk (KB)', (s.fetched.everything / KB).toFixed(1), base, 'RTCMultiConnection + socket.io', fmt(s.fetched.everything / s.rtcmc.gzipBytes, 2), '—', 'info'));
    }
    rows.push(row('size', 'dist/rtc-elements.iife.js (classic script: no chunks, everything inside), min + gzip -9 (KB)', (s.ours.iife.gzipBytes / KB).toFixed(1), base, 'RTCMultiConnection + socket.io', fmt(s.ratios.iifeVsRtcmc, 2), '—', 'info'));
    if (s.compat) rows.push(row('size', 'dist/rtc-multiconnection.js (compat), min + gzip -9 (KB)', (s.compat.gzipBytes / KB).toFixed(1), base, 'RTCMultiConnection + socket.io', fmt(s.ratios.compatVsRtcmc, 2), `≤ ${s.compat.budgetKB} KB`, pf(s.compat.withinBudget)));
  }
  const sv = parts.server?.data;
  if (sv) {
    const r = sv.ratios;
    const rates = sv.config.rates;
    const low = sv.targetRate;
    rows.push(row('server', `relay throughput, saturated (msg/s, ${sv.config.clients} clients${sv.config.loopWindows ? `, ${sv.config.inflight} in flight each` : ''})`, fmt(sv.ours.saturate.deliveredPerSec), fmt(sv.bare.saturate.deliveredPerSec), 'bare relay', fmt(r.saturatedThroughput, 2), '≥ 0.95 × bare', pf(num(r.saturatedThroughput) ? r.saturatedThroughput >= 0.95 : null)));
    // The same, paired by round (both servers of a round share the machine's state then): info beside the row above.
    const perRound = (sv.runs?.ours ?? []).map((o, i) => o.phases.saturate.deliveredPerSec / sv.runs.bare[i]?.phases.saturate.deliveredPerSec).filter(Number.isFinite);
    if (perRound.length > 1) {
      rows.push(row('server', `relay throughput, saturated, per round (ours ÷ bare in the same round: ${perRound.map((x) => fmt(x, 3)).join(', ')})`, '', '', 'median of the rounds', fmt(median(perRound), 2), '—', 'info'));
    }
    if (sv.ours.closedLoop && sv.bare.closedLoop) {
      rows.push(row('server', `relay throughput, closed loop, ${sv.config.loopInflight} in flight per client (msg/s; servers at ${fmt(sv.ours.closedLoop.serverCpuShare * 100, 0)} / ${fmt(sv.bare.closedLoop.serverCpuShare * 100, 0)} % of a core)`, fmt(sv.ours.closedLoop.deliveredPerSec), fmt(sv.bare.closedLoop.deliveredPerSec), 'bare relay', fmt(r.closedLoopThroughput, 2), '—', 'info'));
    }
    const hi = rates.at(-1);
    rows.push(row('server', `relay capacity of one core, from CPU µs per message at ${hi}/s (msg/s)`, fmt(1e6 / sv.ours.fixed[hi].serverCpuUsPerMsg), fmt(1e6 / sv.bare.fixed[hi].serverCpuUsPerMsg), 'bare relay', fmt(r.cpuCapacity, 2), '≥ 0.80 × bare', pf(num(r.cpuCapacity) ? r.cpuCapacity >= 0.8 : null)));
    for (const rate of rates) {
      const target = rate === low;
      const p99 = r.fixedP99[rate];
      rows.push(row('server', `relay latency p99 at ${rate} msg/s offered (ms)`, fmt(sv.ours.fixed[rate].p99, 2), fmt(sv.bare.fixed[rate].p99, 2), 'bare relay', fmt(p99, 2), target ? '≤ 1.50 × bare' : '—', target ? pf(num(p99) ? p99 <= 1.5 : null) : 'info'));
      rows.push(row('server', `relay latency p50 at ${rate} msg/s offered (ms)`, fmt(sv.ours.fixed[rate].p50, 2), fmt(sv.bare.fixed[rate].p50, 2), 'bare relay', fmt(sv.ours.fixed[rate].p50 / sv.bare.fixed[rate].p50, 2), '—', 'info'));
    }
    rows.push(row('server', 'memory per connected socket, heap after GC (KB)', fmt(sv.ours.heapPerSocket / KB, 1), fmt(sv.bare.heapPerSocket / KB, 1), 'bare relay', fmt(r.heapPerSocket, 2), '—', 'info'));
    rows.push(row('server', 'memory per connected socket, RSS (KB)', fmt(sv.ours.rssPerSocket / KB, 1), fmt(sv.bare.rssPerSocket / KB, 1), 'bare relay', fmt(sv.ours.rssPerSocket / sv.bare.rssPerSocket, 2), '—', 'info'));
  }
  const l = parts.leaks?.data;
  if (l) {
    for (const [v, r] of Object.entries(l.variants)) {
      const how = v === 'leave' ? 'leave()' : 'element removed';
      if (!r.ok) {
        rows.push(row('leaks', `${l.cycles} cycles, ${how}`, 'failed', null, '', '—', '—', 'n/a'));
        continue;
      }
      rows.push(row('leaks', `${r.cycles} cycles, ${how}: live RTCPeerConnections`, String(r.livePeerConnections), `${r.peerConnectionsCreated} created`, '', '—', '0', pf(r.livePeerConnections === 0)));
      rows.push(row('leaks', `${r.cycles} cycles, ${how}: live tracks`, String(r.liveTracks), String(r.captureTracks), "the captures' own", '—', "= the captures' own", pf(r.liveTracks === r.captureTracks)));
      rows.push(row('leaks', `${r.cycles} cycles, ${how}: JS heap growth after GC (KB)`, fmt(r.heapGrowth / KB, 1), fmt(r.heapBefore / KB, 0), 'heap before', fmt(r.heapGrowth / r.heapBefore, 3), '< 2048 KB', pf(r.heapGrowth < l.heapTargetBytes)));
    }
  }
  if (parts.fuzz?.data) rows.push(...fuzzRows(parts.fuzz.data));
  if (parts.cluster?.data) rows.push(...clusterRows(parts.cluster.data));
  if (parts.sfu?.data) rows.push(...sfuRows(parts.sfu.data));
  if (parts.install?.data) rows.push(...installRows(parts.install.data));
  const so = parts.soak?.data;
  if (so) {
    const label = `${so.cycles} cycles (leave / removal / abrupt: ${so.byExit.leave}/${so.byExit.remove}/${so.byExit.abrupt})`;
    rows.push(row('soak', `${label}: live RTCPeerConnections`, String(so.livePeerConnections), `${so.peerConnectionsCreated} created`, '', '—', '0, no "too many"', pf(so.ok && so.livePeerConnections === 0 && !so.tooManyPeerConnections)));
    rows.push(row('soak', `${label}: live tracks`, String(so.liveTracks), String(so.captureTracks), "the captures' own", '—', "= the captures' own", pf(so.liveTracks === so.captureTracks)));
  }
  return rows;
}

export function consoleTable(rows) {
  const cols = ['part', 'metric', 'ours', 'baseline', 'ratio', 'target', 'verdict'];
  const width = Object.fromEntries(cols.map((c) => [c, Math.max(c.length, ...rows.map((r) => String(r[c]).length))]));
  const line = (r) => cols.map((c) => String(r[c]).padEnd(width[c])).join('  ');
  return [line(Object.fromEntries(cols.map((c) => [c, c]))), cols.map((c) => '-'.repeat(width[c])).join('  '), ...rows.map(line)].join('\n');
}

function mdTable(header, rows) {
  const esc = (x) => String(x ?? '').replaceAll('|', '\\|');
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

export function markdownSummary(rows) {
  return mdTable(
    ['Part', 'Metric', 'rtc-elements', 'Baseline (same run)', 'Ratio', 'Target', 'Result'],
    rows.map((r) => [r.part, r.metric, r.ours, r.baseline, r.ratio, r.target, r.verdict === 'PASS' ? '**PASS**' : r.verdict === 'MISS' ? '**MISS**' : r.verdict]),
  );
}

/** `### name (measured …, load …)`: when and under what load a part was measured. */
export function heading(title, part) {
  const m = part.machine ?? {};
  const load = m.loadAverageAtStart ? `; load average ${m.loadAverageAtStart.join(', ')} at the start${m.loadAverageAtEnd ? `, ${m.loadAverageAtEnd.join(', ')} at the end` : ''}` : '';
  return `### ${title} (measured ${part.date}${load})`;
}

function details(parts) {
  const out = [];
  for (const [name, p] of Object.entries(parts)) {
    if (p.data || !p.legacy?.details) continue;
    out.push(heading(name === 'ttff' ? 'ttff: join to first frame' : name, p), '', `_${p.restored}_`, '', p.legacy.details, '');
  }
  const t = parts.ttff?.data;
  if (t) {
    const v = t.variants;
    out.push(heading('ttff: join to first frame', parts.ttff));
    out.push('');
    out.push(
      `${t.runs} runs per setup after one warm-up round, interleaved (the setups take turns, order rotated each round). Capture asked for: ${t.capture.width}x${t.capture.height}@${t.capture.frameRate} plus audio, the same getUserMedia constraints for all three (settings reported by the tracks: ${Object.entries(v)
        .map(([k, x]) => `${k} ${x.settings ? `${x.settings.width}x${x.settings.height}@${x.settings.frameRate}` : 'n/a'}`)
        .join(', ')}).`,
    );
    out.push('');
    out.push(
      mdTable(
        ['Setup', 'n', 'failed', 'p50 (ms)', 'p90 (ms)', 'min', 'max', 'ICE candidates sent (median)'],
        Object.values(v).map((x) => [x.label, x.n, x.failed, fmt(x.p50), fmt(x.p90), fmt(x.min), fmt(x.max), fmt(x.candidatesMedian)]),
      ),
    );
    out.push('');
    if (t.reactionMs !== undefined) {
      out.push(
        `B's join call: rtc-elements' page is cold (bench/pages/ours-cold.html: the tags with the room-id in the markup and \`<media-capture autostart>\`, loaded once A is in the room, no page code connecting anything), and join() is called when a person could first click: ${t.reactionSpreadMs ? `${t.reactionMs}-${t.reactionMs + t.reactionSpreadMs}` : t.reactionMs} ms (a human reaction) after its local preview presents its first frame${t.reactionSpreadMs ? `, spread at random so that the click falls anywhere in the camera's frame cycle (the other setups' join calls wait a random 0-${t.reactionSpreadMs} ms too)` : ''}. The floor's page has its socket connected and its capture running before the join call (pre-connected); RTCMultiConnection connects inside its join. B's socket was already connected at the join call in ${Object.values(v)
          .map((x) => `${x.connectedAtJoinRuns ?? 'n/a'}/${x.n} ${x.label}`)
          .join(', ')} calls.`,
      );
      out.push('');
    }
    if (v.ours?.coldPage) {
      out.push("rtc-elements' cold page before the click, median ms after B's navigation start (the capture and the socket start side by side):");
      out.push('');
      out.push(mdTable(['Page event', 'ms after navigation start'], t.coldPhaseNames.map((p) => [p, fmt(v.ours.coldPage[p])])));
      out.push('');
    }
    out.push('Phases, median ms after B calls join (first time each happened on either side; negative: before the call; in RTCMultiConnection the member already in the room sends the offer):');
    out.push('');
    out.push(mdTable(['Phase', ...Object.values(v).map((x) => x.label)], t.phaseNames.map((p) => [p, ...Object.values(v).map((x) => fmt(x.phases[p]))])));
    const fails = Object.entries(v).filter(([, x]) => x.failures.length);
    if (fails.length) {
      out.push('');
      out.push(`Failed runs: ${fails.map(([k, x]) => `${k}: ${x.failures.join('; ')}`).join(' / ')}`);
    }
    out.push('');
  }
  const me = parts.mesh?.data;
  if (me) {
    out.push(heading('mesh', parts.mesh));
    out.push('');
    out.push(`${me.runs} runs per size and setup after a warm-up round. ${me.layout}. Capture ${me.capture.width}x${me.capture.height}@${me.capture.frameRate}, video only. CPU: ${me.cpuMethod}.`);
    out.push('');
    const rowsM = [];
    for (const [variant, sizes] of Object.entries(me.variants)) {
      for (const [n, x] of Object.entries(sizes)) {
        const top = Object.entries(x.steadyByType)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 3)
          .map(([k, c]) => `${k} ${fmt(c * 100, 0)}%`)
          .join(', ');
        rowsM.push([variant, n, x.n, x.failed, fmt(x.allFramesP50), fmt(x.allFramesMax), fmt(x.steadyCorePerUser * 100, 1), fmt(x.joinCpuPerUserSec, 2), top]);
      }
    }
    out.push(mdTable(['Setup', 'Users', 'n', 'failed', 'all see all p50 (ms)', 'max (ms)', 'CPU/user steady (% core)', 'CPU/user while joining (s)', 'whole browser, steady, by process'], rowsM));
    out.push('');
  }
  const s = parts.size?.data;
  if (s) {
    out.push(heading('size', parts.size));
    out.push('');
    out.push(
      mdTable(
        ['File', 'min (bytes)', 'min + gzip -9 (bytes)'],
        [
          [s.ours.esm.path, s.ours.esm.minBytes, s.ours.esm.gzipBytes],
          ...(s.chunks ?? []).map((c) => [`${c.path} (chunk: ${c.chunk}, loaded on first need)`, c.minBytes, c.gzipBytes]),
          [s.ours.iife.path, s.ours.iife.minBytes, s.ours.iife.gzipBytes],
          ...(s.compat ? [[s.compat.path, s.compat.minBytes, s.compat.gzipBytes]] : []),
          ...s.rtcmc.files.map((f) => [f.path, f.minBytes, f.gzipBytes]),
          ['RTCMultiConnection + socket.io (two files)', s.rtcmc.minBytes, s.rtcmc.gzipBytes],
        ],
      ),
    );
    if (s.breakdown) {
      out.push('');
      out.push('Where the bytes of dist/rtc-elements.js go (from its source map; "gzip saved" = the whole bundle gzipped minus the bundle without that part gzipped):');
      out.push('');
      out.push(mdTable(['Part', 'min (bytes)', 'share', 'gzip saved if removed (bytes)'], s.breakdown.map((b) => [b.group, b.minBytes, `${fmt(b.share * 100, 1)}%`, b.gzipSavedIfRemoved])));
    }
    out.push('');
  }
  const sv = parts.server?.data;
  if (sv) {
    out.push(heading('server', parts.server));
    out.push('');
    out.push(
      `${sv.config.clients} socket.io clients (websocket) per server, in a load-generator process of its own, rooms of ${sv.config.roomSize}; each server in its own process; in a round both servers are up side by side and measured in turn (rounds alternate which goes first); medians over ${sv.ours.rounds} rounds${sv.ours.disturbedRounds ? ` (${sv.ours.disturbedRounds} more left out: other processes took more than one core during them)` : ''}. ` +
        `Fixed loads: ${sv.config.rates.join(' and ')} signal/s in total, round-robin over the clients, each to a room mate; ${sv.config.warmupMs} ms warm-up, then ${sv.config.durationMs} ms measured. ` +
        (sv.config.saturateWindows
          ? `${sv.config.loopWindows ? `Closed loop: every client keeps ${sv.config.loopInflight} signals waiting for their ack, ${sv.config.loopWindows} windows per server; neither process is kept busy then, so it measures round trips as much as the server. ` : ''}Saturated: every client keeps ${sv.config.inflight} signals waiting for their ack (enough to keep the bare relay at 90-95 % of a core; the machine's two cores are then full, so a server that needs less CPU per message leaves more to the load generator, which then sets the pace), in ${sv.config.saturateWindows} windows per server of ${sv.config.saturateWarmupMs} ms warm-up and ${sv.config.saturateWindowMs} ms measured, taken alternately (A B B A A B…) so that a slower minute of the machine falls on both alike; throughput over the summed windows, latency the median of the windows'. `
          : `Saturated: every client keeps ${sv.config.inflight} signals waiting for their ack (closed loop). `) +
        `Our server ran with ${JSON.stringify(sv.config.ourOptions)}; the bare relay with socket.io's defaults but our heartbeat (ping every 4 s), so both do the same work besides relaying.`,
    );
    out.push('');
    const rowsS = [];
    for (const [name, x] of [['rtc-elements', sv.ours], ['bare socket.io relay', sv.bare]]) {
      for (const rate of sv.config.rates) {
        const f = x.fixed[rate];
        rowsS.push([name, `${rate}/s`, fmt(f.deliveredPerSec), fmt(f.p50, 2), fmt(f.p90, 2), fmt(f.p99, 2), fmt(f.ackP99, 2), fmt(f.lost), fmt(f.serverCpuShare * 100, 0), fmt(f.serverCpuUsPerMsg, 0), '', fmt(f.otherCores * 100, 0)]);
      }
      const cl = x.closedLoop;
      if (cl) rowsS.push([name, `closed loop (${sv.config.loopInflight} in flight per client)`, fmt(cl.deliveredPerSec), fmt(cl.p50, 1), '', fmt(cl.p99, 1), '', '', fmt(cl.serverCpuShare * 100, 0), fmt(cl.serverCpuUsPerMsg, 0), fmt(cl.loadCpuShare * 100, 0), fmt(cl.otherCores * 100, 0)]);
      const s2 = x.saturate;
      rowsS.push([name, `saturated (${sv.config.inflight} in flight per client)`, fmt(s2.deliveredPerSec), fmt(s2.p50, 1), '', fmt(s2.p99, 1), '', '', fmt(s2.serverCpuShare * 100, 0), fmt(s2.serverCpuUsPerMsg, 0), fmt(s2.loadCpuShare * 100, 0), fmt(s2.otherCores * 100, 0)]);
    }
    out.push(mdTable(['Server', 'load', 'delivered/s', 'p50 (ms)', 'p90', 'p99', 'ack p99', 'lost', 'server CPU (% core)', 'server CPU µs/msg', 'load gen CPU (% core)', 'other processes on the machine (% core)'], rowsS));
    out.push('');
    const perRound = (kind) =>
      sv.runs[kind]
        .map((x) => (x.disturbed ? '[disturbed] ' : '') + `${sv.config.rates.map((rate) => `${rate}/s p99 ${fmt(x.phases[`fixed${rate}`].latency.p99, 1)} ms`).join(', ')}, saturated ${fmt(x.phases.saturate.deliveredPerSec)}/s`)
        .join('; ');
    out.push(`Per round: rtc-elements: ${perRound('ours')}. Bare relay: ${perRound('bare')}.`);
    out.push('');
    out.push(`Memory per connected socket (after GC): rtc-elements ${fmt(sv.ours.heapPerSocket / KB, 1)} KB heap, ${fmt(sv.ours.rssPerSocket / KB, 1)} KB RSS; bare relay ${fmt(sv.bare.heapPerSocket / KB, 1)} KB heap, ${fmt(sv.bare.rssPerSocket / KB, 1)} KB RSS.`);
    const errs = [...sv.ours.errors, ...sv.bare.errors];
    if (errs.length) out.push(`\nErrors acked: ${JSON.stringify(errs)}`);
    out.push('');
  }
  const l = parts.leaks?.data;
  if (l) {
    out.push(heading('leaks', parts.leaks));
    out.push('');
    out.push(
      mdTable(
        ['Variant', 'cycles', 'ms/cycle', 'RTCPeerConnections created', 'not closed', 'live tracks', "captures' tracks", '<remote-stream> left', 'server sockets (expected)', 'heap before (KB)', 'growth (KB)', 'first half / second half (KB)', 'growth/cycle (bytes)'],
        Object.entries(l.variants).map(([v, r]) =>
          r.ok
            ? [v, r.cycles, r.cycleMs, r.peerConnectionsCreated, r.livePeerConnections, r.liveTracks, r.captureTracks, r.remoteElements, `${r.serverSockets} (${r.expectedServerSockets})`, fmt(r.heapBefore / KB, 0), fmt(r.heapGrowth / KB, 1), `${fmt(r.heapGrowthFirstHalf / KB, 1)} / ${fmt(r.heapGrowthSecondHalf / KB, 1)}`, r.heapGrowthPerCycle]
            : [v, 'failed', r.error, '', '', '', '', '', '', '', '', '', ''],
        ),
      ),
    );
    out.push('');
  }
  if (parts.cluster?.data) out.push(clusterDetails(parts.cluster, mdTable, heading));
  if (parts.sfu?.data) out.push(sfuDetails(parts.sfu, mdTable, heading));
  if (parts.install?.data) out.push(installDetails(parts.install, mdTable, heading));
  return out.join('\n');
}

export const ANALYSIS_START = '<!-- analysis:start (kept by npm run bench) -->';
export const ANALYSIS_END = '<!-- analysis:end -->';

/** Which part was measured when, on what, under what load. */
function measuredTable(parts) {
  const load = (m) => (m?.loadAverageAtStart ? `${m.loadAverageAtStart.join(', ')}${m.loadAverageAtEnd ? ` → ${m.loadAverageAtEnd.join(', ')}` : ''}` : '—');
  const machine = (m) =>
    m?.summary ?? (m ? `${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB; ${m.chromium && m.chromium !== 'not used' ? `Chromium ${m.chromium}; ` : ''}Node ${m.node}; ${m.platform}` : '—');
  return mdTable(
    ['Part', 'Measured', 'Machine', 'Load average (1, 5, 15 min) at start → end', 'Raw numbers'],
    Object.entries(parts).map(([name, p]) => [name, p.date, machine(p.machine), load(p.machine), p.data ? `bench/results/${name}.json` : 'lost: rows restored from an earlier RESULTS.md']),
  );
}

export function renderResultsMd({ parts, analysis }) {
  const rows = summaryRows(parts);
  return `# Benchmark results

Generated by \`npm run bench\` (bench/run.mjs) from bench/results/<part>.json, one file per part holding its latest result: a part run alone rewrites only its own file, and this page is regenerated from all of them (\`npm run bench -- report\` regenerates it without measuring).

Run everything: \`npm run bench\` (about 20 minutes on this machine). One part: \`npm run bench -- ttff\` (or \`mesh\`, \`size\`, \`server\`, \`leaks\`, several allowed; \`soak\`, \`fuzz\`, \`cluster\`, \`install\` and \`sfu\` run only when named). Options: \`--runs N\` (ttff calls per setup, default 40), \`--mesh-runs N\` (default 9), \`--sfu-runs N\` (sfu rooms per setup, default 3), \`--cycles N\` (leaks, default 50), \`--server-rounds N\` (default 3), \`--server-rate N\` (one fixed load instead of 2000 and 5000 msg/s), \`--server-clients N\` (default 1000), \`--duration-ms N\` (server measuring window, default 10000; cluster 5000), \`--cluster-clients N\` (default 400), \`--cluster-rate N\` (default 1000 msg/s), \`--cluster-rounds N\` (default 2), \`--sfu-viewers N\` (sfu fan-out, most viewers tried, default 63; its rooms use \`--sfu-runs\`). \`BENCH_SERVER_PROF=<dir>\` writes a V8 CPU profile of each server process.
Every figure is set against a baseline measured in the same run: the machines are shared and noisy, so only the ratios mean much.
Everything ran inside a network namespace holding only loopback, with Debian's Chromium headless (fake camera and microphone), flags from scripts/chrome-args.mjs.

## When each part was measured

${measuredTable(parts)}

## Summary

${markdownSummary(rows)}

## Details

${details(parts)}
## How it is measured

- **ttff**: two browser contexts (A and B), one page each. A starts its capture and enters the room (\`open\`); B starts its capture; then B calls \`join\`. The time runs from that call (in B's page) until both pages have presented the first remote video frame (\`requestVideoFrameCallback\` on the rendering \`<video>\`: for rtc-elements the \`<remote-stream>\`'s own shadow \`<video>\`, for the others a \`<video>\` the bench page creates, sound on like \`<remote-stream>\`: a muted one skips audio output and was measurably faster). Times are \`performance.timeOrigin + performance.now()\`, comparable across pages. rtc-elements' B is a cold page (the tags, its socket opened by \`<rtc-room>\` as soon as it has a room-id, side by side with the capture) and calls join a human reaction (300 ms) after its preview's first frame; the floor's B connects its socket before the join call; RTCMultiConnection's connects in its join (its own way). Phases come from a RTCPeerConnection subclass installed before any library loads, from socket.io's \`onAny\`/\`onAnyOutgoing\`, and from the engine's raw \`data\` event (the moment an ack arrives, before socket.io hands it to app code). "join ack handled (app)" is when the page's own code sees the join succeed: for rtc-elements after \`join()\` resolves, which is after the room has created its RTCPeerConnection; for the floor in the ack callback, before it creates one. Both pages are reloaded for every call in the same two browser contexts (A and B), so each call starts from a fresh document in a warm renderer process.
  - *floor*: vanilla RTCPeerConnection, socket.io client 4 (websocket), a bare relay written in the bench (bench/lib/servers.mjs), the socket connected before the join call (in ttff and mesh): the joiner offers to everyone in the join ack straight away, trickle ICE, no data channel.
  - *RTCMultiConnection 3.7.1*: its npm package's dist/RTCMultiConnection.min.js, with the socket.io client its server serves (/socket.io/socket.io.js), and its server code from \`rtcmulticonnection-server\` attached as its README shows (\`addSocket\` on a default socket.io server), unmodified. Client settings: \`dontCaptureUserMedia = true\` with the stream in \`attachStreams\`, \`iceServers = []\` (its defaults name public STUN/TURN hosts), \`autoCreateMediaElement = false\` (remote video rendered like the floor's); A \`open\`s, B \`join\`s.
- **mesh**: see the section above; the floor is the same vanilla page as in ttff (the newcomer offers to everyone already in the room). Both pages connect their sockets before the join call (\`<rtc-room>\` by itself, once it has a room-id).
- **Tile size (ttff and mesh)**: the floor renders each remote \`<video>\` at the capture's size; rtc-elements' pages give their tiles the same box (\`--remote-stream-width\` and \`--remote-stream-aspect-ratio\` set to the capture's; the cold page's preview too), so both composite the same pixels. The default tile is the page's width at 16:9 (640x360 here): in an interleaved 4-user mesh experiment on 2026-12-01 (5 runs each, machine at load ~30) default tiles took 983 ms median to all-see-all, sized tiles 747 ms, the floor 568 ms (headless Chromium composites in software on these 2 cores).
- **size**: node zlib gzip level 9 of the minified files as shipped; RTCMultiConnection counts its min.js plus socket.io's client-dist/socket.io.min.js (what its server serves), two files, two gzip streams.
- **server**: the send time (\`performance.now()\` of the load generator) travels in the relayed candidate's \`sdpMid\` (the server strips unknown keys, so it cannot ride elsewhere); the receiving client of the same process subtracts it: one-way relay latency, no clock skew. Throughput counts deliveries during the measured window. Memory per socket: (heap used / RSS after GC with 1,000 clients connected and in rooms) minus (the same before any client), divided by the clients. Node clients send no Origin header, which our server's origin check allows.
- **cluster**: the server part's load generator and latency measure against 1, 2 and 3 nodes (\`createSignalingServer({ redisUrl })\`, each its own process) and one redis-server on loopback; each room of 4 spans two nodes, its members alternating, so that 2 of every 3 relays cross between nodes with 2 nodes and with 3. Also one node without Redis, to show what shared mode costs. CPU of the nodes, Redis and the load generator from \`process.cpuUsage()\` and /proc.
- **sfu**: see its section above: Janus as the tests start it, our server with \`janusUrls\`; mesh and sfu rooms with the same users and pages in the same run; CPU from /proc for Chromium's processes and Janus' own.
- **install**: see its section above: \`npm pack\` of each package, \`npm ci --offline\` into an empty folder, the packages and bytes that land in node_modules.
- **leaks**: one page, two \`<rtc-room>\`s each with its own \`<media-capture>\` (320x240@15 + audio); each cycle: A open-or-join, B join, both render a remote frame, both leave (variant *leave*) or both room elements are removed and new ones are created around the same captures (variant *remove*). ${WARMUP_NOTE}. Heap: \`gc()\` (\`--js-flags=--expose-gc\`) four times, CDP \`HeapProfiler.collectGarbage\`, then \`Runtime.getHeapUsage\`.

## Analysis

${ANALYSIS_START}
${analysis ?? '_Nothing written yet._'}
${ANALYSIS_END}
`;
}

const WARMUP_NOTE = 'Three warm-up cycles run before the heap baseline, so first-use allocations (templates, the socket.io manager cache) are not counted as growth';
