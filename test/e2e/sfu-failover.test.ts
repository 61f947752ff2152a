// Janus failover as people live it: <rtc-room topology="sfu"> pages (one
// browser context each) in a call through a real Janus that is killed -9
// mid-call. The room moves to a second instance (or to the same one,
// restarted), every page rebuilds its SFU connections by itself, and everyone
// decodes everyone again on the same tiles, with no user action.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createSignalingServer, type SignalingServer } from '../../src/server/index.js';
import { roomInJanus, skipWithoutJanus, startJanus, type JanusProcess } from '../server/janus-harness.js';
import { launchBrowser, sfuPerson } from './browser.js';

interface Person {
  page: Page;
  userid: string;
}

describe('sfu rooms survive a Janus crash (kill -9)', { skip: skipWithoutJanus }, () => {
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const januses: JanusProcess[] = [];
  const servers: SignalingServer[] = [];

  before(async () => {
    browser = await launchBrowser();
  });
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close().catch(() => {});
    for (const s of servers.splice(0)) await s.close();
    for (const j of januses.splice(0)) await j.stop();
  });
  after(async () => {
    await browser?.close();
  });

  async function server(instances: JanusProcess[]): Promise<SignalingServer> {
    const s = await createSignalingServer({
      port: 0,
      logLevel: 'silent',
      janusUrls: instances.map((j) => j.url),
      janusApiSecret: instances[0]!.apiSecret,
      janusAdminKey: instances[0]!.adminKey,
    });
    servers.push(s);
    return s;
  }

  /** Janus instances sharing one api_secret and admin_key, as one server's pool expects. */
  async function janus(count: number): Promise<JanusProcess[]> {
    const first = await startJanus();
    januses.push(first);
    for (let i = 1; i < count; i++) januses.push(await startJanus({ apiSecret: first.apiSecret, adminKey: first.adminKey }));
    return [...januses];
  }

  /** One person in `room` (an sfu room), with a 320x240 camera; the page records its room errors. */
  async function person(s: SignalingServer, room: string): Promise<Person> {
    const context = await browser.newContext();
    contexts.push(context);
    const tail = `<script>window.roomErrors = []; document.querySelector('rtc-room').addEventListener('room-error', (e) => roomErrors.push(e.detail.code));</script>`;
    const { page, userid } = await sfuPerson(await context.newPage(), s.url!, room, { tail });
    return { page, userid };
  }

  /**
   * Starts counting, on each tile the page shows now, the frames it renders
   * and the longest pause between two of them; each tile element is marked,
   * so a tile that was replaced (stream-end + new stream) has no count.
   */
  function watchTiles(page: Page): Promise<void> {
    return page.evaluate(() => {
      for (const el of document.querySelectorAll('rtc-room remote-stream')) {
        const video = el.shadowRoot!.querySelector('video')!;
        const watch = { frames: 0, last: 0, longest: 0 };
        (el as unknown as { watch: typeof watch }).watch = watch;
        const onFrame = () => {
          const now = Date.now();
          if (watch.last) watch.longest = Math.max(watch.longest, now - watch.last);
          watch.last = now;
          watch.frames++;
          video.requestVideoFrameCallback(onFrame);
        };
        video.requestVideoFrameCallback(onFrame);
      }
    });
  }

  /** What the page's tiles rendered since watchTiles(): per userid, or `replaced` for a tile without the mark. */
  function tileFrames(page: Page, crashAt: number) {
    return page.evaluate((crashAt) => {
      return [...document.querySelectorAll('rtc-room remote-stream')].map((el) => {
        const w = (el as unknown as { watch?: { frames: number; longest: number; last: number } }).watch;
        return { userid: el.getAttribute('userid') ?? '', replaced: !w, frames: w?.frames ?? 0, longest: w?.longest ?? 0, after: (w?.last ?? 0) > crashAt };
      });
    }, crashAt);
  }

  /** Resolves once each of the page's tiles renders frames again after `crashAt`, on the tiles it had before; the longest pause per tile. */
  async function recovers(viewer: Person, others: Person[], crashAt: number, timeoutMs = 60000): Promise<number[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const tiles = await tileFrames(viewer.page, crashAt);
      assert.deepEqual(
        tiles.map((t) => t.userid).sort(),
        others.map((o) => o.userid).sort(),
        `${viewer.userid}: one tile per other person, no duplicate, no ghost`,
      );
      assert.deepEqual(tiles.filter((t) => t.replaced).map((t) => t.userid), [], `${viewer.userid}: the tiles stayed the same elements`);
      if (tiles.every((t) => t.after)) {
        // Frames keep coming, not one stray frame.
        const before = new Map(tiles.map((t) => [t.userid, t.frames]));
        await new Promise((r) => setTimeout(r, 1000));
        const later = await tileFrames(viewer.page, crashAt);
        if (later.every((t) => t.frames > before.get(t.userid)! + 2)) return later.map((t) => t.longest);
      }
      if (Date.now() > deadline) assert.fail(`${viewer.userid} did not recover within ${timeoutMs} ms: ${JSON.stringify(tiles)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Waits until everyone renders everyone (before the crash). */
  async function allSeeAll(people: Person[]): Promise<void> {
    for (const p of people) {
      await p.page.waitForFunction((n) => document.querySelectorAll('rtc-room remote-stream').length === n, people.length - 1, { timeout: 45000 });
      await watchTiles(p.page);
      await recovers(p, people.filter((o) => o !== p), 0);
    }
  }

  async function where(instances: JanusProcess[], room: string): Promise<JanusProcess[]> {
    const found: JanusProcess[] = [];
    for (const j of instances) if (j.alive && (await roomInJanus(j, room)).exists) found.push(j);
    return found;
  }

  it('three people, two instances: the room moves to the second one; everyone renders everyone again on the same tiles', { timeout: 240000 }, async () => {
    const instances = await janus(2);
    const s = await server(instances);
    const people: Person[] = [];
    for (let i = 0; i < 3; i++) people.push(await person(s, 'failover'));
    await allSeeAll(people);
    const [holder] = await where(instances, 'failover');
    assert.ok(holder, 'the room is on one of the instances');
    const survivor = instances.find((j) => j !== holder)!;

    for (const p of people) await watchTiles(p.page);
    const crashAt = Date.now();
    await holder.kill();
    const gaps: number[] = [];
    for (const p of people) gaps.push(...(await recovers(p, people.filter((o) => o !== p), crashAt)));
    const recovered = Date.now() - crashAt;
    console.log(`# failover to a second Janus: longest pause on a tile ${Math.max(...gaps)} ms (all tiles: ${gaps.join(', ')}); everyone recovered ${recovered} ms after kill -9`);

    assert.deepEqual(await where([survivor], 'failover'), [survivor], 'the room lives on the second instance now');
    for (const p of people) assert.deepEqual(await p.page.evaluate(() => (window as unknown as { roomErrors: string[] }).roomErrors), [], `${p.userid}: no room error`);

    // The room still ends as usual: the Janus room goes with the last person.
    for (const p of people) await p.page.evaluate(() => (document.querySelector('rtc-room') as unknown as { leave(): Promise<void> }).leave());
    const deadline = Date.now() + 10000;
    while ((await roomInJanus(survivor, 'failover')).exists) {
      assert.ok(Date.now() < deadline, 'the Janus room is destroyed once everyone left');
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  it('two people, one instance restarted after kill -9: the room comes back on it by itself', { timeout: 180000 }, async () => {
    const [only] = await janus(1);
    const s = await server([only!]);
    const people = [await person(s, 'restart'), await person(s, 'restart')];
    await allSeeAll(people);

    for (const p of people) await watchTiles(p.page);
    const crashAt = Date.now();
    await only!.kill();
    await only!.up();
    const gaps: number[] = [];
    for (const p of people) gaps.push(...(await recovers(p, people.filter((o) => o !== p), crashAt)));
    console.log(`# Janus restarted: longest pause on a tile ${Math.max(...gaps)} ms; everyone recovered ${Date.now() - crashAt} ms after kill -9`);
    assert.ok((await roomInJanus(only!, 'restart')).exists, 'the room is on the restarted instance');
    for (const p of people) assert.deepEqual(await p.page.evaluate(() => (window as unknown as { roomErrors: string[] }).roomErrors), [], `${p.userid}: no room error`);
  });
});
