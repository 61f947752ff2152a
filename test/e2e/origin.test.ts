// A page whose origin the signaling server does not allow: one clear room-error, no endless retries.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createSignalingServer, type SignalingServer } from '../../src/server/index.js';
import { launchBrowser } from './browser.js';

/** Refused handshakes the server has counted for origins. */
async function originRefusals(server: SignalingServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('rtc_handshakes_rejected_total') && l.includes('reason="origin"'));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** Adds `<rtc-room socket-url=… room-id="o" autojoin>` to the page and records its room-errors and states. */
async function addRoom(page: Page, socketUrl: string): Promise<void> {
  await page.evaluate(async (url) => {
    const bundle = '/dist/rtc-elements.js';
    await import(bundle);
    const w = window as unknown as { errors: { code: string; message: string }[]; states: string[] };
    w.errors = [];
    w.states = [];
    const room = document.createElement('rtc-room');
    room.addEventListener('room-error', (e) => w.errors.push((e as unknown as CustomEvent<{ code: string; message: string }>).detail));
    room.addEventListener('room-state', (e) => w.states.push((e as unknown as CustomEvent<{ state: string }>).detail.state));
    room.setAttribute('socket-url', url);
    room.setAttribute('room-id', 'o');
    room.setAttribute('autojoin', '');
    document.body.append(room);
  }, socketUrl);
}

describe('a page on an origin the server does not allow', () => {
  let page: SignalingServer;
  let browser: Browser;

  before(async () => {
    // The page's own server, on another loopback address: its origin is not a loopback name.
    page = await createSignalingServer({ host: '127.0.0.2', port: 0, logLevel: 'silent' });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await page?.close();
  });

  it('gets one room-error origin-not-allowed naming its origin and the flag, and stops retrying', { timeout: 60000 }, async () => {
    const signaling = await createSignalingServer({ port: 0, logLevel: 'silent' });
    const context = await browser.newContext();
    try {
      const tab = await context.newPage();
      await tab.goto(`${page.url}/healthz`);
      const origin = new URL(page.url!).origin;
      await addRoom(tab, signaling.url!);
      await tab.waitForFunction(() => (window as unknown as { errors: unknown[] }).errors.length > 0, null, { timeout: 20000 });
      const refused = await originRefusals(signaling);
      assert.ok(refused >= 1);
      // Several reconnect delays (0.5 to 2 s) later: nothing more was tried or reported.
      await new Promise((r) => setTimeout(r, 4000));
      const { errors, state } = await tab.evaluate(() => ({
        errors: (window as unknown as { errors: { code: string; message: string }[] }).errors,
        state: document.querySelector('rtc-room')!.getAttribute('state'),
      }));
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.equal(errors[0]!.code, 'origin-not-allowed');
      assert.ok(errors[0]!.message.includes(origin), errors[0]!.message);
      assert.ok(errors[0]!.message.includes(`--allowed-origins ${origin}`), errors[0]!.message);
      assert.equal(state, 'error');
      assert.equal(await originRefusals(signaling), refused);
    } finally {
      await context.close();
      await signaling.close();
    }
  });

  it('joins once the server allows that origin (the control)', { timeout: 60000 }, async () => {
    const origin = new URL(page.url!).origin;
    const signaling = await createSignalingServer({ port: 0, logLevel: 'silent', allowedOrigins: [origin] });
    const context = await browser.newContext();
    try {
      const tab = await context.newPage();
      await tab.goto(`${page.url}/healthz`);
      await addRoom(tab, signaling.url!);
      await tab.waitForFunction(() => document.querySelector('rtc-room')?.getAttribute('state') === 'joined', null, { timeout: 20000 });
      assert.deepEqual(await tab.evaluate(() => (window as unknown as { errors: unknown[] }).errors), []);
    } finally {
      await context.close();
      await signaling.close();
    }
  });
});
