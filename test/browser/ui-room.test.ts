// <rtc-room> with the call UI: names on tiles, muted and camera-off states, as the other person in the call sees them.
import { expect } from '@open-wc/testing';
import type { RemoteStream } from '../../dist/index.js';
import { waitFor } from './helpers.js';
import { createUser, expectFullMesh, expectVideoFrom, remoteStreamsFrom, removeAllUsers, uniqueRoom } from './room-helpers.js';

/** What a person reads on a tile: its name label's text. */
async function tileName(el: RemoteStream): Promise<string> {
  await el.updateComplete;
  return el.shadowRoot!.querySelector('[part="name"]')?.textContent?.trim() ?? '';
}

describe('<rtc-room> call UI: names and tile states', function () {
  this.timeout(60000);
  afterEach(removeAllUsers);

  it('the name attribute becomes extra.name; the peer tile shows it, else the userid', async () => {
    const roomid = uniqueRoom('ui');
    const ada = await createUser(roomid, 'ada', { attrs: { name: 'Ada Lovelace', extra: '{"team":"x"}' } });
    const anon = await createUser(roomid, 'anon');
    await expectFullMesh([ada, anon]);
    await expectVideoFrom(anon, ada);
    const fromAda = remoteStreamsFrom(anon, ada.userid)[0]!;
    expect(fromAda.extra).to.deep.equal({ team: 'x', name: 'Ada Lovelace' });
    expect(await tileName(fromAda)).to.equal('Ada Lovelace');
    const fromAnon = remoteStreamsFrom(ada, anon.userid)[0]!;
    expect(await tileName(fromAnon)).to.equal(anon.userid);
    // Renaming while in the call reaches the peer.
    ada.room.setAttribute('name', 'Ada K.');
    await waitFor(async () => (await tileName(fromAda)) === 'Ada K.', 'new name shown at the peer');
  });

  it('a name is text, never HTML', async () => {
    const roomid = uniqueRoom('ui');
    const evil = await createUser(roomid, 'evil', { attrs: { name: '<img src=x onerror="window.__pwned=1">' } });
    const b = await createUser(roomid, 'b');
    await expectFullMesh([evil, b]);
    const tile = remoteStreamsFrom(b, evil.userid)[0]!;
    await waitFor(async () => (await tileName(tile)).startsWith('<img'), 'name shown as text');
    expect(tile.shadowRoot!.querySelector('img')).to.equal(null);
    expect((window as { __pwned?: number }).__pwned).to.equal(undefined);
  });

  it('muted mic shows a marker (an icon, not an emoji) and camera off shows initials, not black', async () => {
    const roomid = uniqueRoom('ui');
    const grace = await createUser(roomid, 'grace', { attrs: { name: 'Grace Hopper' } });
    const b = await createUser(roomid, 'b', { attrs: { lang: 'de' } });
    await expectFullMesh([grace, b]);
    await expectVideoFrom(b, grace);
    const tile = remoteStreamsFrom(b, grace.userid)[0]!;
    expect(tile.shadowRoot!.querySelector('[part="muted"]')).to.equal(null);
    grace.capture!.setMuted('audio', true);
    await waitFor(() => !!tile.shadowRoot!.querySelector('[part="muted"]'), 'muted marker at the peer');
    const marker = tile.shadowRoot!.querySelector('[part="muted"]')!;
    expect(marker.querySelector('svg')).to.exist;
    expect(marker.getAttribute('aria-label')).to.equal('Stumm'); // the peer's page says lang="de"
    expect(await tileName(tile)).to.equal('Grace Hopper');
    // Camera off: the video is hidden, initials and name show instead.
    grace.capture!.setMuted('video', true);
    await waitFor(() => !!tile.shadowRoot!.querySelector('[part="avatar"]'), 'initials at the peer');
    expect(tile.shadowRoot!.querySelector('[part="avatar"]')!.textContent).to.equal('GH');
    expect(tile.shadowRoot!.querySelector('[part="placeholder"]')!.textContent).to.contain('Grace Hopper');
    const video = tile.shadowRoot!.querySelector('video')!;
    expect(video.getBoundingClientRect().width).to.be.below(2);
    // Both back on: the marker and the initials go.
    grace.capture!.setMuted('audio', false);
    grace.capture!.setMuted('video', false);
    await waitFor(() => !tile.shadowRoot!.querySelector('[part="muted"], [part="avatar"]'), 'states cleared');
  });

  it('the local tile says "You" (in the room\'s language), with the muted marker and initials when the camera is off', async () => {
    const roomid = uniqueRoom('ui');
    const ada = await createUser(roomid, 'ada', { attrs: { name: 'Ada Lovelace' } });
    const local = ada.capture!;
    const label = () => local.shadowRoot!.querySelector('[part="name"]')?.textContent?.trim();
    await waitFor(() => label() === 'You', 'local tile labelled You');
    ada.room.setAttribute('lang', 'de');
    ada.room.strings = {}; // a property change re-labels; lang is read then
    await waitFor(() => label() === 'Du', 'local tile labelled Du');
    local.setMuted('audio', true);
    local.setMuted('video', true);
    await waitFor(() => !!local.shadowRoot!.querySelector('[part="avatar"]'), 'initials on the local tile');
    expect(local.shadowRoot!.querySelector('[part="avatar"]')!.textContent).to.equal('AL');
    expect(local.shadowRoot!.querySelector('[part="muted"]')!.getAttribute('aria-label')).to.equal('Stumm');
    ada.room.strings = { you: 'Me' };
    await waitFor(() => label() === 'Me', 'strings override');
  });
});
