// <rtc-room controls>: the control bar driven as a person does (clicks, keyboard), checked on the other person's tiles.
import { expect } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import type { RtcRoom } from '../../dist/index.js';
import { waitFor } from './helpers.js';
import { createUser, expectFullMesh, expectVideoFrom, remoteStreamsFrom, removeAllUsers, uniqueRoom } from './room-helpers.js';

const part = (room: RtcRoom, name: string) => room.shadowRoot!.querySelector<HTMLElement>(`[part~="${name}"]`);

describe('<rtc-room controls>', function () {
  this.timeout(90000);
  afterEach(removeAllUsers);

  it('mic, camera and leave buttons act on the call as the other person sees it; Rejoin comes back', async () => {
    const roomid = uniqueRoom('bar');
    const grace = await createUser(roomid, 'grace', { attrs: { controls: '', name: 'Grace Hopper' } });
    const ada = await createUser(roomid, 'ada');
    await expectFullMesh([grace, ada]);
    await expectVideoFrom(ada, grace);
    await grace.room.updateComplete;
    for (const p of ['controls', 'mic-toggle', 'camera-toggle', 'device-menu', 'leave-button']) expect(part(grace.room, p), p).to.exist;
    const mic = part(grace.room, 'mic-toggle')!;
    expect(mic.getAttribute('aria-pressed')).to.equal('true');
    mic.click();
    const tile = () => remoteStreamsFrom(ada, grace.userid)[0];
    await waitFor(() => tile()?.shadowRoot!.querySelector('[part="muted"]'), 'muted marker at Ada');
    await grace.room.updateComplete;
    expect(mic.getAttribute('aria-pressed')).to.equal('false');
    expect(grace.capture!.audioMuted).to.equal(true);
    part(grace.room, 'camera-toggle')!.click();
    await waitFor(() => tile()?.shadowRoot!.querySelector('[part="placeholder"]')?.textContent?.includes('Grace Hopper'), 'name shown at Ada');
    part(grace.room, 'leave-button')!.click();
    await waitFor(() => remoteStreamsFrom(ada, grace.userid).length === 0, 'tile gone at Ada');
    await waitFor(() => part(grace.room, 'rejoin-button'), 'Rejoin shown');
    part(grace.room, 'rejoin-button')!.click();
    await waitFor(() => remoteStreamsFrom(ada, grace.userid).length === 1, 'tile back at Ada after Rejoin');
  });

  it('controls="mic camera leave" shows that subset in that order; lang="de" labels; the keyboard reaches and works every control', async () => {
    const roomid = uniqueRoom('bar');
    const u = await createUser(roomid, 'kb', { attrs: { controls: 'mic camera leave', lang: 'de' } });
    await u.room.updateComplete;
    const bar = part(u.room, 'controls')!;
    const order = [...bar.children].map((el) => el.getAttribute('part'));
    expect(order).to.deep.equal(['mic-toggle', 'camera-toggle', 'leave-button']);
    expect(part(u.room, 'mic-toggle')!.getAttribute('aria-label')).to.equal('Mikrofon');
    expect(part(u.room, 'leave-button')!.getAttribute('aria-label')).to.equal('Verlassen');
    // Keyboard only: focus the page, Tab through the bar.
    (document.activeElement as HTMLElement | null)?.blur();
    const seen: string[] = [];
    // (Alone in the room, the waiting tile's invite link and Copy button come first.)
    for (let i = 0; i < 16 && seen.length < 3; i++) {
      await sendKeys({ press: 'Tab' });
      const focused = u.room.shadowRoot!.activeElement;
      const p = focused?.getAttribute('part');
      if (p && bar.contains(focused) && !seen.includes(p)) seen.push(p);
    }
    expect(seen).to.deep.equal(['mic-toggle', 'camera-toggle', 'leave-button']);
    // Shift+Tab back to the camera toggle; Space turns the camera off, Enter on again.
    await sendKeys({ down: 'Shift' });
    await sendKeys({ press: 'Tab' });
    await sendKeys({ up: 'Shift' });
    expect(u.room.shadowRoot!.activeElement?.getAttribute('part')).to.equal('camera-toggle');
    await sendKeys({ press: 'Space' });
    await waitFor(() => u.capture!.videoMuted, 'camera off by Space');
    await sendKeys({ press: 'Enter' });
    await waitFor(() => !u.capture!.videoMuted, 'camera on by Enter');
  });

  it('without controls the room renders no bar', async () => {
    const u = await createUser(uniqueRoom('bar'), 'plain');
    await u.room.updateComplete;
    expect(part(u.room, 'controls')).to.equal(null);
  });
});
