// Part 2: mesh. 2, 4 and 6 users (one page each, each in its own browser
// context) call openOrJoin() on one room at the same moment; measured until
// every user renders frames from every other. Reported as a ratio to the
// two-user figure measured the same way in the same run, with the CPU time
// of the whole Chromium process tree (from /proc) divided by the users.
import { navigate, openUser } from './lib/browser.mjs';
import { startFloor, startOurs } from './lib/servers.mjs';
import { chromiumCpu, cpuDelta, median, ratio, round, sleep, withTimeout } from './lib/util.mjs';

const STEADY_MS = 3000;
/**
 * Smaller than the two-user part's capture, and video only: a 6-user mesh is
 * 30 encoders and 30 decoders on this machine's 2 cores, and at 320x240@15
 * with audio the browser alone would need more than 2 cores.
 */
export const MESH_CAPTURE = { width: 160, height: 120, frameRate: 10, audio: false };

async function oneMesh(pool, server, variant, n, roomid, timeoutMs, capture) {
  const errors = [];
  const url = `${server.url}/bench/${variant}.html`;
  const users = pool.slice(0, n);
  for (const u of users) u.errors = errors;
  await Promise.all(users.map((u) => navigate(u, url)));
  try {
    // rtc-elements' remote tiles the floor's <video> size (bench/pages/ours.html).
    await Promise.all(users.map((u) => u.page.evaluate(([r, c]) => window.bench.prepare(0, r, c), [roomid, { ...capture, sizeTiles: true }])));
    const at = (await users[0].page.evaluate(() => window.__bench.now())) + 300;
    const cpu0 = chromiumCpu();
    const calls = await Promise.all(users.map((u) => u.page.evaluate(([a]) => window.bench.enterAt(0, 'openOrJoin', a), [at])));
    const t0 = Math.min(...calls);
    const frames = await withTimeout(
      Promise.all(users.map((u) => u.page.evaluate(([k, ms]) => window.bench.frames(0, k, ms), [n - 1, timeoutMs]))),
      timeoutMs + 5000,
      `mesh of ${n}`,
    );
    const cpuJoin = cpuDelta(cpu0, chromiumCpu());
    const perUser = frames.map((f) => Math.max(...Object.values(f)) - t0);
    const allFrames = Math.max(...perUser);
    // Steady state: every pair sending and rendering.
    await sleep(500);
    const c1 = chromiumCpu();
    const w1 = performance.now();
    await sleep(STEADY_MS);
    const steady = cpuDelta(c1, chromiumCpu());
    const wall = (performance.now() - w1) / 1000;
    const stillRendering = await Promise.all(users.map((u) => u.page.evaluate(() => window.bench.remoteElements())));
    return {
      ok: true,
      allFrames,
      firstUserDone: Math.min(...perUser),
      joinCpuPerUserSec: cpuJoin.total / n,
      joinByType: Object.fromEntries(Object.entries(cpuJoin.byType).map(([k, v]) => [k, round(v / n, 3)])),
      steadyCorePerUser: steady.total / wall / n,
      steadyByType: Object.fromEntries(Object.entries(steady.byType).map(([k, v]) => [k, round(v / wall, 3)])),
      remoteElements: stillRendering,
      errors,
    };
  } catch (err) {
    return { ok: false, error: String(err?.message ?? err), errors };
  } finally {
    await Promise.all(users.map((u) => u.page.goto('about:blank').catch(() => {})));
  }
}

const VARIANTS = ['ours', 'floor'];

/** ours / floor of the runs both completed, run by run. */
function paired(ours = [], floor = []) {
  const byRun = new Map(floor.map((x) => [x.run, x.allFrames]));
  return ours.filter((x) => byRun.has(x.run)).map((x) => x.allFrames / byRun.get(x.run));
}

export async function runMesh({ browser, assets, sizes = [2, 4, 6], runs = 3, capture = MESH_CAPTURE, log = console.log, variants = VARIANTS }) {
  const servers = { ours: await startOurs(assets), floor: await startFloor(assets) };
  // One browser context per user, kept for the whole part; each mesh loads the page afresh in them.
  const pool = [];
  for (let k = 0; k < Math.max(...sizes); k++) pool.push(await openUser(browser, null, []));
  const key = (v, n) => `${v}:${n}`;
  const samples = {};
  const failures = {};
  for (const v of variants) for (const n of sizes) (samples[key(v, n)] = []), (failures[key(v, n)] = []);
  try {
    for (let r = 0; r <= runs; r++) {
      const line = [];
      const order = r % 2 ? [...sizes].reverse() : sizes;
      for (const n of order) {
        for (const v of r % 2 ? [...variants].reverse() : variants) {
          const res = await oneMesh(pool, servers[v.split('-')[0]], v, n, `mesh-${v}-${n}-${r}-${Date.now().toString(36)}`, 30000, capture);
          line.push(`${v} ${n}: ${res.ok ? `${Math.round(res.allFrames)} ms, ${round(res.steadyCorePerUser * 100, 1)}% core/user` : `failed (${res.error.split('\n')[0]})`}`);
          if (r === 0) continue; // warm-up
          if (res.ok) samples[key(v, n)].push({ ...res, run: r });
          else failures[key(v, n)].push(res.error);
        }
      }
      log(`  mesh ${r === 0 ? 'warm-up' : `run ${r}/${runs}`}: ${line.join('; ')}`);
    }
  } finally {
    for (const u of pool) await u.context.close().catch(() => {});
    for (const s of Object.values(servers)) await s.close().catch(() => {});
  }
  const out = {
    runs,
    capture,
    layout: 'one page per user, each in its own browser context, all in one Chromium; everyone calls openOrJoin (the floor: join) at the same instant',
    cpuMethod: 'utime+stime of every Chromium process under the bench (from /proc/<pid>/stat), over 3 s of steady state after all frames flow, divided by users; a share of one core',
    variants: {},
  };
  for (const v of variants) {
    out.variants[v] = {};
    for (const n of sizes) {
      const xs = samples[key(v, n)];
      const typeKeys = [...new Set(xs.flatMap((x) => Object.keys(x.steadyByType)))];
      out.variants[v][n] = {
        n: xs.length,
        failed: failures[key(v, n)].length,
        failures: failures[key(v, n)].slice(0, 3).map((e) => e.split('\n')[0]),
        allFramesP50: round(median(xs.map((x) => x.allFrames)), 1),
        allFramesMax: xs.length ? round(Math.max(...xs.map((x) => x.allFrames)), 1) : null,
        samples: xs.map((x) => round(x.allFrames, 1)),
        joinCpuPerUserSec: round(median(xs.map((x) => x.joinCpuPerUserSec)), 3),
        joinByType: Object.fromEntries([...new Set(xs.flatMap((x) => Object.keys(x.joinByType)))].map((k) => [k, round(median(xs.map((x) => x.joinByType[k] ?? 0)), 3)])),
        steadyCorePerUser: round(median(xs.map((x) => x.steadyCorePerUser)), 4),
        steadyByType: Object.fromEntries(typeKeys.map((k) => [k, round(median(xs.map((x) => x.steadyByType[k] ?? 0)), 3)])),
        pageErrors: [...new Set(xs.flatMap((x) => x.errors))].slice(0, 5),
      };
    }
  }
  const ours = out.variants.ours;
  const floor = out.variants.floor;
  out.ratios = Object.fromEntries(
    sizes.map((n) => [
      n,
      {
        allFramesVsTwo: round(ratio(ours[n].allFramesP50, ours[2]?.allFramesP50), 3),
        floorAllFramesVsTwo: round(ratio(floor[n].allFramesP50, floor[2]?.allFramesP50), 3),
        allFramesVsFloor: round(ratio(ours[n].allFramesP50, floor[n].allFramesP50), 3),
        // Each run's ours / floor (measured back to back), then the median: drift over the part cancels out.
        allFramesPairedVsFloor: round(median(paired(samples[key('ours', n)], samples[key('floor', n)])), 3),
        cpuPerUserVsTwo: round(ratio(ours[n].steadyCorePerUser, ours[2]?.steadyCorePerUser), 3),
        cpuPerUserVsFloor: round(ratio(ours[n].steadyCorePerUser, floor[n].steadyCorePerUser), 3),
      },
    ]),
  );
  return out;
}
