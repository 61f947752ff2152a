// The call UI as README shows it: 2- and 4-person calls on the zero-JavaScript
// tags with `controls`, at a laptop (1280x720) and a phone (390x844) size,
// each person in their own browser context. The screenshots are saved under
// test-artifacts/, and under docs/img/ with UPDATE_SCREENSHOTS=1 (committed).
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ROOT, demoSession, expectRemoteFrames, screenshot } from './browser.js';

const NAMES = ['Ada', 'Grace', 'Linus', 'Margaret'];
const SIZES = [
  { width: 1280, height: 720 },
  { width: 390, height: 844 },
];

/** The page a CMS author pastes, with a name per person; it fills the window. */
const pageFor = (room: string, name: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<style>html,body{margin:0;height:100%;background:#111}rtc-room{height:100vh}</style>
<script type="module" src="/dist/rtc-elements.js"></script></head>
<body><rtc-room room-id="${room}" autojoin controls name="${name}"><media-capture audio video autostart></media-capture></rtc-room></body></html>`;

describe('call UI screenshots (2 and 4 people, laptop and phone)', () => {
  const session = demoSession();

  for (const people of [2, 4]) {
    it(`${people} people: every tile has its video and name`, { timeout: 150000 }, async () => {
      const room = `shots-${people}-${Date.now().toString(36)}`;
      const pages: Page[] = [];
      for (const name of NAMES.slice(0, people)) {
        const context = await session.newContext({ viewport: SIZES[0] });
        const page = await context.newPage();
        // Served at the server's own origin (the demo's CSP does not apply to this test page).
        await page.route(`${session.server.url}/call.html`, (route) =>
          route.fulfill({ contentType: 'text/html', body: pageFor(room, name) }),
        );
        await page.goto(`${session.server.url}/call.html`);
        pages.push(page);
      }
      const first = pages[0]!;
      await first.waitForFunction((n) => document.querySelectorAll('rtc-room remote-stream').length === n, people - 1, { timeout: 60000 });
      for (let i = 0; i < people - 1; i++) await expectRemoteFrames(first, `rtc-room remote-stream:nth-of-type(${i + 1})`);
      // What the person sees: the others' names on their tiles, "You" on their own, with "Host" (they opened the room).
      const labels = await first.evaluate(() =>
        [...document.querySelectorAll('rtc-room remote-stream, rtc-room media-capture')].map((el) => {
          const label = el.shadowRoot?.querySelector('[part~="name"]');
          const host = label?.querySelector('[part~="host-label"]')?.textContent ?? '';
          return `${(label?.textContent ?? '').replace(host, '').trim()}${host ? ` (${host})` : ''}`;
        }),
      );
      assert.deepEqual([...labels].sort(), ['You (Host)', ...NAMES.slice(1, people)].sort());
      for (const size of SIZES) {
        await first.setViewportSize(size);
        await first.waitForTimeout(300); // the layout follows the resize
        const name = `call-${people}-${size.width}x${size.height}`;
        const path = await screenshot(first, name);
        if (process.env.UPDATE_SCREENSHOTS) {
          mkdirSync(join(ROOT, 'docs/img'), { recursive: true });
          copyFileSync(path, join(ROOT, 'docs/img', `${name}.png`));
        }
      }
      for (const p of pages) await p.context().close();
    });
  }
});
