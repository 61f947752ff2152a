// The zero-JavaScript page from the README, served by the real server, held
// by two people in two separate browser contexts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { SignalingServer } from '../../src/server/index.js';
import { expectRemoteFrames, launchBrowser, screenshot, startDemoServer } from './browser.js';

describe('zero-JavaScript embed (demo/embed.html)', () => {
  let server: SignalingServer;
  let browser: Browser;

  before(async () => {
    server = await startDemoServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('two browser contexts on the page see and hear each other', { timeout: 90000 }, async () => {
    const contexts = await Promise.all([browser.newContext(), browser.newContext()]);
    try {
      const pages = await Promise.all(contexts.map((c) => c.newPage()));
      const errors: string[] = [];
      for (const p of pages) p.on('pageerror', (e) => errors.push(e.message));
      // The page is served with the demo's strict CSP (no inline script, no eval): the bundle must not trip it.
      for (const p of pages) {
        await p.addInitScript(() => {
          document.addEventListener('securitypolicyviolation', (e) => {
            (window as unknown as { cspViolations?: string[] }).cspViolations ??= [];
            (window as unknown as { cspViolations: string[] }).cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
          });
        });
      }
      for (const p of pages) {
        const res = await p.goto(`${server.url}/embed.html`);
        assert.match(res!.headers()['content-security-policy'] ?? '', /script-src 'self';.*frame-ancestors \*/);
      }
      // Each side renders the other's video: frames, not just "connected".
      await Promise.all(pages.map((p) => expectRemoteFrames(p, 'rtc-room remote-stream')));
      for (const p of pages) {
        const state = await p.evaluate(() => {
          const room = document.querySelector('rtc-room')!;
          const remote = room.querySelectorAll('remote-stream');
          const audio = (remote[0] as unknown as { stream: MediaStream }).stream.getAudioTracks().length;
          return { state: room.getAttribute('state'), remotes: remote.length, audio };
        });
        assert.deepEqual(state, { state: 'joined', remotes: 1, audio: 1 });
      }
      for (const p of pages) assert.deepEqual(await p.evaluate(() => (window as unknown as { cspViolations?: string[] }).cspViolations ?? []), []);
      await screenshot(pages[0]!, 'embed-a');
      await screenshot(pages[1]!, 'embed-b');
      // One leaves (tab closed): the other loses its tile.
      await contexts[1]!.close();
      await pages[0]!.waitForFunction(() => document.querySelectorAll('rtc-room remote-stream').length === 0, null, {
        timeout: 10000,
      });
      assert.deepEqual(errors, []);
    } finally {
      for (const c of contexts) await c.close().catch(() => {});
    }
  });
});
