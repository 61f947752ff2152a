// Part 5: leaks. Two users (two <rtc-room>, each with its own <media-capture>)
// in one page make a call and hang up, 50 times. Afterwards: RTCPeerConnections
// not closed (counted by the bench page's RTCPeerConnection subclass), live
// tracks (should be the captures' own), <remote-stream> elements left, sockets
// left on the server, and JS heap growth after GC (Chromium started with
// --js-flags=--expose-gc; gc() in the page, then CDP Runtime.getHeapUsage).
// Two variants: `leave()` (elements stay), and removing the <rtc-room>
// element (its teardown path) then adding a new one around the same capture.
import { CAPTURE, launchBrowser, openUser } from './lib/browser.mjs';
import { startOurs } from './lib/servers.mjs';
import { round, sleep, withTimeout } from './lib/util.mjs';

export const HEAP_TARGET_BYTES = 2 * 1024 * 1024;
const WARMUP_CYCLES = 3;

async function heapAfterGc(page, cdp) {
  for (let k = 0; k < 4; k++) {
    await page.evaluate(async () => {
      window.gc();
      await new Promise((r) => setTimeout(r, 50));
    });
  }
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  return usedSize;
}

async function cycle(page, roomid, variant) {
  if (variant === 'remove') {
    await page.evaluate((r) => Promise.all([window.bench.recreate(0, r), window.bench.recreate(1, r)]), roomid);
  } else {
    await page.evaluate((r) => {
      window.bench.setRoom(0, r);
      window.bench.setRoom(1, r);
    }, roomid);
  }
  await page.evaluate(() => window.__bench.reset());
  await page.evaluate(async () => {
    window.bench.enter(0, 'openOrJoin');
    await window.bench.joined(0);
    window.bench.enter(1, 'join');
    await window.bench.joined(1);
    await Promise.all([window.bench.frames(0, 1, 20000), window.bench.frames(1, 1, 20000)]);
  });
  if (variant === 'remove') {
    await page.evaluate(() => Promise.all([window.bench.remove(0), window.bench.remove(1)]));
  } else {
    await page.evaluate(() => Promise.all([window.bench.leave(0), window.bench.leave(1)]));
  }
}

async function runVariant(browser, server, variant, cycles, log) {
  const errors = [];
  const { context, page } = await openUser(browser, `${server.url}/bench/ours.html`, errors);
  try {
    const cdp = await context.newCDPSession(page);
    const settings = await page.evaluate(
      ([c]) => Promise.all([window.bench.prepare(0, 'leak-setup', c), window.bench.prepare(1, 'leak-setup', c)]),
      [CAPTURE],
    );
    const ownTracks = settings.reduce((sum, s) => sum + 1 + s.audio, 0);
    for (let k = 0; k < WARMUP_CYCLES; k++) await withTimeout(cycle(page, `leak-${variant}-w${k}`, variant), 30000, 'warm-up cycle');
    await sleep(500);
    const heap0 = await heapAfterGc(page, cdp);
    const live0 = await page.evaluate(() => window.__bench.live());
    const started = performance.now();
    let heapMid = null;
    let gcMs = 0;
    for (let k = 0; k < cycles; k++) {
      await withTimeout(cycle(page, `leak-${variant}-${k}`, variant), 30000, `cycle ${k + 1}`);
      if (k + 1 === Math.floor(cycles / 2)) {
        // Half-way reading: growth that keeps going (a leak) versus a one-off step.
        const g0 = performance.now();
        await sleep(500);
        heapMid = await heapAfterGc(page, cdp);
        gcMs += performance.now() - g0;
      }
      if ((k + 1) % 10 === 0) log(`  leaks ${variant}: ${k + 1}/${cycles} cycles`);
    }
    const cycleMs = (performance.now() - started - gcMs) / cycles;
    // Let closes, 'ended' events and socket disconnects settle before counting.
    await sleep(1500);
    const heap1 = await heapAfterGc(page, cdp);
    const live1 = await page.evaluate(() => window.__bench.live());
    const remoteElements = await page.evaluate(() => document.querySelectorAll('remote-stream').length);
    const serverSockets = server.sockets();
    return {
      ok: true,
      cycles,
      cycleMs: round(cycleMs),
      peerConnectionsCreated: live1.createdPeerConnections - live0.createdPeerConnections,
      livePeerConnections: live1.peerConnections,
      liveTracks: live1.liveTracks,
      captureTracks: ownTracks,
      remoteElements,
      serverSockets,
      expectedServerSockets: variant === 'remove' ? 0 : 2,
      heapBefore: heap0,
      heapAfter: heap1,
      heapMid,
      heapGrowthFirstHalf: heapMid === null ? null : heapMid - heap0,
      heapGrowthSecondHalf: heapMid === null ? null : heap1 - heapMid,
      heapGrowth: heap1 - heap0,
      heapGrowthPerCycle: round((heap1 - heap0) / cycles),
      errors: [...new Set(errors)].slice(0, 5),
    };
  } catch (err) {
    return { ok: false, error: String(err?.message ?? err), errors };
  } finally {
    await context.close().catch(() => {});
  }
}

export async function runLeaks({ assets, cycles = 50, variants = ['leave', 'remove'], log = console.log }) {
  const browser = await launchBrowser(['--js-flags=--expose-gc']);
  const server = await startOurs(assets);
  try {
    const out = { cycles, capture: CAPTURE, heapTargetBytes: HEAP_TARGET_BYTES, variants: {} };
    for (const v of variants) {
      const r = await runVariant(browser, server, v, cycles, log);
      out.variants[v] = r;
      log(
        r.ok
          ? `  leaks ${v}: ${r.livePeerConnections} live RTCPeerConnections (of ${r.peerConnectionsCreated} created), ${r.liveTracks} live tracks (captures: ${r.captureTracks}), ` +
              `${r.serverSockets} server sockets, heap ${round(r.heapGrowth / 1024, 1)} KB growth (${r.cycleMs} ms/cycle)`
          : `  leaks ${v}: failed (${r.error})`,
      );
    }
    return out;
  } finally {
    await server.close().catch(() => {});
    await browser.close().catch(() => {});
  }
}
