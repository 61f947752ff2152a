// Two people use the demo page as they would: type a room name, then their
// name in the pre-join panel, click Join, see each other, mute, leave. Real server, separate browser contexts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { demoSession, expectRemoteFrames, screenshot } from './browser.js';

describe('the demo page, clicked through by two people', () => {
  const session = demoSession();

  async function open(): Promise<Page> {
    const context = await session.newContext({ viewport: { width: 1000, height: 720 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    (page as Page & { errors?: string[] }).errors = errors;
    await page.goto(`${session.server.url}/`);
    return page;
  }

  /** Types the room in the page's form, then the name in the room's pre-join panel, and clicks Join. */
  async function join(page: Page, room: string, name: string): Promise<void> {
    await page.getByLabel('Room').fill(room);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Your name').fill(name);
    await page.getByRole('button', { name: 'Join', exact: true }).click();
    await page.waitForSelector('rtc-room[state="joined"]');
  }

  it('join through the pre-join panel, see each other, mute, camera off, leave, rejoin', { timeout: 120000 }, async () => {
    const ada = await open();
    const grace = await open();
    await join(ada, 'standup', 'Ada');
    await join(grace, 'standup', 'Grace');

    // Each side renders the other's video.
    await Promise.all([expectRemoteFrames(ada), expectRemoteFrames(grace)]);
    assert.equal(await ada.locator('#room-form').isVisible(), false, 'the form hides once the room shows');
    // The remote tile is labelled with the name typed in the pre-join panel.
    assert.match(await ada.locator('remote-stream').locator('[part~="name"]').first().innerText(), /Grace/);
    await screenshot(ada, 'demo-ada-in-call');
    await screenshot(grace, 'demo-grace-in-call');

    // Grace turns her microphone off with the room's bar: Ada's tile shows it.
    await grace.getByRole('button', { name: 'Microphone', exact: true }).click();
    await ada.waitForSelector('remote-stream[audio-muted]');
    assert.equal(await ada.locator('remote-stream [part="muted"]').first().getAttribute('aria-label'), 'Muted');
    // Grace turns her camera off: Ada's tile shows her name instead of black.
    await grace.getByRole('button', { name: 'Camera', exact: true }).click();
    await ada.waitForSelector('remote-stream[video-muted]');
    assert.match(await ada.locator('remote-stream').locator('[part="placeholder"]').innerText(), /Grace/);
    await screenshot(ada, 'demo-ada-sees-grace-muted');

    // Grace leaves: her tile goes at Ada's; Grace gets a Rejoin button, and it works.
    await grace.getByRole('button', { name: 'Leave' }).click();
    await ada.waitForFunction(() => document.querySelectorAll('rtc-room remote-stream').length === 0, null, { timeout: 5000 });
    await grace.getByRole('button', { name: 'Rejoin' }).click();
    await expectRemoteFrames(ada);
    await screenshot(ada, 'demo-ada-after-grace-rejoined');

    for (const p of [ada, grace]) assert.deepEqual((p as Page & { errors?: string[] }).errors, []);
  });

  it('an invite link opens the pre-join panel of that room; nobody joins without the guest\'s click', { timeout: 90000 }, async () => {
    const host = await open();
    await join(host, 'invite', 'Host');
    const guestContext = await session.newContext();
    const guest = await guestContext.newPage();
    await guest.goto(`${session.server.url}/?room=invite&autojoin`);
    await guest.getByRole('button', { name: 'Join', exact: true }).waitFor();
    await guest.waitForTimeout(1500);
    assert.equal(await guest.evaluate(() => document.querySelector('rtc-room')?.getAttribute('state') ?? 'idle'), 'idle', 'nobody joined without a click');
    assert.equal(await host.locator('rtc-room remote-stream').count(), 0, 'the host sees nobody yet');
    await guest.getByLabel('Your name').fill('Guest');
    await guest.getByRole('button', { name: 'Join', exact: true }).click();
    await Promise.all([expectRemoteFrames(host), expectRemoteFrames(guest)]);
  });

  it('a full room is explained in words', { timeout: 90000 }, async () => {
    // The server allows 8 by default; fill a room of 2 through the page's element.
    const first = await open();
    await first.evaluate(() => document.getElementById('room-el')!.setAttribute('max-participants', '2'));
    await join(first, 'tiny', 'One');
    const second = await open();
    await join(second, 'tiny', 'Two');
    const third = await open();
    await third.getByLabel('Room').fill('tiny');
    await third.getByRole('button', { name: 'Continue' }).click();
    await third.getByRole('button', { name: 'Join', exact: true }).click();
    await third.waitForFunction(() => /room is full/i.test(document.getElementById('notice')!.textContent ?? ''));
    await screenshot(third, 'demo-room-full');
  });
});
