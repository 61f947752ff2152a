// The CDN bundle as pages fetch it: dist/rtc-elements.js alone for the plain tags, its chunks only where a
// page needs them (the call UI with `controls`, HTTP long-polling when a proxy drops WebSockets), and a clear
// error when a chunk cannot be fetched. Served by the real server, in Debian's Chromium.
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { demoSession, expectRemoteFrames } from './browser.js';

/** The chunks (dist/rtc-elements-<name>-<hash>.js) a page fetched, by name. */
function chunksFetched(page: Page): string[] {
  const names: string[] = [];
  page.on('request', (req) => {
    const m = /\/dist\/rtc-elements-(.+)-[\w-]+\.js$/.exec(new URL(req.url()).pathname);
    if (m) names.push(m[1]!);
  });
  return names;
}

/** An HTTP proxy in front of `target` that drops every WebSocket upgrade, as some corporate proxies do. */
async function noWebSocketProxy(target: string): Promise<{ url: string; upgrades: () => number; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  let upgrades = 0;
  const proxy: Server = createServer((req, res) => {
    const out = request({ hostname, port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  proxy.on('upgrade', (_req, socket) => {
    upgrades++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    upgrades: () => upgrades,
    close: () => new Promise((resolve) => proxy.close(() => resolve())),
  };
}

const joined = (page: Page) => page.waitForFunction(() => document.querySelector('rtc-room')?.getAttribute('state') === 'joined', null, { timeout: 20000 });

describe('the CDN bundle and its chunks', () => {
  const session = demoSession();

  it('the plain tags fetch rtc-elements.js and no chunk; a page with controls fetches the call UI\'s and shows it', { timeout: 60000 }, async () => {
    const context = await session.newContext();
    try {
      const plain = await context.newPage();
      const plainChunks = chunksFetched(plain);
      await plain.goto(`${session.server.url}/embed.html`);
      await joined(plain);
      assert.deepEqual(plainChunks, [], 'a call with the plain tags, alone in its room: no chunk');

      const ui = await context.newPage();
      const uiChunks = chunksFetched(ui);
      await ui.goto(`${session.server.url}/index.html`);
      // The demo is <rtc-room controls prejoin>: the pre-join panel is the UI chunk's.
      await ui.waitForFunction(() => !!document.querySelector('rtc-room')?.shadowRoot?.querySelector('[part~="join-button"]'), null, { timeout: 20000 });
      assert.ok(uiChunks.includes('room-ui'), `the UI chunk was fetched (${uiChunks.join(', ')})`);
      assert.ok(!uiChunks.includes('polling'), 'no polling where WebSockets work');
    } finally {
      await context.close();
    }
  });

  it('through a proxy that drops WebSockets, pages fall back to polling (fetched then) and see each other', { timeout: 90000 }, async () => {
    const proxy = await noWebSocketProxy(session.server.url!);
    const contexts = await Promise.all([session.newContext(), session.newContext()]);
    try {
      const pages = await Promise.all(contexts.map((c) => c.newPage()));
      const fetched = pages.map(chunksFetched);
      const polls: string[] = [];
      for (const p of pages) p.on('request', (req) => req.url().includes('transport=polling') && polls.push(req.url()));
      for (const p of pages) await p.goto(`${proxy.url}/embed.html`);
      await Promise.all(pages.map((p) => expectRemoteFrames(p, 'rtc-room remote-stream', 5, 40000)));
      assert.ok(proxy.upgrades() >= 2, 'each page tried the WebSocket first');
      for (const f of fetched) assert.ok(f.includes('polling'), `the polling chunk was fetched (${f.join(', ')})`);
      assert.ok(polls.length > 0, 'signaling went over HTTP long-polling');
    } finally {
      for (const c of contexts) await c.close().catch(() => {});
      await proxy.close();
    }
  });

  it('a call UI chunk that cannot be fetched gives room-error ui-unavailable (said on the page) and the plain tiles instead', { timeout: 60000 }, async () => {
    const context = await session.newContext();
    try {
      const page = await context.newPage();
      await page.route(/\/dist\/rtc-elements-room-ui-/, (route) => route.abort());
      await page.addInitScript(() => {
        const w = window as unknown as { roomErrors: string[] };
        w.roomErrors = [];
        document.addEventListener('room-error', (e) => w.roomErrors.push((e as CustomEvent<{ code: string }>).detail.code), true);
      });
      await page.goto(`${session.server.url}/index.html`);
      await page.waitForFunction(() => (window as unknown as { roomErrors: string[] }).roomErrors.includes('ui-unavailable'), null, { timeout: 20000 });
      const shown = await page.evaluate(() => {
        const root = document.querySelector('rtc-room')!.shadowRoot!;
        return { status: root.querySelector('[part="status"]')?.textContent ?? '', slot: !!root.querySelector('slot') };
      });
      assert.match(shown.status, /call UI could not be loaded/);
      assert.ok(shown.slot, 'the room falls back to its plain tiles');
    } finally {
      await context.close();
    }
  });
});
