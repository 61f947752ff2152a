// Part 1: join to first frame, two users in separate browser contexts.
// User A is in the room with its capture running; user B calls join: for
// rtc-elements from a cold page (the tags, loaded once A is in the room, the
// join called when a person could first click: REACTION_MS after the preview's
// first frame), for the floor with its socket connected and its capture
// running. Measured from B's call until both have rendered the first remote
// video frame. The three setups run interleaved, round after round, so that
// drift on a shared machine hits them alike.
import { navigate, openUser } from './lib/browser.mjs';
import { median, percentile, ratio, round, withTimeout } from './lib/util.mjs';
import { startFloor, startOurs, startRtcmc } from './lib/servers.mjs';

export const VARIANTS = ['ours', 'floor', 'rtcmc'];
/**
 * Small, so CPU is not what is measured, but fast: the first frame can only
 * be one the camera captures after the connection is up, so join-to-frame
 * times fall on a grid of one frame interval (67 ms at 15 fps split every
 * setup's results into clusters). Chromium's fake camera delivers 20 fps at
 * most; the tracks report what they got.
 */
export const TTFF_CAPTURE = { width: 320, height: 240, frameRate: 30 };
const LABEL = { ours: 'rtc-elements (cold page)', floor: 'floor (vanilla + bare relay, pre-connected)', rtcmc: 'RTCMultiConnection 3.7.1' };

/** Page-side marks turned into phase times (ms after B's join call); first occurrence on either side. */
const PHASES = [
  ['transport open (B)', (m) => m.b['engine-open']],
  ['socket connect (B)', (m) => m.b['socket-connect']],
  ['join request sent', (m) => m.b['out:room:join'] ?? m.b['out:join'] ?? m.b['out:join-room']],
  ['join ack arrives (packet)', (m) => m.b['in:ack']],
  ['join ack handled (app)', (m) => m.b['join-ack']],
  ['RTCPeerConnection created (B)', (m) => m.b['pc-create']],
  ['negotiationneeded fired (B)', (m) => m.b.negotiationneeded],
  ['offer sent', (m) => Math.min(m.a['out:offer'] ?? Infinity, m.b['out:offer'] ?? Infinity)],
  ['offer received', (m) => Math.min(m.a['in:offer'] ?? Infinity, m.b['in:offer'] ?? Infinity)],
  ['answer sent', (m) => Math.min(m.a['out:answer'] ?? Infinity, m.b['out:answer'] ?? Infinity)],
  ['answer received', (m) => Math.min(m.a['in:answer'] ?? Infinity, m.b['in:answer'] ?? Infinity)],
  ['track event (A)', (m) => m.a.track],
  ['remote video element made (A)', (m) => m.a['remote-element']],
  ['ICE connected (B)', (m) => m.b['ice-connected']],
  ['DTLS connected (B)', (m) => m.b['pc-connected']],
  ['DTLS connected (A)', (m) => m.a['pc-connected']],
  ['first frame A', (m) => m.ffA],
  ['first frame B', (m) => m.ffB],
];

function firsts(marks) {
  const out = {};
  for (const { t, what } of marks) if (!(what in out)) out[what] = t;
  return out;
}

/** Main-thread time in long tasks (> 50 ms) between `from` and `to`. */
function longTaskMs(marks, from, to) {
  let ms = 0;
  for (const m of marks) {
    if (m.what !== 'longtask') continue;
    const s = Math.max(from, m.detail.start);
    const e = Math.min(to, m.detail.start + m.detail.duration);
    if (e > s) ms += e - s;
  }
  return ms;
}

/**
 * A person's reaction between seeing their own preview and clicking Join: the
 * cold page's join call comes this long after the preview's first frame, plus
 * a random part of up to REACTION_SPREAD_MS (the other setups' join calls wait
 * that random part too). Without it every cold call joined at the same point
 * of B's camera's frame cycle (300 ms is six frames at 20 fps), so whether the
 * first frame A sees is camera frame k or k + 1 was fixed by that one phase
 * rather than left to chance: the calls fell into two clusters a frame (50 ms)
 * apart and the p50 jumped between them from run to run. 100 ms is a whole
 * number of frames at 20, 30 and 60 fps, so every phase is equally likely.
 */
export const REACTION_MS = 300;
export const REACTION_SPREAD_MS = 100;

/** The cold page's own timeline (ms after B's navigation start), median over the calls: what ran before the click. */
const COLD_PHASES = [
  ['bundle evaluated, tags upgraded', 'bundle-run'],
  ['socket created (room-id known)', 'socket-created'],
  ['getUserMedia called', 'gum-call'],
  ['transport open', 'engine-open'],
  ['socket connected', 'socket-connect'],
  ['getUserMedia resolved', 'gum-done'],
  ['preview first frame', 'preview-frame'],
  ['join call (click)', 'join-call'],
];

/**
 * One call: A and B (each its own browser context, kept across calls) load
 * the setup's page afresh; A enters the room, B joins. Resolves with times
 * relative to B's join call. rtc-elements' B is a cold page (ours-cold.html:
 * the tags, loaded once A is in the room, joining when a person could first
 * click); the floor's B has its socket connected and its capture running
 * before the join call; RTCMultiConnection's connects in its join.
 */
export async function oneCall(users, server, variant, roomid, timeoutMs = 20000) {
  const errors = [];
  const url = `${server.url}/bench/${variant}.html`;
  const [a, b] = users;
  for (const u of users) u.errors = errors;
  const cold = variant === 'ours';
  await Promise.all(cold ? [navigate(a, url)] : [navigate(a, url), navigate(b, url)]);
  try {
    let settings = await a.page.evaluate(([r, c]) => window.bench.prepare(0, r, c), [roomid, { ...TTFF_CAPTURE, sizeTiles: true }]);
    await a.page.evaluate(() => {
      window.bench.enter(0, 'open');
      return window.bench.joined(0);
    });
    let t0;
    let timeOrigin = null;
    if (cold) {
      // Marks so far belong to A's setup: only what happens from B's page load on is kept.
      await a.page.evaluate(() => window.__bench.reset());
      const { width, height, frameRate } = TTFF_CAPTURE;
      await navigate(b, `${server.url}/bench/ours-cold.html?${new URLSearchParams({ room: roomid, width, height, frameRate })}`);
      ({ t0, timeOrigin, settings } = await b.page.evaluate((ms) => window.bench.joinLikeAPerson(ms), REACTION_MS + Math.random() * REACTION_SPREAD_MS));
    } else {
      await b.page.evaluate(([r, c]) => window.bench.prepare(0, r, c), [roomid, TTFF_CAPTURE]);
      await a.page.evaluate(() => window.__bench.reset());
      // Anywhere in B's camera's frame cycle, as the cold page's click (see REACTION_SPREAD_MS).
      await new Promise((resolve) => setTimeout(resolve, Math.random() * REACTION_SPREAD_MS));
      t0 = await b.page.evaluate(() => window.bench.enter(0, 'join'));
    }
    const [fa, fb] = await withTimeout(
      Promise.all([
        a.page.evaluate((ms) => window.bench.frames(0, 1, ms), timeoutMs),
        b.page.evaluate((ms) => window.bench.frames(0, 1, ms), timeoutMs),
      ]),
      timeoutMs + 5000,
      `${variant} call`,
    );
    const ffA = Math.min(...Object.values(fa));
    const ffB = Math.min(...Object.values(fb));
    const [ma, mb] = await Promise.all([a.page.evaluate(() => window.__bench.marks), b.page.evaluate(() => window.__bench.marks)]);
    const autoplayBlocked = (await Promise.all([a, b].map((u) => u.page.evaluate(() => document.querySelectorAll('remote-stream[autoplay-blocked]').length)))).reduce((x, y) => x + y, 0);
    const rel = (o) => Object.fromEntries(Object.entries(o).map(([k, t]) => [k, t - t0]));
    const m = { a: rel(firsts(ma)), b: rel(firsts(mb)), ffA: ffA - t0, ffB: ffB - t0 };
    const phases = Object.fromEntries(PHASES.map(([name, f]) => [name, round(f(m), 1)]).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));
    const count = (marks, what) => marks.filter((x) => x.what === what).length;
    const bFirsts = firsts(mb);
    const coldPage = timeOrigin === null ? null : Object.fromEntries(COLD_PHASES.map(([name, what]) => [name, what in bFirsts ? round(bFirsts[what] - timeOrigin, 1) : null]));
    return {
      ok: true,
      ttff: Math.max(ffA, ffB) - t0,
      phases,
      coldPage,
      // Whether B's socket was up when join was called (else the join waited for it).
      connectedAtJoin: m.b['socket-connect'] !== undefined && m.b['socket-connect'] <= 0,
      longTasks: { a: longTaskMs(ma, t0, ffA), b: longTaskMs(mb, t0, ffB) },
      autoplayBlocked,
      candidates: { aSent: count(ma, 'out:candidate'), bSent: count(mb, 'out:candidate') },
      settings,
      errors,
    };
  } catch (err) {
    return { ok: false, error: String(err?.message ?? err), errors };
  } finally {
    // Leave the call behind before the next one: a blank document closes everything.
    await Promise.all([a.page.goto('about:blank'), b.page.goto('about:blank')]).catch(() => {});
  }
}

export async function runTtff({ browser, assets, runs = 15, log = console.log }) {
  const servers = { ours: await startOurs(assets), floor: await startFloor(assets), rtcmc: await startRtcmc(assets) };
  const errors = [];
  const users = [await openUser(browser, null, errors), await openUser(browser, null, errors)];
  const samples = { ours: [], floor: [], rtcmc: [] };
  const failures = { ours: [], floor: [], rtcmc: [] };
  try {
    // Round 0 warms the browser, the servers and the JIT up: not counted.
    for (let round = 0; round <= runs; round++) {
      const order = VARIANTS.map((_, k) => VARIANTS[(k + round) % VARIANTS.length]);
      const line = [];
      for (const v of order) {
        const r = await oneCall(users, servers[v], v, `ttff-${v}-${round}-${Date.now().toString(36)}`);
        if (round === 0) {
          line.push(`${v} ${r.ok ? Math.round(r.ttff) : 'failed'}`);
          continue;
        }
        if (r.ok) samples[v].push(r);
        else failures[v].push(r.error);
        line.push(`${v} ${r.ok ? Math.round(r.ttff) : `failed (${r.error})`}`);
      }
      log(`  ttff ${round === 0 ? 'warm-up' : `run ${round}/${runs}`}: ${line.join(', ')} ms`);
    }
  } finally {
    for (const u of users) await u.context.close().catch(() => {});
    for (const s of Object.values(servers)) await s.close().catch(() => {});
  }
  return summarize(samples, failures, runs);
}

function summarize(samples, failures, runs) {
  const out = { runs, capture: TTFF_CAPTURE, reactionMs: REACTION_MS, reactionSpreadMs: REACTION_SPREAD_MS, variants: {} };
  for (const v of VARIANTS) {
    const xs = samples[v].map((r) => r.ttff);
    const phases = {};
    for (const [name] of PHASES) {
      const vals = samples[v].map((r) => r.phases[name]).filter((x) => x !== null);
      phases[name] = vals.length ? round(median(vals), 1) : null;
    }
    out.variants[v] = {
      label: LABEL[v],
      n: xs.length,
      failed: failures[v].length,
      failures: failures[v].slice(0, 5),
      p50: round(percentile(xs, 50), 1),
      p90: round(percentile(xs, 90), 1),
      min: round(Math.min(...xs), 1),
      max: round(Math.max(...xs), 1),
      samples: xs.map((x) => round(x, 1)),
      phases,
      longTasksMedian: samples[v].length
        ? { a: round(median(samples[v].map((r) => r.longTasks.a))), b: round(median(samples[v].map((r) => r.longTasks.b))) }
        : null,
      autoplayBlockedRuns: samples[v].filter((r) => r.autoplayBlocked > 0).length,
      connectedAtJoinRuns: samples[v].filter((r) => r.connectedAtJoin).length,
      coldPage: samples[v].some((r) => r.coldPage)
        ? Object.fromEntries(COLD_PHASES.map(([name]) => {
            const vals = samples[v].map((r) => r.coldPage?.[name]).filter((x) => x !== null && x !== undefined);
            return [name, vals.length ? round(median(vals), 1) : null];
          }))
        : null,
      candidatesMedian: samples[v].length ? median(samples[v].map((r) => r.candidates.aSent + r.candidates.bSent)) : null,
      settings: samples[v][0]?.settings ?? null,
      pageErrors: [...new Set(samples[v].flatMap((r) => r.errors))].slice(0, 5),
    };
  }
  const o = out.variants.ours;
  out.ratios = {
    p50VsFloor: round(ratio(o.p50, out.variants.floor.p50), 3),
    p50VsRtcmc: round(ratio(o.p50, out.variants.rtcmc.p50), 3),
    p90VsFloor: round(ratio(o.p90, out.variants.floor.p90), 3),
  };
  out.phaseNames = PHASES.map(([n]) => n);
  out.coldPhaseNames = COLD_PHASES.map(([n]) => n);
  return out;
}
