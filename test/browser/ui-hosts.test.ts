// <rtc-room controls>: the participants panel driven as a person does (clicks, Tab/Enter/Space/Escape), with
// several rooms in one page as separate people; what each one sees is checked on their own screen: the host label,
// a muted microphone, a knock, a new tile with frames, a removal, a refused joiner, the end of the room.
import { expect, oneEvent } from '@open-wc/testing';
import { executeServerCommand, sendKeys, setViewport } from '@web/test-runner-commands';
import type { RoomErrorEvent, RtcRoom } from '../../dist/index.js';
import { waitFor } from './helpers.js';
import { createUser, expectVideoFrom, remoteStreamsFrom, removeAllUsers, uniqueRoom, type User } from './room-helpers.js';

const part = (room: RtcRoom, name: string) => room.shadowRoot!.querySelector<HTMLElement>(`[part~="${name}"]`);
const parts = (root: ParentNode, name: string) => [...root.querySelectorAll<HTMLElement>(`[part~="${name}"]`)];
/** The panel's row of one person, found by the name it shows. */
const row = (room: RtcRoom, name: string) =>
  parts(room.shadowRoot!, 'participant').find((li) => li.querySelector('[part~="participant-name"]')!.textContent === name);
/** The visible text of the room's notice line ('' while hidden). */
const notice = (room: RtcRoom) => {
  const p = part(room, 'notice');
  return p && !p.hidden && p.getBoundingClientRect().height > 0 ? p.textContent!.trim() : '';
};
const focused = (room: RtcRoom) => room.shadowRoot!.activeElement?.getAttribute('part');

async function openPanel(u: User): Promise<HTMLElement> {
  const toggle = await waitFor(() => part(u.room, 'participants-toggle'), 'the Participants button');
  if (toggle.getAttribute('aria-expanded') !== 'true') toggle.click();
  await u.room.updateComplete;
  const panel = part(u.room, 'participants')!;
  expect(panel.getBoundingClientRect().width, 'the panel is shown').to.be.greaterThan(200);
  return panel;
}

/** The room's status line: what a person is told when the room refuses or puts them out. */
const status = (u: User) => part(u.room, 'status')?.textContent ?? '';

describe('<rtc-room controls>: the participants panel (hosts)', function () {
  this.timeout(120000);
  afterEach(removeAllUsers);

  it('everyone sees who is host (tile and panel); the panel opens by click and by keyboard, Escape closes it; a participant gets no host buttons', async () => {
    const roomid = uniqueRoom('panel');
    const host = await createUser(roomid, 'host', { attrs: { controls: '', name: 'Hana' } });
    const guest = await createUser(roomid, 'guest', { attrs: { controls: '', name: 'Gus <b>Bold</b>' } });
    await expectVideoFrom(host, guest);
    await expectVideoFrom(guest, host);

    // Host: the badge counts both people; a click opens the panel.
    const toggle = part(host.room, 'participants-toggle')!;
    await waitFor(() => part(host.room, 'participants-count')?.textContent === '2', 'count badge says 2');
    expect(toggle.getAttribute('aria-expanded')).to.equal('false');
    expect(toggle.getAttribute('aria-label')).to.equal('Participants');
    toggle.click();
    await host.room.updateComplete;
    expect(toggle.getAttribute('aria-expanded')).to.equal('true');
    const panel = part(host.room, 'participants')!;
    expect(panel.getAttribute('role')).to.equal('dialog');
    const me = row(host.room, 'Hana (You)')!;
    const gus = row(host.room, 'Gus <b>Bold</b>')!;
    expect(me, 'own row').to.exist;
    expect(gus, "the guest's name, as text").to.exist;
    expect(panel.querySelector('b'), 'a name is never HTML').to.equal(null);
    expect(me.querySelector('[part~="host-label"]')!.textContent).to.equal('Host');
    expect(gus.querySelector('[part~="host-label"]')).to.equal(null);
    // Hosts get buttons for the others, named with the person; none on their own row.
    expect(parts(gus, 'mute-mic')[0]!.getAttribute('aria-label')).to.equal('Turn off microphone: Gus <b>Bold</b>');
    for (const p of ['mute-camera', 'make-host', 'remove-button']) expect(parts(gus, p), p).to.have.length(1);
    expect(parts(me, 'member-actions')).to.have.length(0);
    expect(part(host.room, 'lock-button')).to.exist;
    expect(part(host.room, 'end-button')).to.exist;
    // Focus went into the panel; Escape closes it and gives focus back to the bar's button.
    expect(focused(host.room)).to.equal('participants-close');
    await sendKeys({ press: 'Escape' });
    await host.room.updateComplete;
    expect(part(host.room, 'participants')).to.equal(null);
    expect(toggle.getAttribute('aria-expanded')).to.equal('false');
    expect(focused(host.room)).to.equal('participants-toggle');
    // Keyboard only: Enter opens, Tab reaches the host buttons, Space on Close closes.
    await sendKeys({ press: 'Enter' });
    await host.room.updateComplete;
    expect(part(host.room, 'participants')).to.exist;
    const reached: string[] = [];
    for (let i = 0; i < 6; i++) {
      await sendKeys({ press: 'Tab' });
      reached.push(focused(host.room) ?? '');
    }
    expect(reached).to.include.members(['mute-mic', 'mute-camera', 'make-host', 'remove-button']);
    part(host.room, 'participants-close')!.focus();
    await sendKeys({ press: 'Space' });
    await host.room.updateComplete;
    expect(part(host.room, 'participants')).to.equal(null);

    // Host marked on the tiles: the guest's tile of the host, and the host's own tile.
    const hostTile = () => remoteStreamsFrom(guest, host.userid)[0]?.shadowRoot!.querySelector('[part~="host-label"]');
    await waitFor(() => hostTile()?.textContent === 'Host', "'Host' on the host's tile at the guest");
    expect(remoteStreamsFrom(host, guest.userid)[0]!.shadowRoot!.querySelector('[part~="host-label"]')).to.equal(null);
    expect(host.capture!.shadowRoot!.querySelector('[part~="name"]')!.textContent).to.equal('YouHost');

    // The guest: sees the host label, but no host buttons at all.
    const guestPanel = await openPanel(guest);
    expect(row(guest.room, 'Hana')!.querySelector('[part~="host-label"]')!.textContent).to.equal('Host');
    expect(row(guest.room, 'Gus <b>Bold</b> (You)')).to.exist;
    for (const p of ['member-actions', 'mute-mic', 'mute-camera', 'make-host', 'remove-button', 'host-actions', 'lock-button', 'end-button', 'lobby']) {
      expect(parts(guestPanel, p), p).to.have.length(0);
    }

    // Make host: the guest becomes host, and both screens say so.
    await openPanel(host);
    parts(row(host.room, 'Gus <b>Bold</b>')!, 'make-host')[0]!.click();
    await waitFor(() => row(host.room, 'Gus <b>Bold</b>')?.querySelector('[part~="host-label"]'), 'the host sees Gus as host');
    await waitFor(() => part(guest.room, 'lock-button'), 'the new host gets the host buttons');
    await waitFor(() => remoteStreamsFrom(host, guest.userid)[0]?.shadowRoot!.querySelector('[part~="host-label"]'), "'Host' on Gus's tile at the host");
  });

  it("Mute: the guest's microphone and camera go off on its own page, it is told, and the host's screen shows them off", async () => {
    const roomid = uniqueRoom('panel-mute');
    const host = await createUser(roomid, 'host', { attrs: { controls: '', name: 'Hana' } });
    const guest = await createUser(roomid, 'guest', { attrs: { controls: '', name: 'Gus' } });
    await expectVideoFrom(host, guest);
    await openPanel(host);
    expect(notice(guest.room)).to.equal('');
    const gus = () => row(host.room, 'Gus')!;
    await waitFor(() => !gus().querySelector('[part~="mic-state"]')!.part.contains('off'), "the host sees Gus's microphone on");
    expect(gus().querySelector('[part~="mic-state"]')!.getAttribute('aria-label')).to.equal('Microphone');
    parts(gus(), 'mute-mic')[0]!.click();
    await waitFor(() => guest.capture!.audioMuted, "the guest's microphone is muted");
    await waitFor(() => notice(guest.room) === 'A host muted your microphone', 'the guest is told');
    expect(guest.capture!.hasAttribute('audio-muted')).to.equal(true);
    expect(part(guest.room, 'mic-toggle')!.getAttribute('aria-pressed')).to.equal('false');
    // The host's screen: the muted marker on the guest's tile, the panel row says muted and its button is spent.
    await waitFor(() => remoteStreamsFrom(host, guest.userid)[0]?.shadowRoot!.querySelector('[part="muted"]'), "muted marker on the guest's tile at the host");
    await waitFor(() => gus().querySelector('[part~="mic-state"]')!.part.contains('off'), 'the panel shows the microphone off');
    expect(gus().querySelector('[part~="mic-state"]')!.getAttribute('aria-label')).to.equal('Muted');
    expect((parts(gus(), 'mute-mic')[0] as HTMLButtonElement).disabled).to.equal(true);

    parts(gus(), 'mute-camera')[0]!.click();
    await waitFor(() => guest.capture!.videoMuted, "the guest's camera is off");
    await waitFor(() => notice(guest.room) === 'A host turned off your camera', 'the guest is told about the camera');
    await waitFor(() => remoteStreamsFrom(host, guest.userid)[0]?.shadowRoot!.querySelector('[part="placeholder"]')?.textContent?.includes('Gus'), 'camera-off tile at the host');
    await waitFor(() => gus().querySelector('[part~="camera-state"]')!.part.contains('off'), 'the panel shows the camera off');

    // The guest turns its camera back on itself (its own action): the notice goes, the host sees it on.
    part(guest.room, 'camera-toggle')!.click();
    await waitFor(() => notice(guest.room) === '', 'the notice goes once the guest unmuted');
    await waitFor(() => !gus().querySelector('[part~="camera-state"]')!.part.contains('off'), 'the host sees the camera on again');
  });

  it('lobby: a knock shows while the panel is closed; Admit brings the guest in with video; Deny turns the next one away', async () => {
    const roomid = uniqueRoom('panel-lobby');
    const host = await createUser(roomid, 'host', { attrs: { controls: '', name: 'Hana', lobby: '' } });
    const guest = await createUser(roomid, 'guest', { attrs: { name: 'Gus' }, join: false });
    const entering = guest.room.openOrJoin();
    await waitFor(() => notice(host.room) === 'Gus wants to join', 'the host sees the knock with the panel closed');
    const panel = await openPanel(host);
    expect(notice(host.room), 'the notice gives way to the panel').to.equal('');
    const knock = await waitFor(() => parts(panel, 'knock')[0], 'the knock in the lobby queue');
    expect(knock.querySelector('[part~="participant-name"]')!.textContent).to.equal('Gus');
    expect(parts(knock, 'admit-button')[0]!.getAttribute('aria-label')).to.equal('Admit: Gus');
    expect(remoteStreamsFrom(host, guest.userid)).to.have.length(0);
    parts(knock, 'admit-button')[0]!.click();
    await entering;
    await expectVideoFrom(host, guest);
    await waitFor(() => row(host.room, 'Gus'), 'Gus listed in the panel');
    await waitFor(() => parts(part(host.room, 'participants')!, 'knock').length === 0, 'the queue is empty');

    const second = await createUser(roomid, 'second', { attrs: { name: 'Sam' }, join: false });
    const refused = oneEvent(second.room, 'room-error') as Promise<RoomErrorEvent>;
    second.room.openOrJoin().catch(() => {});
    const knock2 = await waitFor(() => parts(part(host.room, 'participants')!, 'knock')[0], "Sam's knock in the open panel");
    parts(knock2, 'deny-button')[0]!.click();
    expect((await refused).detail.code).to.equal('denied');
    expect(second.room.getAttribute('state')).to.equal('error');
    expect(row(host.room, 'Sam')).to.equal(undefined);
  });

  it("Remove takes the guest's tile away and tells the guest; Lock refuses a new joiner; End puts everyone out", async () => {
    const roomid = uniqueRoom('panel-end');
    const host = await createUser(roomid, 'host', { attrs: { controls: '', name: 'Hana' } });
    const p1 = await createUser(roomid, 'p1', { attrs: { controls: '', name: 'Pia' } });
    const p2 = await createUser(roomid, 'p2', { attrs: { controls: '', name: 'Pat' } });
    await expectVideoFrom(host, p1);
    await expectVideoFrom(host, p2);
    await openPanel(host);

    const removed = oneEvent(p1.room, 'room-error') as Promise<RoomErrorEvent>;
    parts(await waitFor(() => row(host.room, 'Pia'), 'Pia listed'), 'remove-button')[0]!.click();
    expect((await removed).detail.code).to.equal('removed');
    await waitFor(() => remoteStreamsFrom(host, p1.userid).length === 0, "Pia's tile gone at the host");
    await waitFor(() => remoteStreamsFrom(p2, p1.userid).length === 0, "Pia's tile gone at Pat");
    await waitFor(() => row(host.room, 'Pia') === undefined, 'Pia no longer listed');
    expect(status(p1)).to.equal('A host removed you from the room.');

    const lock = part(host.room, 'lock-button')!;
    expect(lock.getAttribute('aria-pressed')).to.equal('false');
    lock.click();
    await waitFor(() => part(host.room, 'lock-button')!.getAttribute('aria-pressed') === 'true', 'Lock pressed');
    const late = await createUser(roomid, 'late', { join: false });
    const lateError = oneEvent(late.room, 'room-error') as Promise<RoomErrorEvent>;
    late.room.openOrJoin().catch(() => {});
    expect((await lateError).detail.code).to.equal('room-locked');
    expect(host.room.peers.has(late.userid)).to.equal(false);

    const ended = oneEvent(p2.room, 'room-error') as Promise<RoomErrorEvent>;
    part(host.room, 'end-button')!.click();
    expect((await ended).detail.code).to.equal('room-ended');
    await waitFor(() => remoteStreamsFrom(p2, host.userid).length === 0 && remoteStreamsFrom(host, p2.userid).length === 0, 'no tiles left');
    await waitFor(() => host.room.state !== 'joined' && p2.room.state !== 'joined', 'everyone is out');
    expect(status(p2)).to.equal('A host ended the room.');
  });

  for (const [width, height] of [
    [1280, 720],
    [390, 844],
  ] as const) {
    it(`looks right at ${width}x${height}: the host's open panel with a knock, over the call (screenshot)`, async () => {
      await setViewport({ width, height });
      try {
        const roomid = uniqueRoom('panel-shot');
        const host = await createUser(roomid, 'host', { attrs: { controls: '', name: 'Ada Lovelace', lobby: '' } });
        host.room.style.cssText = 'position:fixed;inset:0;height:100vh;z-index:10';
        const guests: User[] = [];
        for (const name of ['Grace Hopper', 'Linus']) {
          const g = await createUser(roomid, name.split(' ')[0]!.toLowerCase(), { attrs: { name }, join: false });
          const knocked = oneEvent(host.room, 'knock');
          const entering = g.room.openOrJoin();
          await knocked;
          await host.room.admit(g.userid);
          await entering;
          guests.push(g);
        }
        guests[1]!.capture!.setMuted('audio', true);
        await createUser(roomid, 'margaret', { attrs: { name: 'Margaret' }, join: false }).then((m) => void m.room.openOrJoin().catch(() => {}));
        for (const g of guests) await expectVideoFrom(host, g);
        const panel = await openPanel(host);
        await waitFor(() => parts(panel, 'knock').length === 1 && parts(panel, 'participant').length === 3, 'three people and a knock');
        await waitFor(() => row(host.room, 'Linus')!.querySelector('[part~="mic-state"]')!.part.contains('off'), "Linus's microphone shown off");
        // The panel fits the room: inside it, above the bar, whole on a phone.
        const box = panel.getBoundingClientRect();
        const bar = part(host.room, 'controls')!.getBoundingClientRect();
        expect(box.left).to.be.at.least(0);
        expect(box.right).to.be.at.most(width);
        expect(box.bottom).to.be.at.most(bar.top);
        expect(box.width).to.be.at.least(Math.min(width - 16, 360) - 1);
        for (const b of parts(panel, 'remove-button')) expect(b.getBoundingClientRect().right, 'buttons are not cut off').to.be.at.most(box.right);
        await new Promise((r) => setTimeout(r, 300));
        await executeServerCommand('screenshot', { name: `ui-hosts-panel-${width}x${height}` });
      } finally {
        await setViewport({ width: 800, height: 600 });
      }
    });
  }
});
