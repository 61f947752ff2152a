// Part sfu (only when named: npm run bench -- sfu): rooms through Janus
// (issue 17), started as the tests start it (test/server/janus-harness.ts:
// our deploy/janus config, the veth pair, inside this namespace).
//  1. all see all: 4, 6 and 8 users (one page and browser context each, the
//     mesh part's capture) call openOrJoin() 500 ms apart, once as a
//     mesh room and once as an sfu room, in the same run; time until everyone
//     renders everyone, CPU per user (Chromium; Janus' CPU shown beside it).
//  2. fan-out: one publisher, N viewers (no capture, all in one page) for N
//     growing until the machine breaks: a viewer's frame rate under half the
//     capture's, a viewer without frames, or Chromium + Janus >= 95 % of the cores.
//     Janus' CPU from /proc/<janus pid>/stat, per viewer.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { launchBrowser, navigate, openUser } from './lib/browser.mjs';
import { ROOT, startOurs } from './lib/servers.mjs';
import { MESH_CAPTURE } from './mesh.mjs';
import { chromiumCpu, cpuDelta, fmt, machineCpu, median, ratio, round, sleep, withTimeout } from './lib/util.mjs';

const STEADY_MS = 4000;
const STAGGER_MS = 500;
const CLK_TCK = 100;
/** The fan-out's publisher: simulcast layers need more than the mesh part's 160x120 to exist (Chromium sends two at 640x360). */
export const FANOUT_CAPTURE = { width: 640, height: 360, frameRate: 15, audio: false };

/** CPU seconds of one process so far (utime + stime from /proc/<pid>/stat). */
function processCpu(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** Starts and stops the CPU readings of one measuring window: Chromium's tree, Janus, the whole machine. */
function cpuWindow(janusPid) {
  const c0 = chromiumCpu();
  const j0 = janusPid ? processCpu(janusPid) : 0;
  const m0 = machineCpu();
  const w0 = performance.now();
  return () => {
    const wall = (performance.now() - w0) / 1000;
    const m1 = machineCpu();
    return {
      wall,
      chromiumCores: cpuDelta(c0, chromiumCpu()).total / wall,
      janusCores: janusPid ? (processCpu(janusPid) - j0) / wall : 0,
      machineBusy: m0 && m1 ? (m1.busy - m0.busy) / (m1.total - m0.total) : null,
    };
  };
}

/** Frames each rendered <remote-stream> of the page presented per second over `ms`. */
async function remoteFps(page, ms) {
  return page.evaluate(async (ms) => {
    const count = () => [...document.querySelectorAll('remote-stream')].map((e) => e.mediaElement?.getVideoPlaybackQuality().totalVideoFrames ?? 0);
    const a = count();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, ms));
    const b = count();
    const s = (performance.now() - t0) / 1000;
    return b.map((x, i) => (x - (a[i] ?? 0)) / s);
  }, ms);
}

async function janusHarness() {
  const path = join(ROOT, 'build/test/server/janus-harness.js');
  if (!existsSync(path)) throw new Error('build/test/server/janus-harness.js is missing: run `npx tsc -p tsconfig.test.json` first');
  const harness = await import(pathToFileURL(path).href);
  if (harness.skipWithoutJanus) throw new Error(harness.skipWithoutJanus);
  return harness;
}

/** One room of `users` (their pages reloaded), everyone entering at once; until all render all, then a steady window. */
async function allSeeAll(users, server, topology, roomid, janusPid, timeoutMs) {
  const n = users.length;
  const errors = [];
  for (const u of users) u.errors = errors;
  await Promise.all(users.map((u) => navigate(u, `${server.url}/bench/ours.html`)));
  try {
    const capture = { ...MESH_CAPTURE, topology, maxParticipants: n };
    await Promise.all(users.map((u) => u.page.evaluate(([r, c]) => window.bench.prepare(0, r, c), [roomid, capture])));
    const at = (await users[0].page.evaluate(() => window.__bench.now())) + 300;
    // Staggered by STAGGER_MS, not at one instant as in the mesh part: a peer:join that overtakes the joiner's own ack
    // is dropped by the client (reported to the lead), which an sfu room never repairs; same stagger for both topologies.
    const calls = await Promise.all(users.map((u, k) => u.page.evaluate(([a]) => window.bench.enterAt(0, 'openOrJoin', a), [at + k * STAGGER_MS])));
    const t0 = Math.min(...calls);
    const frames = await withTimeout(
      Promise.all(users.map((u) => u.page.evaluate(([k, ms]) => window.bench.frames(0, k, ms), [n - 1, timeoutMs]))),
      timeoutMs + 5000,
      `${topology} room of ${n}`,
    );
    const allFrames = Math.max(...frames.map((f) => Math.max(...Object.values(f)) - t0));
    await sleep(1000);
    const stop = cpuWindow(topology === 'sfu' ? janusPid : null);
    await sleep(STEADY_MS);
    const cpu = stop();
    return { ok: true, allFrames, chromiumCorePerUser: cpu.chromiumCores / n, janusCorePerUser: cpu.janusCores / n, machineBusy: cpu.machineBusy, errors };
  } catch (err) {
    return { ok: false, error: String(err?.message ?? err), errors };
  } finally {
    await Promise.all(users.map((u) => u.page.goto('about:blank').catch(() => {})));
  }
}

/** One publisher and `n` viewers in one sfu room; whether every viewer renders at a useful frame rate, and what it costs. */
async function fanOut(publisher, viewers, server, n, roomid, janusPid, capture) {
  const errors = [];
  publisher.errors = errors;
  viewers.errors = errors;
  const url = `${server.url}/bench/ours.html`;
  await Promise.all([navigate(publisher, url), navigate(viewers, url)]);
  try {
    await publisher.page.evaluate(([r, c]) => window.bench.prepare(0, r, c), [roomid, { ...capture, topology: 'sfu', maxParticipants: n + 1 }]);
    await publisher.page.evaluate(() => window.bench.enter(0, 'open'));
    await publisher.page.evaluate(() => window.bench.joined(0));
    for (let i = 0; i < n; i++) await viewers.page.evaluate(([i, r]) => window.bench.prepare(i, r, { video: false, topology: 'sfu' }), [i, roomid]);
    const at = (await viewers.page.evaluate(() => window.__bench.now())) + 200;
    const calls = await viewers.page.evaluate(
      ([n, at]) => Promise.all(Array.from({ length: n }, (_, i) => window.bench.enterAt(i, 'join', at))),
      [n, at],
    );
    const t0 = Math.min(...calls);
    const timeoutMs = 30000 + n * 1000;
    let frames;
    try {
      frames = await withTimeout(viewers.page.evaluate(([n, ms]) => window.__bench.waitFrames(n, '', ms), [n, timeoutMs]), timeoutMs + 5000, `${n} viewers`);
    } catch (err) {
      return { ok: false, broke: `not every viewer got frames: ${String(err?.message ?? err).split('\n')[0]}`, errors };
    }
    const allFrames = Math.max(...Object.values(frames)) - t0;
    await sleep(1000);
    const stop = cpuWindow(janusPid);
    const fps = await remoteFps(viewers.page, STEADY_MS);
    const cpu = stop();
    const minFps = Math.min(...fps);
    // Saturated: Chromium and Janus together use 95 % of the cores (the machine's own busy share is shown, not judged:
    // other work shares it).
    const ours = cpu.chromiumCores + cpu.janusCores;
    const broke =
      fps.length < n
        ? `${n - fps.length} viewers render nothing`
        : minFps < capture.frameRate / 2
          ? `a viewer at ${round(minFps, 1)} fps (capture ${capture.frameRate})`
          : ours >= 0.95 * cpus().length
            ? `Chromium + Janus at ${round(ours * 100)} % of a core`
            : null;
    return {
      ok: true,
      broke,
      allFrames: round(allFrames, 1),
      minFps: round(minFps, 1),
      medianFps: round(median(fps), 1),
      janusCores: round(cpu.janusCores, 3),
      janusCorePerViewer: round(cpu.janusCores / n, 4),
      chromiumCores: round(cpu.chromiumCores, 3),
      machineBusy: cpu.machineBusy === null ? null : round(cpu.machineBusy, 3),
      errors,
    };
  } catch (err) {
    return { ok: false, broke: `harness: ${String(err?.message ?? err).split('\n')[0]}`, errors };
  } finally {
    await Promise.all([publisher, viewers].map((u) => u.page.goto('about:blank').catch(() => {})));
  }
}

export async function runSfu({ assets, sizes = [4, 6, 8], runs = 2, maxViewers = 48, log = console.log }) {
  const fanOutSteps = [1, 2, 4, 8, 12, 16, 24, 32, 40, 48, 56, 63].filter((n) => n <= maxViewers);
  const { startJanus } = await janusHarness();
  const janus = await startJanus();
  const server = await startOurs(assets, { janusUrls: [janus.url], janusApiSecret: janus.apiSecret, janusAdminKey: janus.adminKey, sfuRoomSize: 64 });
  const load = () => loadavg().map((x) => round(x, 2));
  const out = {
    loadAverageAtStart: load(),
    capture: MESH_CAPTURE,
    fanOutCapture: FANOUT_CAPTURE,
    runs,
    layout: `One page per user, each in its own browser context, all in one Chromium; everyone calls openOrJoin, ${STAGGER_MS} ms apart (time counted from the first call); the same users and pages for mesh and sfu rooms, alternating`,
    cpuMethod: `utime+stime from /proc: every Chromium process under the bench, and Janus' own process, over ${STEADY_MS / 1000} s of steady state after all frames flow; a share of one core`,
    allSeeAll: {},
    fanOut: { steps: [], brokeAt: null, carried: 0 },
  };
  const pool = [];
  // A browser of its own for each half: the fan-out does not inherit the rooms' leftovers (nor a crash).
  let browser = await launchBrowser();
  try {
    for (let k = 0; k < Math.max(...sizes); k++) pool.push(await openUser(browser, null, []));
    const samples = {};
    const failures = {};
    for (let r = 0; r <= runs; r++) {
      const line = [];
      for (const n of r % 2 ? [...sizes].reverse() : sizes) {
        for (const topology of r % 2 ? ['sfu', 'mesh'] : ['mesh', 'sfu']) {
          const res = await allSeeAll(pool.slice(0, n), server, topology, `sfu-bench-${topology}-${n}-${r}-${Date.now().toString(36)}`, janus.pid, 45000);
          line.push(`${topology} ${n}: ${res.ok ? `${Math.round(res.allFrames)} ms, ${round(res.chromiumCorePerUser * 100, 1)}% core/user${topology === 'sfu' ? ` + Janus ${round(res.janusCorePerUser * 100, 1)}%` : ''}` : `failed (${res.error.split('\n')[0]}${res.errors.length ? `; page errors: ${[...new Set(res.errors)].slice(0, 3).join(' | ')}` : ''})`}`);
          if (r === 0) continue; // warm-up
          const k = `${topology}:${n}`;
          (res.ok ? (samples[k] ??= []) : (failures[k] ??= [])).push(res.ok ? res : res.error);
        }
      }
      log(`  sfu all-see-all ${r === 0 ? 'warm-up' : `run ${r}/${runs}`} (load ${load().join(', ')}): ${line.join('; ')}`);
    }
    for (const n of sizes) {
      const row = {};
      for (const topology of ['mesh', 'sfu']) {
        const xs = samples[`${topology}:${n}`] ?? [];
        row[topology] = {
          n: xs.length,
          failed: (failures[`${topology}:${n}`] ?? []).length,
          failures: (failures[`${topology}:${n}`] ?? []).slice(0, 2).map((e) => e.split('\n')[0]),
          allFramesP50: round(median(xs.map((x) => x.allFrames)), 1),
          chromiumCorePerUser: round(median(xs.map((x) => x.chromiumCorePerUser)), 4),
          janusCorePerUser: round(median(xs.map((x) => x.janusCorePerUser)), 4),
          machineBusy: round(median(xs.map((x) => x.machineBusy ?? NaN)), 3),
          pageErrors: [...new Set(xs.flatMap((x) => x.errors))].slice(0, 3),
        };
      }
      row.ratios = {
        allFramesSfuVsMesh: round(ratio(row.sfu.allFramesP50, row.mesh.allFramesP50), 3),
        browserCpuSfuVsMesh: round(ratio(row.sfu.chromiumCorePerUser, row.mesh.chromiumCorePerUser), 3),
        withJanusCpuSfuVsMesh: round(ratio(row.sfu.chromiumCorePerUser + row.sfu.janusCorePerUser, row.mesh.chromiumCorePerUser), 3),
      };
      out.allSeeAll[n] = row;
    }
    for (const u of pool.splice(0)) await u.context.close().catch(() => {});
    await browser.close();
    browser = await launchBrowser();

    // Fan-out: the publisher in one context, every viewer in one page of another.
    const publisher = await openUser(browser, null, []);
    const viewers = await openUser(browser, null, []);
    pool.push(publisher, viewers);
    for (const n of fanOutSteps) {
      const res = await fanOut(publisher, viewers, server, n, `sfu-fanout-${n}-${Date.now().toString(36)}`, janus.pid, FANOUT_CAPTURE);
      out.fanOut.steps.push({ viewers: n, load: load(), ...res });
      log(
        `  sfu 1 -> ${n}: ${res.ok ? `all rendering after ${fmt(res.allFrames)} ms, fps min ${res.minFps} / median ${res.medianFps}, Janus ${round(res.janusCores * 100, 1)}% core (${round(res.janusCorePerViewer * 100, 2)}% per viewer), Chromium ${round(res.chromiumCores * 100)}%, machine ${round((res.machineBusy ?? 0) * 100)}%` : 'failed'}${res.broke ? `: BROKE (${res.broke})` : ''} (load ${load().join(', ')})`,
      );
      if (res.broke) {
        out.fanOut.brokeAt = { viewers: n, reason: res.broke };
        break;
      }
      out.fanOut.carried = n;
    }
    const carried = out.fanOut.steps.filter((s) => s.ok && !s.broke);
    out.fanOut.janusCorePerViewer = carried.length ? carried.at(-1).janusCorePerViewer : null;
  } finally {
    for (const u of pool) await u.context.close().catch(() => {});
    await browser.close().catch(() => {});
    await server.close().catch(() => {});
    await janus.stop();
  }
  out.loadAverageAtEnd = load();
  return out;
}

/** Summary rows (RESULTS.md and the console). */
export function sfuRows(d) {
  const row = (metric, ours, baseline, r, target = '—', verdict = 'info') => ({ part: 'sfu', metric, ours, baseline, ratio: r, target, verdict });
  const rows = [];
  for (const [n, x] of Object.entries(d.allSeeAll)) {
    rows.push(row(`${n} users: all see all, p50 (ms), sfu`, fmt(x.sfu.allFramesP50), `${fmt(x.mesh.allFramesP50)} (mesh, same run)`, fmt(x.ratios.allFramesSfuVsMesh, 2)));
    const target = Number(n) >= 4 ? '< 1.00 × mesh' : '—';
    const r = x.ratios.browserCpuSfuVsMesh;
    rows.push(row(`${n} users: browser CPU per user, steady (% of a core), sfu`, fmt(x.sfu.chromiumCorePerUser * 100, 1), `${fmt(x.mesh.chromiumCorePerUser * 100, 1)} (mesh, same run)`, fmt(r, 2), target, typeof r === 'number' && Number.isFinite(r) ? (r < 1 ? 'PASS' : 'MISS') : 'n/a'));
    rows.push(row(`${n} users: browser + Janus CPU per user (% of a core), sfu`, fmt((x.sfu.chromiumCorePerUser + x.sfu.janusCorePerUser) * 100, 1), `${fmt(x.mesh.chromiumCorePerUser * 100, 1)} (mesh, same run)`, fmt(x.ratios.withJanusCpuSfuVsMesh, 2)));
  }
  const f = d.fanOut;
  rows.push(row('1 publisher → N viewers: most viewers carried', String(f.carried), f.brokeAt ? `broke at ${f.brokeAt.viewers}: ${f.brokeAt.reason}` : 'did not break', '—'));
  rows.push(row('Janus CPU per viewer at the largest carried N (% of a core)', fmt((f.janusCorePerViewer ?? NaN) * 100, 2), '—', '—'));
  return rows;
}

/** The part's section under "Details" in RESULTS.md. */
export function sfuDetails(part, mdTable, heading) {
  const d = part.data;
  const out = [];
  out.push(heading('sfu', part));
  out.push('');
  out.push(
    `Janus (Debian's package), started as the tests start it (our deploy/janus config, VideoRoom, the veth pair) inside the bench's namespace; our server with \`janusUrls\`. ${d.layout}. ` +
      `All see all: capture ${d.capture.width}x${d.capture.height}@${d.capture.frameRate}, video only (the mesh part's), medians of ${d.runs} runs after a warm-up. ${d.cpuMethod}. ` +
      `Load average at the start ${d.loadAverageAtStart.join(', ')}, at the end ${d.loadAverageAtEnd.join(', ')} (2 cores shared with other work: absolute figures are noisy, the same-run ratios less so).`,
  );
  out.push('');
  out.push(
    mdTable(
      ['Users', 'mesh: all see all p50 (ms)', 'sfu: all see all p50 (ms)', 'mesh: browser CPU/user (% core)', 'sfu: browser CPU/user', 'sfu: Janus CPU/user', 'sfu/mesh browser CPU', 'failed (mesh, sfu)'],
      Object.entries(d.allSeeAll).map(([n, x]) => [
        n,
        fmt(x.mesh.allFramesP50),
        fmt(x.sfu.allFramesP50),
        fmt(x.mesh.chromiumCorePerUser * 100, 1),
        fmt(x.sfu.chromiumCorePerUser * 100, 1),
        fmt(x.sfu.janusCorePerUser * 100, 1),
        fmt(x.ratios.browserCpuSfuVsMesh, 2),
        `${x.mesh.failed}, ${x.sfu.failed}`,
      ]),
    ),
  );
  out.push('');
  const c = d.fanOutCapture;
  out.push(
    `Fan-out: one publisher (${c.width}x${c.height}@${c.frameRate}, video only, simulcast as a camera publishes it: Chromium sends two layers at this size; the viewers' small tiles ask for the low one) and N viewers without a capture, all N in one page (N <rtc-room>s, each its own socket and subscriber connection). ` +
      `It breaks when a viewer renders nothing or under half the capture's frame rate, or Chromium and Janus together use 95 % of the cores. ` +
      (d.fanOut.brokeAt ? `Broke at ${d.fanOut.brokeAt.viewers} viewers (${d.fanOut.brokeAt.reason}); carried ${d.fanOut.carried}.` : `Did not break up to ${d.fanOut.carried} viewers.`),
  );
  out.push('');
  out.push(
    mdTable(
      ['Viewers', 'all rendering after (ms)', 'fps min / median', 'Janus CPU (% core)', 'Janus per viewer (% core)', 'Chromium (% core)', 'machine busy', 'load average', 'broke'],
      d.fanOut.steps.map((s) => [
        s.viewers,
        s.ok ? fmt(s.allFrames) : '—',
        s.ok ? `${s.minFps} / ${s.medianFps}` : '—',
        s.ok ? fmt(s.janusCores * 100, 1) : '—',
        s.ok ? fmt(s.janusCorePerViewer * 100, 2) : '—',
        s.ok ? fmt(s.chromiumCores * 100) : '—',
        s.ok && s.machineBusy !== null ? `${fmt(s.machineBusy * 100)} %` : '—',
        s.load.join(', '),
        s.broke ?? '',
      ]),
    ),
  );
  return out.join('\n');
}
