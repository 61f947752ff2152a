// Soak (issue 7): one user stays in a room while a second one joins and goes
// away 200 times, in turn gracefully (leave()), by removing the element, and
// abruptly (its socket dies and no leave is ever sent). Afterwards nothing may
// be left: no live RTCPeerConnection beyond the current peers, no live track
// beyond the captures' own, no "Cannot create so many PeerConnections".
import { CAPTURE, launchBrowser, openUser } from './lib/browser.mjs';
import { startOurs } from './lib/servers.mjs';
import { round, sleep, withTimeout } from './lib/util.mjs';

const EXITS = ['leave', 'remove', 'abrupt'];

async function cycle(page, roomid, exit) {
  await page.evaluate((r) => window.bench.recreate(1, r), roomid);
  await page.evaluate(async () => {
    window.bench.enter(1, 'join');
    await window.bench.joined(1);
  });
  // Both sides connected, and the host renders the guest's video.
  await page.evaluate(() => window.bench.frames(0, 1, 20000));
  await page.evaluate(async (how) => {
    const guest = [...document.querySelectorAll('rtc-room')].find((r) => r.userid?.startsWith('u1-'));
    if (how === 'leave') await window.bench.leave(1);
    if (how === 'abrupt') {
      // The lid closes: the socket dies, no leave is sent, the peer connections stay until removal.
      guest.socket.io.reconnection(false);
      guest.socket.io.engine.close();
    }
    await window.bench.remove(1);
  }, exit);
  // The host notices (at once for leave/remove; through the data channel or the server for abrupt).
  await page.waitForFunction(() => {
    const host = [...document.querySelectorAll('rtc-room')].find((r) => r.userid?.startsWith('u0-'));
    return host.peers.size === 0;
  }, null, { timeout: 15000 });
}

export async function runSoak({ assets, cycles = 200, log = console.log }) {
  const browser = await launchBrowser();
  const server = await startOurs(assets);
  const errors = [];
  const { context, page } = await openUser(browser, `${server.url}/bench/ours.html`, errors);
  try {
    const settings = await page.evaluate(
      ([c]) => Promise.all([window.bench.prepare(0, 'soak', c), window.bench.prepare(1, 'soak-lobby', c)]),
      [CAPTURE],
    );
    const ownTracks = settings.reduce((sum, s) => sum + 1 + s.audio, 0);
    await page.evaluate(async () => {
      window.bench.enter(0, 'open');
      await window.bench.joined(0);
    });
    await page.evaluate(() => window.bench.remove(1)); // user 1 starts outside the room
    const started = performance.now();
    const byExit = Object.fromEntries(EXITS.map((e) => [e, 0]));
    const failures = [];
    for (let k = 0; k < cycles; k++) {
      const exit = EXITS[k % EXITS.length];
      await page.evaluate(() => window.__bench.reset());
      try {
        await withTimeout(cycle(page, 'soak', exit), 40000, `cycle ${k + 1}`);
        byExit[exit]++;
      } catch (err) {
        failures.push(`cycle ${k + 1} (${exit}): ${err?.message ?? err}`);
        if (failures.length >= 5) break;
      }
      if ((k + 1) % 25 === 0) log(`  soak: ${k + 1}/${cycles} cycles`);
    }
    const cycleMs = (performance.now() - started) / cycles;
    await sleep(1500);
    const live = await page.evaluate(() => window.__bench.live());
    const tooMany = errors.some((e) => /Cannot create so many PeerConnections/i.test(e));
    return {
      ok: failures.length === 0,
      cycles,
      byExit,
      cycleMs: round(cycleMs),
      peerConnectionsCreated: live.createdPeerConnections,
      livePeerConnections: live.peerConnections,
      liveTracks: live.liveTracks,
      captureTracks: ownTracks,
      tooManyPeerConnections: tooMany,
      failures,
      errors: [...new Set(errors)].slice(0, 5),
    };
  } finally {
    await context.close().catch(() => {});
    await server.close().catch(() => {});
    await browser.close().catch(() => {});
  }
}
