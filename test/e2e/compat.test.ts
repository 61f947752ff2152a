// rtc-elements/compat end to end: pages written against RTCMultiConnection's
// API, loading dist/rtc-multiconnection.js where they loaded its library
// scripts, against our real server, one browser context per person.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createSignalingServer, type SignalingServer } from '../../src/server/index.js';
import { launchBrowser, ROOT, screenshot } from './browser.js';

const FIXTURES = join(ROOT, 'test/e2e/compat');

/**
 * Our server whose static root holds the fixture pages (as its demo/, so
 * they come from the server's own origin, as a site would serve them) and
 * our real dist/.
 */
function fixtureSession(): { readonly server: SignalingServer; newContext(options?: Parameters<Browser['newContext']>[0]): Promise<BrowserContext> } {
  let dir = '';
  let server: SignalingServer | undefined;
  let browser: Browser | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rtc-compat-'));
    mkdirSync(join(dir, 'demo'), { recursive: true });
    for (const f of readdirSync(FIXTURES)) copyFileSync(join(FIXTURES, f), join(dir, 'demo', f));
    symlinkSync(join(ROOT, 'dist'), join(dir, 'dist'));
    // The server runs in this test process, next to playwright's driver: on a loaded machine it can miss our 4 s heartbeat,
    // and pages of that era reload on a socket 'disconnect' while alone in their room (the opener would leave the room
    // before her guest arrives). socket.io's default heartbeat (25 s + 20 s, what RTCMultiConnection's server used) keeps
    // the test about the pages, not about this process's scheduling.
    server = await createSignalingServer({ port: 0, logLevel: 'silent', staticRoot: dir, pingInterval: 25000, pingTimeout: 20000 });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get server() {
      return server!;
    },
    newContext: (options) => browser!.newContext(options),
  };
}

interface PersonPage extends Page {
  problems: string[];
  /** The page's console lines (the compat layer logs why a join failed): shown when a wait times out. */
  consoleLines: string[];
}

describe('RTCMultiConnection pages on the compat script', () => {
  const session = fixtureSession();

  /** A person's context; any host but our server is refused (the original pages name CDNs). */
  async function person(): Promise<BrowserContext> {
    const context = await session.newContext({ viewport: { width: 1000, height: 800 } });
    const origin = session.server.url!;
    await context.route('**/*', async (route) => {
      const url = new URL(route.request().url());
      if (url.origin !== new URL(origin).origin) return route.abort();
      return route.continue();
    });
    return context;
  }

  async function open(context: BrowserContext, path: string): Promise<PersonPage> {
    const page = (await context.newPage()) as PersonPage;
    page.problems = [];
    page.consoleLines = [];
    page.on('console', (m) => page.consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
    page.on('dialog', (d) => {
      page.problems.push(`alert: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(`${session.server.url}${path}`);
    // A page that reloads or navigates away has lost its room: say so instead of timing out on what it no longer shows.
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) page.problems.push(`navigated: ${frame.url()}`);
    });
    return page;
  }

  /** Resolves once the <video> picked by `pick` (run in the page) has rendered `frames` new frames. */
  async function expectFrames(page: Page, pick: string, arg: unknown, frames = 3, timeout = 60000): Promise<void> {
    await page.waitForFunction(`(${pick})(${JSON.stringify(arg)}) instanceof HTMLVideoElement`, null, { timeout });
    await page.evaluate(
      ({ pick, arg, frames, timeout }) =>
        new Promise<void>((resolve, reject) => {
          const video = (0, eval)(`(${pick})`)(arg) as HTMLVideoElement;
          let seen = 0;
          const timer = setTimeout(() => reject(new Error(`only ${seen}/${frames} frames rendered`)), timeout);
          const onFrame = () => {
            if (++seen >= frames) {
              clearTimeout(timer);
              resolve();
            } else video.requestVideoFrameCallback(onFrame);
          };
          video.requestVideoFrameCallback(onFrame);
        }),
      { pick, arg, frames, timeout },
    );
  }

  interface Recorded {
    type: 'local' | 'remote';
    streamid: string;
    userid: string | null;
    isVideo: boolean;
  }
  const recorded = (page: Page) => page.evaluate(() => (window as unknown as { __onstream: Recorded[] }).__onstream);
  const howdies = (page: Page) => page.evaluate(() => (window as unknown as { __howdy: unknown[] }).__howdy);

  /** The video the flow made itself and pointed at URL.createObjectURL(camera). */
  const PAGE_VIDEO = `() => [...document.querySelectorAll('video')].find((v) => v.src.startsWith('blob:') && !v.id)`;
  /** The media element of a stream, by the streamid onstream reported. */
  const STREAM_VIDEO = `(id) => document.getElementById(id)`;

  it('the captureUserMedia documentation flow: onstream local and remote, video both ways, howdy to the other member only', { timeout: 240000 }, async () => {
    // Someone in another room hears nothing of this room's custom messages.
    const bystander = await open(await person(), '/bystander.html');
    await bystander.waitForFunction(() => (window as unknown as { connection: { sessionid: string; isInitiator: boolean } }).connection.isInitiator, null, { timeout: 60000 });

    const ada = await open(await person(), '/documented-flow.html');
    // Ada's room exists (her howdy went to an empty room) before Grace arrives.
    await ada.waitForFunction(() => (window as unknown as { connection: { isInitiator: boolean } }).connection.isInitiator === true, null, { timeout: 60000 });
    const grace = await open(await person(), '/documented-flow.html');

    for (const page of [ada, grace]) {
      // onstream fired for the local camera (captureUserMedia's own, and the flow's manual call) and for the other's camera.
      await page.waitForFunction(() => (window as unknown as { __onstream: Recorded[] }).__onstream.some((e) => e.type === 'remote'), null, { timeout: 60000 });
      const events = await recorded(page);
      assert.ok(events.filter((e) => e.type === 'local').length >= 1, 'onstream local fired');
      const remote = events.find((e) => e.type === 'remote')!;
      assert.ok(remote.isVideo && remote.userid, 'the remote event carries a <video> and the userid');
      // Both videos render frames: the flow's own <video src=URL.createObjectURL(camera)> and the remote one the default onstream placed.
      await expectFrames(page, PAGE_VIDEO, null);
      await expectFrames(page, STREAM_VIDEO, remote.streamid);
    }
    assert.equal(await ada.evaluate(`(${PAGE_VIDEO})().srcObject instanceof MediaStream`), true, 'the object URL plays through srcObject');

    // Grace's howdy (sent once she joined) reached Ada; not Grace herself, nor the other room.
    await ada.waitForFunction(() => (window as unknown as { __howdy: unknown[] }).__howdy.length > 0, null, { timeout: 30000 });
    assert.deepEqual(await howdies(ada), ['hello']);
    assert.deepEqual(await howdies(grace), []);
    assert.deepEqual(await howdies(bystander), []);

    await screenshot(ada, 'compat-documented-flow-ada');
    for (const p of [ada, grace, bystander]) assert.deepEqual(p.problems, []);
  });

  /** What a conference page's connection and tiles look like now (for a wait that timed out). */
  async function conferenceState(page: PersonPage): Promise<string> {
    const state = await page
      .evaluate(() => {
        const c = (window as unknown as { connection: Record<string, unknown> & { room: { state?: string; roomid?: string | null } | null; peers: Record<string, { peer?: RTCPeerConnection }>; streamEvents: Record<string, { type: string; userid: string }> } }).connection;
        return {
          sessionid: c.sessionid,
          userid: c.userid,
          isInitiator: c.isInitiator,
          room: c.room ? { state: c.room.state, roomid: c.room.roomid } : null,
          peers: Object.fromEntries(Object.entries(c.peers).map(([id, p]) => [id, p.peer?.connectionState ?? null])),
          streamEvents: Object.values(c.streamEvents).map((e) => `${e.type}:${e.userid}`),
          tiles: [...document.querySelectorAll('#videos-container .media-container')].map((t) => {
            const v = t.querySelector('video');
            return `${t.id} paused=${v?.paused} ready=${v?.readyState}`;
          }),
        };
      })
      .catch((e: unknown) => `(page gone: ${String(e)})`);
    return JSON.stringify({ state, problems: page.problems, console: page.consoleLines.slice(-20) }, null, 1);
  }

  /** Waits for `count` tiles in #videos-container; on timeout, fails with the page's state. */
  async function expectTiles(page: PersonPage, who: string, count: number): Promise<void> {
    try {
      await page.waitForFunction((n) => document.querySelectorAll('#videos-container .media-container video').length === n, count, { timeout: 60000 });
    } catch (err) {
      throw new Error(`${who}: not ${count} tiles: ${(err as Error).message.split('\n')[0]}\n${await conferenceState(page)}`);
    }
  }

  it('a Video-Conferencing page of that era on the compat script: openOrJoin, a room link with checkPresence, videos in videosContainer, peers[userid].peer', { timeout: 240000 }, async () => {
    const ada = await open(await person(), '/Video-Conferencing.html');
    await ada.locator('#room-id').fill('conference');
    await ada.getByRole('button', { name: 'Auto Open Or Join Room' }).click();
    // The opener is shown the room's link, as such pages did for connection.isInitiator.
    await ada.waitForSelector('#room-urls a[href="?roomid=conference"]', { timeout: 60000 });

    // Grace follows the link: the page polls checkPresence, then joins.
    const grace = await open(await person(), '/Video-Conferencing.html?roomid=conference');
    // Her first click on the page: the user gesture a browser wants before it plays a video with sound.
    await grace.locator('h1').click();

    const people: [PersonPage, string][] = [
      [ada, 'Ada'],
      [grace, 'Grace'],
    ];
    for (const [page, who] of people) {
      // Two tiles in videosContainer, each with the id of its stream: the local camera and the other's.
      await expectTiles(page, who, 2);
      const remote = await page.evaluate(() => {
        const w = window as unknown as { connection: { streamEvents: Record<string, { type: string; userid: string }> } };
        const id = Object.keys(w.connection.streamEvents).find((s) => w.connection.streamEvents[s]!.type === 'remote');
        return id ? { streamid: id, userid: w.connection.streamEvents[id]!.userid } : null;
      });
      assert.ok(remote, `${who}: a remote stream event`);
      // The page kicks play() five seconds after onstream; autoplay starts it before.
      await expectFrames(page, `(id) => document.getElementById(id)?.querySelector('video')`, remote.streamid);
      // peers[userid].peer is the RTCPeerConnection carrying that user's media, connected.
      await page
        .waitForFunction(
          (userid) => {
            const peer = (window as unknown as { connection: { peers: Record<string, { peer: unknown }> } }).connection.peers[userid]?.peer;
            return peer instanceof RTCPeerConnection && peer.connectionState === 'connected' && peer.getReceivers().some((r) => r.track.kind === 'video' && r.track.readyState === 'live');
          },
          remote.userid,
          { timeout: 30000 },
        )
        .catch(async (err: unknown) => assert.fail(`${who}: peers[${remote.userid}].peer is not a connected RTCPeerConnection: ${String(err).split('\n')[0]}\n${await conferenceState(page)}`));
    }
    assert.equal(await ada.evaluate(() => (window as unknown as { connection: { getAllParticipants(): string[] } }).connection.getAllParticipants().length), 1);
    assert.equal(await grace.locator('#room-urls').isVisible(), false, 'only the opener gets the link');
    await screenshot(ada, 'compat-video-conferencing-ada');

    // Grace closes her tab: Ada's page removes her tile (onstreamended), and her peer is gone.
    const graceId = await grace.evaluate(() => (window as unknown as { connection: { userid: string } }).connection.userid);
    await grace.close({ runBeforeUnload: false });
    await expectTiles(ada, 'Ada after Grace left', 1);
    assert.equal(await ada.evaluate((id) => (window as unknown as { connection: { peers: Record<string, unknown> } }).connection.peers[id] === undefined, graceId), true);
    for (const p of [ada, grace]) assert.deepEqual(p.problems, []);
  });
});
