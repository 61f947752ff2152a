// <rtc-room prejoin>: the pre-join panel driven as a person does (typing, clicks, keyboard only), checked on what the other person in the call sees.
import { expect } from '@open-wc/testing';
import { emulateMedia, executeServerCommand, sendKeys, sendMouse, setViewport } from '@web/test-runner-commands';
import type { MediaCapture, RemoteStream, RtcRoom } from '../../dist/index.js';
import { PREFS_KEY } from '../../dist/ui/prefs.js';
import { expectFrames, sleep, waitFor } from './helpers.js';
import { createUser, expectVideoFrom, remoteStreamsFrom, removeAllUsers, SMALL_VIDEO, uniqueRoom, type User } from './room-helpers.js';

/** A room with the pre-join panel, as a page would write it: the capture is not started (the panel starts it). */
function prejoinRoom(roomid: string, attrs: Record<string, string> = {}): { room: RtcRoom; capture: MediaCapture; userid: string } {
  const room = document.createElement('rtc-room');
  const userid = `pj-${Math.random().toString(36).slice(2, 8)}`;
  room.setAttribute('room-id', roomid);
  room.setAttribute('userid', userid);
  room.setAttribute('prejoin', '');
  for (const [k, v] of Object.entries(attrs)) room.setAttribute(k, v);
  const capture = document.createElement('media-capture');
  for (const [k, v] of Object.entries(SMALL_VIDEO)) capture.setAttribute(k, v);
  room.append(capture);
  document.body.append(room);
  made.push(room);
  return { room, capture, userid };
}
const made: RtcRoom[] = [];

const part = <T extends HTMLElement = HTMLElement>(room: RtcRoom, name: string) => room.shadowRoot!.querySelector<T>(`[part~="${name}"]`);
const panel = (room: RtcRoom) => part(room, 'prejoin');
/** The part of the element focused inside the room's shadow root. */
const focused = (room: RtcRoom) => room.shadowRoot!.activeElement?.getAttribute('part') ?? null;
async function tab(back = false): Promise<void> {
  if (back) await sendKeys({ down: 'Shift' });
  await sendKeys({ press: 'Tab' });
  if (back) await sendKeys({ up: 'Shift' });
}

/** The name on `user`'s tile of `userid` (what the other person reads). */
async function nameAt(user: User, userid: string): Promise<string> {
  const el = remoteStreamsFrom(user, userid).find((e) => e.kind === 'camera');
  if (!el) return '';
  await el.updateComplete;
  return el.shadowRoot!.querySelector('[part="name"]')?.textContent?.trim() ?? '';
}

/** Waits for the panel and its live preview. */
async function panelWithPreview(room: RtcRoom): Promise<HTMLVideoElement> {
  await waitFor(() => panel(room), 'the pre-join panel shows');
  const video = await waitFor(() => {
    const v = part<HTMLVideoElement>(room, 'preview');
    return v && v.srcObject && !v.hidden ? v : null;
  }, 'the preview shows the camera');
  await expectFrames(video, 3);
  return video;
}

describe('<rtc-room prejoin>', function () {
  this.timeout(90000);
  beforeEach(() => localStorage.removeItem(PREFS_KEY));
  afterEach(async () => {
    for (const room of made.splice(0)) room.remove();
    localStorage.removeItem(PREFS_KEY);
    await removeAllUsers();
    await setViewport({ width: 800, height: 600 });
  });

  it('shows a live preview and a moving mic meter; the typed name reaches the other side on Join; the panel goes and does not come back after leaving', async () => {
    const roomid = uniqueRoom('pj');
    const bob = await createUser(roomid, 'bob');
    const ada = prejoinRoom(roomid, { controls: '' });
    const video = await panelWithPreview(ada.room);
    expect(video.srcObject, 'the preview is the capture\'s stream').to.equal(ada.capture.stream);
    expect(part(ada.room, 'controls'), 'no control bar before joining').to.equal(null);
    await sendMouse({ type: 'click', position: [1, 1] }); // the gesture the AudioContext waits for
    await waitFor(() => part<HTMLMeterElement>(ada.room, 'level')!.value > 0, 'the mic meter moves with the fake microphone');
    await sleep(500);
    expect(ada.room.state, 'nothing joins before Join').to.equal('idle');
    const input = part<HTMLInputElement>(ada.room, 'name-input')!;
    input.focus();
    await sendKeys({ type: 'Ada Lovelace' });
    part(ada.room, 'join-button')!.click();
    await waitFor(() => ada.room.state === 'joined', 'joined after Join');
    expect(ada.room.name).to.equal('Ada Lovelace');
    await expectVideoFrom(bob, { room: ada.room, capture: ada.capture, userid: ada.userid });
    await waitFor(async () => (await nameAt(bob, ada.userid)) === 'Ada Lovelace', 'Bob reads the name Ada typed');
    await ada.room.updateComplete;
    expect(panel(ada.room), 'the panel is gone once joined').to.equal(null);
    expect(part(ada.room, 'controls'), 'the bar is there').to.exist;
    await ada.room.leave();
    await waitFor(() => part(ada.room, 'rejoin-button'), 'Rejoin offered after leaving');
    expect(panel(ada.room), 'no panel after leaving').to.equal(null);
  });

  it('camera and microphone turned off before joining: the other side sees camera-off initials and the muted marker', async () => {
    const roomid = uniqueRoom('pj');
    const bob = await createUser(roomid, 'bob');
    const ada = prejoinRoom(roomid, { name: 'Grace Hopper' });
    await panelWithPreview(ada.room);
    expect(part<HTMLInputElement>(ada.room, 'name-input')!.value, 'pre-filled from the name attribute').to.equal('Grace Hopper');
    part(ada.room, 'camera-toggle')!.click();
    part(ada.room, 'mic-toggle')!.click();
    await ada.room.updateComplete;
    expect(part(ada.room, 'camera-toggle')!.getAttribute('aria-pressed')).to.equal('false');
    expect(part(ada.room, 'preview')!.hidden, 'the preview hides').to.equal(true);
    expect(part(ada.room, 'avatar')!.textContent).to.equal('GH');
    part(ada.room, 'join-button')!.click();
    const tile = await waitFor(() => remoteStreamsFrom(bob, ada.userid)[0], 'Bob gets Ada\'s tile');
    await waitFor(() => tile.shadowRoot!.querySelector('[part="avatar"]')?.textContent === 'GH', 'Bob sees camera-off initials');
    expect(tile.videoMuted).to.equal(true);
    expect(tile.shadowRoot!.querySelector('[part="muted"]'), 'Bob sees the muted marker').to.exist;
    expect(ada.capture.videoMuted && ada.capture.audioMuted).to.equal(true);
  });

  it('remembers name, toggles and devices per origin: a second room reads them', async () => {
    const roomid = uniqueRoom('pj');
    const first = prejoinRoom(roomid);
    await panelWithPreview(first.room);
    const menu = (room: RtcRoom) => room.shadowRoot!.querySelector<HTMLSelectElement>('select[data-kind="mic"]');
    const mics = await waitFor(() => menu(first.room), 'the microphone menu');
    const micIds = [...mics.options].map((o) => o.value).filter(Boolean);
    expect(micIds.length, 'Chromium has two fake microphones').to.be.at.least(2);
    const pick = micIds.find((id) => id !== first.capture.stream!.getAudioTracks()[0]!.getSettings().deviceId)!;
    mics.value = pick;
    mics.dispatchEvent(new Event('change'));
    await waitFor(() => first.capture.stream!.getAudioTracks()[0]!.getSettings().deviceId === pick, 'the chosen microphone is in use');
    const input = part<HTMLInputElement>(first.room, 'name-input')!;
    input.focus();
    await sendKeys({ type: 'Katherine' });
    part(first.room, 'camera-toggle')!.click();
    part(first.room, 'join-button')!.click();
    await waitFor(() => first.room.state === 'joined', 'joined');
    first.room.remove();
    // As after a reload: a new room element on the same origin.
    const second = prejoinRoom(uniqueRoom('pj'));
    await waitFor(() => panel(second.room), 'the panel shows');
    await second.room.updateComplete;
    expect(part<HTMLInputElement>(second.room, 'name-input')!.value).to.equal('Katherine');
    expect(part(second.room, 'camera-toggle')!.getAttribute('aria-pressed'), 'camera remembered off').to.equal('false');
    expect(part(second.room, 'mic-toggle')!.getAttribute('aria-pressed'), 'mic remembered on').to.equal('true');
    await waitFor(() => second.capture.stream, 'the capture started');
    await waitFor(() => menu(second.room)?.value === pick, 'the remembered microphone is chosen');
    await waitFor(() => second.capture.stream!.getAudioTracks()[0]!.getSettings().deviceId === pick, 'and in use');
    expect(second.capture.videoMuted).to.equal(true);
  });

  it('a camera that cannot start says why in the panel; Join still joins', async () => {
    const roomid = uniqueRoom('pj');
    const ada = prejoinRoom(roomid, { name: 'Ada' });
    ada.capture.setAttribute('width', 'exact:99999'); // no camera can do this: OverconstrainedError
    const alert = await waitFor(() => part(ada.room, 'prejoin-error'), 'the panel shows the capture error');
    expect(alert.getAttribute('role')).to.equal('alert');
    expect(alert.textContent).to.match(/width/i);
    expect(part(ada.room, 'preview')!.hidden).to.equal(true);
    expect(part(ada.room, 'avatar')!.textContent).to.equal('A');
    part(ada.room, 'join-button')!.click();
    await waitFor(() => ada.room.state === 'joined', 'joined without media');
  });

  it('autojoin waits for the Join click', async () => {
    const roomid = uniqueRoom('pj');
    const bob = await createUser(roomid, 'bob');
    const ada = prejoinRoom(roomid, { autojoin: '' });
    await panelWithPreview(ada.room);
    await sleep(1500);
    expect(ada.room.state).to.equal('idle');
    expect(bob.room.peers.has(ada.userid), 'Bob has not met Ada').to.equal(false);
    expect(remoteStreamsFrom(bob, ada.userid)).to.have.length(0);
    part(ada.room, 'join-button')!.click();
    await expectVideoFrom(bob, { room: ada.room, capture: ada.capture, userid: ada.userid });
  });

  it('works from the keyboard alone: Tab goes name, devices, mic, camera, Join; Enter in the name field joins', async () => {
    const roomid = uniqueRoom('pj');
    const bob = await createUser(roomid, 'bob');
    const before = document.createElement('button');
    before.textContent = 'before';
    document.body.prepend(before);
    try {
      const ada = prejoinRoom(roomid, { autojoin: '', lang: 'de', controls: 'mic camera leave' });
      await panelWithPreview(ada.room);
      await waitFor(() => part(ada.room, 'device-select'), 'device menus listed');
      await ada.room.updateComplete;
      expect(part(ada.room, 'join-button')!.textContent).to.equal('Beitreten');
      before.focus();
      const order: (string | null)[] = [];
      for (let i = 0; i < 8 && focused(ada.room) !== 'join-button'; i++) {
        await tab();
        order.push(focused(ada.room));
      }
      const menus = order.filter((p) => p === 'device-select').length;
      expect(menus, 'camera and microphone menus').to.equal(2);
      expect(order).to.deep.equal(['name-input', ...Array(menus).fill('device-select'), 'mic-toggle', 'camera-toggle', 'join-button']);
      await tab(true); // back to the camera toggle
      await sendKeys({ press: 'Space' });
      await waitFor(() => ada.capture.videoMuted, 'camera off by Space');
      for (let i = 0; i < menus + 2; i++) await tab(true);
      expect(focused(ada.room)).to.equal('name-input');
      await sendKeys({ type: 'Ada' });
      await sendKeys({ press: 'Enter' });
      await waitFor(() => ada.room.state === 'joined', 'Enter in the name field joins');
      await waitFor(() => focused(ada.room) === 'mic-toggle', 'focus moves on to the control bar');
      await waitFor(async () => (await nameAt(bob, ada.userid)) === 'Ada', 'Bob reads the name');
      const tile = remoteStreamsFrom(bob, ada.userid)[0] as RemoteStream;
      await waitFor(() => tile.videoMuted, 'and sees the camera off');
    } finally {
      before.remove();
    }
  });

  for (const [w, h] of [
    [1280, 720],
    [390, 844],
  ] as const) {
    it(`looks right at ${w}x${h} (screenshot in test-artifacts/)`, async () => {
      await setViewport({ width: w, height: h });
      document.body.style.margin = '0';
      // With controls the room has its default call height (480px on a phone): the panel scrolls inside it.
      const ada = prejoinRoom(uniqueRoom('pj'), { name: 'Ada Lovelace', controls: '' });
      await panelWithPreview(ada.room);
      await waitFor(() => part(ada.room, 'device-select'), 'device menus listed');
      await sendMouse({ type: 'click', position: [w - 2, h - 2] });
      await waitFor(() => part<HTMLMeterElement>(ada.room, 'level')!.value > 0, 'the meter moves');
      const box = panel(ada.room)!.getBoundingClientRect();
      expect(box.width, 'the panel fills the width').to.be.closeTo(w, 1);
      const preview = part(ada.room, 'preview-tile')!.getBoundingClientRect();
      expect(preview.top, 'the preview starts inside the room').to.be.at.least(box.top);
      part(ada.room, 'join-button')!.scrollIntoView({ block: 'nearest' });
      const join = part(ada.room, 'join-button')!.getBoundingClientRect();
      expect(join.bottom, 'Join can be reached inside the room').to.be.at.most(Math.min(h, ada.room.getBoundingClientRect().bottom) + 0.5);
      expect(preview.width, 'the preview is not tiny').to.be.at.least(Math.min(w - 32, 320) - 1);
      const v = part<HTMLVideoElement>(ada.room, 'preview')!;
      expect(v.paused || v.readyState < 2, 'the preview plays').to.equal(false);
      await executeServerCommand('screenshot', { name: `prejoin-${w}x${h}` });
      // Dark scheme, camera off: the initials instead of the preview.
      await emulateMedia({ colorScheme: 'dark' });
      part(ada.room, 'camera-toggle')!.click();
      await waitFor(() => part(ada.room, 'avatar')?.textContent === 'AL', 'initials while the camera is off');
      expect(getComputedStyle(panel(ada.room)!).backgroundColor, 'dark surface').to.equal('rgb(32, 33, 36)');
      await executeServerCommand('screenshot', { name: `prejoin-${w}x${h}-dark-camera-off` });
      await emulateMedia({ colorScheme: 'light' });
      document.body.style.margin = '';
    });
  }
});
