// Two people use the demo page as they would: type a room name, click Join,
// see each other, mute, leave. Real server, separate browser contexts.
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

  async function join(page: Page, room: string, name: string): Promise<void> {
    await page.getByLabel('Room').fill(room);
    await page.getByLabel('Your name').fill(name);
    await page.getByRole('button', { name: 'Join' }).click();
    await page.waitForSelector('rtc-room[state="joined"]');
  }

  it('join, see each other, mute, leave', { timeout: 120000 }, async () => {
    const ada = await open();
    const grace = await open();
    await join(ada, 'standup', 'Ada');
    await join(grace, 'standup', 'Grace');

    // Each side renders the other's video.
    await Promise.all([expectRemoteFrames(ada), expectRemoteFrames(grace)]);
    assert.match(await ada.locator('#status').innerText(), /In the call.*1 other/);
    assert.equal(await ada.locator('#join-form').isVisible(), false, 'the form hides once in the call');
    // The remote tile is labelled with the person's name.
    const label = await ada.locator('remote-stream').locator('[part="name"]').innerText();
    assert.match(label, /Grace/);
    await screenshot(ada, 'demo-ada-in-call');
    await screenshot(grace, 'demo-grace-in-call');

    // Grace mutes her microphone: Ada's tile shows it.
    await grace.getByRole('button', { name: 'Mute mic' }).click();
    await ada.waitForSelector('remote-stream[audio-muted]');
    assert.equal(await ada.locator('remote-stream [part="muted"]').getAttribute('aria-label'), 'Muted');
    // Grace stops her video: Ada's tile shows a placeholder with her name.
    await grace.getByRole('button', { name: 'Stop video' }).click();
    await ada.waitForSelector('remote-stream[video-muted]');
    assert.match(await ada.locator('remote-stream').locator('[part="placeholder"]').innerText(), /Grace/);
    await screenshot(ada, 'demo-ada-sees-grace-muted');

    // Grace leaves: Ada's grid and status update.
    await grace.getByRole('button', { name: 'Leave' }).click();
    await ada.waitForFunction(() => document.querySelectorAll('rtc-room remote-stream').length === 0, null, { timeout: 5000 });
    await ada.waitForFunction(() => /Grace left/.test(document.getElementById('notice')!.textContent ?? ''));
    assert.match(await ada.locator('#status').innerText(), /0 others/);
    assert.equal(await grace.locator('#join-form').isVisible(), true, 'Grace is back at the form');
    await screenshot(ada, 'demo-ada-after-grace-left');

    for (const p of [ada, grace]) assert.deepEqual((p as Page & { errors?: string[] }).errors, []);
  });

  it('an invite link fills in the room, but the camera comes on only with the guest\'s click (even with &autojoin)', { timeout: 90000 }, async () => {
    const host = await open();
    await join(host, 'invite', 'Host');
    const guestContext = await session.newContext();
    const guest = await guestContext.newPage();
    await guest.goto(`${session.server.url}/?room=invite&autojoin`);
    assert.equal(await guest.getByLabel('Room').inputValue(), 'invite');
    await guest.waitForTimeout(1500);
    assert.equal(await guest.evaluate(() => document.querySelector('rtc-room')?.getAttribute('state') ?? 'idle'), 'idle', 'nobody joined without a click');
    assert.equal(await guest.evaluate(() => [...document.querySelectorAll('media-capture')].some((c) => (c as unknown as { stream: MediaStream | null }).stream)), false, 'no camera on');
    await guest.getByRole('button', { name: 'Join' }).click();
    await Promise.all([expectRemoteFrames(host), expectRemoteFrames(guest)]);
  });

  it('a full room is explained in words', { timeout: 90000 }, async () => {
    // The server allows 8 by default; fill a room of 2 through the page's element.
    const first = await open();
    await first.getByLabel('Room').fill('tiny');
    await first.evaluate(() => document.getElementById('room-el')!.setAttribute('max-participants', '2'));
    await first.getByRole('button', { name: 'Join' }).click();
    await first.waitForSelector('rtc-room[state="joined"]');
    const second = await open();
    await join(second, 'tiny', 'Two');
    const third = await open();
    await third.getByLabel('Room').fill('tiny');
    await third.getByRole('button', { name: 'Join' }).click();
    await third.waitForFunction(() => /room is full/i.test(document.getElementById('notice')!.textContent ?? ''));
    await screenshot(third, 'demo-room-full');
  });
});
