// What people do to calls: reload, close the tab, leave, and open a page with
// no gesture (autoplay rules). Real server, separate browser contexts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { demoSession, expectRemoteFrames } from './browser.js';

interface RoomView {
  state: string | null;
  userid: string;
  peers: string[];
  tiles: string[];
}

/** What one page's <rtc-room> shows. */
function view(page: Page): Promise<RoomView> {
  return page.evaluate(() => {
    const room = document.querySelector('rtc-room') as HTMLElement & { room: { userid: string }; peers: Map<string, unknown> };
    return {
      state: room.getAttribute('state'),
      userid: room.room.userid,
      peers: [...room.peers.keys()],
      tiles: [...room.querySelectorAll('remote-stream')].map((e) => e.getAttribute('userid') ?? ''),
    };
  });
}

describe('people using the call', () => {
  const session = demoSession();

  async function person(room: string): Promise<Page> {
    const context = await session.newContext();
    const page = await context.newPage();
    // The embed page with another room id: no script of our own on the page.
    await page.route('**/call.html', (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><script type="module" src="/dist/rtc-elements.js"></script>
          <rtc-room room-id="${room}" autojoin><media-capture audio video width="320" height="240" autostart></media-capture></rtc-room>`,
      }),
    );
    await page.goto(`${session.server.url}/call.html`);
    return page;
  }

  it('a reload comes back as the same user and leaves no ghost', { timeout: 90000 }, async () => {
    const a = await person('reload');
    const b = await person('reload');
    await Promise.all([expectRemoteFrames(a), expectRemoteFrames(b)]);
    const before = await view(b);
    await b.reload();
    await expectRemoteFrames(b);
    await expectRemoteFrames(a, `remote-stream[userid="${before.userid}"]`);
    const [va, vb] = [await view(a), await view(b)];
    assert.equal(vb.userid, before.userid, 'same userid after the reload');
    assert.deepEqual(va.peers, [before.userid]);
    assert.deepEqual(va.tiles, [before.userid], 'one tile for b at a: no ghost');
    assert.deepEqual(vb.tiles, [va.userid]);
  });

  it('a closed tab disappears from the others within 10 s; a graceful leave within 1 s', { timeout: 90000 }, async () => {
    const a = await person('vanish');
    const b = await person('vanish');
    const c = await person('vanish');
    await Promise.all([a, b, c].map((p) => p.waitForFunction(() => document.querySelectorAll('remote-stream').length === 2, null, { timeout: 30000 })));
    const bId = (await view(b)).userid;
    const cId = (await view(c)).userid;

    // c leaves gracefully: a sees it within a second.
    const leaveSeen = a.evaluate(
      (cId) =>
        new Promise<number>((resolve) => {
          document.querySelector('rtc-room')!.addEventListener('peer-leave', (e) => {
            if ((e as unknown as { detail: { userid: string } }).detail.userid === cId) resolve(performance.timeOrigin + performance.now());
          });
        }),
      cId,
    );
    const leftAt = await c.evaluate(async () => {
      const t = performance.timeOrigin + performance.now();
      await (document.querySelector('rtc-room') as unknown as { leave(): Promise<void> }).leave();
      return t;
    });
    assert.ok((await leaveSeen) - leftAt < 1000, 'graceful leave seen within 1 s');

    // b's tab is closed without leaving (no unload handlers run): gone within 10 s.
    const t0 = Date.now();
    await b.context().close();
    await a.waitForFunction(
      (bId) => {
        const room = document.querySelector('rtc-room') as unknown as { peers: Map<string, unknown> };
        return !document.querySelector(`remote-stream[userid="${bId}"]`) && !room.peers.has(bId);
      },
      bId,
      { timeout: 10000 },
    );
    assert.ok(Date.now() - t0 < 10000);
    assert.deepEqual((await view(a)).peers, []);
  });

  it('autoplay without a gesture: video renders; sound plays or one click makes it play', { timeout: 90000 }, async () => {
    const a = await person('autoplay');
    const b = await person('autoplay');
    await Promise.all([expectRemoteFrames(a), expectRemoteFrames(b)]);
    const status = await a.evaluate(() => {
      const el = document.querySelector('remote-stream')!;
      const video = el.shadowRoot!.querySelector('video')!;
      return { blocked: el.hasAttribute('autoplay-blocked'), muted: video.muted, paused: video.paused };
    });
    assert.equal(status.paused, false, 'video plays');
    if (status.blocked) {
      await a.locator('remote-stream').locator('[part="unmute-button"]').click();
      await a.waitForFunction(() => {
        const video = document.querySelector('remote-stream')!.shadowRoot!.querySelector('video')!;
        return !video.muted && !video.paused;
      });
    } else {
      assert.equal(status.muted, false, 'sound plays without a gesture');
    }
  });
});
