// <rtc-room controls|layout>: the stage. Tiles fill the room's box (gridFor's sizes), the speaker layout and pinning,
// a screen share shown large on the other side, the waiting tile with the invite link; screenshots of a 2-person call.
import { expect } from '@open-wc/testing';
import { executeServerCommand, sendMouse, setViewport } from '@web/test-runner-commands';
import type { RtcRoom } from '../../dist/index.js';
import { gridFor } from '../../dist/ui/layout.js';
import { expectFrames, waitFor } from './helpers.js';
import { createUser, expectFullMesh, expectVideoFrom, remoteStreamsFrom, removeAllUsers, uniqueRoom } from './room-helpers.js';

const part = (root: Element, name: string) => root.shadowRoot!.querySelector<HTMLElement>(`[part~="${name}"]`);
const area = (el: Element) => {
  const r = el.getBoundingClientRect();
  return r.width * r.height;
};
/** The room's tiles (its <media-capture> and <remote-stream> children), largest first. */
const bySize = (room: RtcRoom) => [...room.querySelectorAll<HTMLElement>(':scope > media-capture, :scope > remote-stream')].sort((a, b) => area(b) - area(a));

/** A click the browser counts as a user's (getDisplayMedia needs one). */
async function realClick(el: Element): Promise<void> {
  const r = el.getBoundingClientRect();
  await sendMouse({ type: 'click', position: [Math.round(r.x + r.width / 2), Math.round(r.y + r.height / 2)] });
}

/** Waits until every tile of the room has gridFor's size for the stage's content box, and returns that grid. */
async function expectGrid(room: RtcRoom, cells: number) {
  const tiles = () => [...room.querySelectorAll(':scope > media-capture, :scope > remote-stream')];
  let expected = gridFor(cells, 0, 0);
  await waitFor(
    () => {
      const stage = part(room, 'stage')?.getBoundingClientRect();
      if (!stage) return false;
      expected = gridFor(cells, stage.width - 16, stage.height - 16, { gap: 8 });
      return tiles().every((t) => {
        const r = t.getBoundingClientRect();
        return Math.abs(r.width - expected.tileWidth) <= 1 && Math.abs(r.height - expected.tileHeight) <= 1;
      });
    },
    `${cells} cells of ${JSON.stringify(expected)}; tiles are ${tiles()
      .map((t) => `${Math.round(t.getBoundingClientRect().width)}x${Math.round(t.getBoundingClientRect().height)}`)
      .join(', ')}`,
    5000,
  );
  const stage = part(room, 'stage')!.getBoundingClientRect();
  for (const t of tiles()) {
    const r = t.getBoundingClientRect();
    expect(r.left >= stage.left && r.right <= stage.right + 0.5 && r.top >= stage.top && r.bottom <= stage.bottom + 0.5, 'tile inside the stage').to.equal(true);
  }
  return expected;
}

function fill(room: RtcRoom, style = 'width:100vw;height:100vh'): void {
  room.style.cssText = `position:fixed;left:0;top:0;z-index:1;${style}`;
}

describe('<rtc-room> stage: layout, pin, screen share, waiting tile', function () {
  this.timeout(90000);
  afterEach(async () => {
    await removeAllUsers();
    for (const el of document.querySelectorAll('body > rtc-room')) el.remove();
    await setViewport({ width: 800, height: 600 });
  });

  it('without controls or layout the room keeps its plain auto-fill grid (no stage)', async () => {
    const room = document.createElement('rtc-room');
    room.append(document.createElement('media-capture'));
    document.body.append(room);
    await room.updateComplete;
    expect(part(room, 'stage')).to.equal(null);
    expect(getComputedStyle(room).display).to.equal('grid');
    expect(room.shadowRoot!.querySelector('slot')).to.exist;
  });

  it('the room takes the width it is given; its height from the page, else a default that fits the screen', async () => {
    await setViewport({ width: 1280, height: 720 });
    const box = document.createElement('div');
    box.style.cssText = 'width: 600px';
    const room = document.createElement('rtc-room');
    room.setAttribute('layout', 'grid');
    room.append(document.createElement('media-capture'));
    box.append(room);
    document.body.append(box);
    try {
      await room.updateComplete;
      expect(room.getBoundingClientRect().width).to.equal(600);
      expect(room.getBoundingClientRect().height, 'default: 16:9 of the 1280 px screen, at most its 720 px').to.equal(720);
      room.style.height = '300px';
      expect(room.getBoundingClientRect().width, 'a page height does not change the width').to.equal(600);
      expect(room.getBoundingClientRect().height).to.equal(300);
      await expectGrid(room, 1);
    } finally {
      box.remove();
    }
  });

  it('layout="grid": 1, 2 and 4 tiles in a 1280x720 room get gridFor\'s sizes, 16:9, the one tile nearly the whole box', async () => {
    await setViewport({ width: 1280, height: 720 });
    const room = document.createElement('rtc-room');
    room.setAttribute('layout', 'grid');
    fill(room, 'width:1280px;height:720px');
    document.body.append(room);
    const shapes: string[] = [];
    for (const n of [1, 2, 4]) {
      while (room.children.length < n) room.append(document.createElement('media-capture'));
      const g = await expectGrid(room, n);
      expect(Math.abs(g.tileWidth / g.tileHeight - 16 / 9)).to.be.below(0.02);
      shapes.push(`${g.columns}x${g.rows}`);
      if (n === 1) expect(g.tileWidth, 'one tile fills the 1280x720 box').to.be.above(1240);
    }
    expect(shapes).to.deep.equal(['1x1', '2x1', '2x2']);
    // The box resizes: the grid follows.
    room.style.width = '400px';
    room.style.height = '720px';
    const g = await expectGrid(room, 4);
    expect(`${g.columns}x${g.rows}`).to.equal('1x4');
    // A small phone and a 4K screen.
    for (const [w, h] of [
      [320, 568],
      [3840, 2160],
    ] as const) {
      room.style.width = `${w}px`;
      room.style.height = `${h}px`;
      const big = await expectGrid(room, 4);
      expect(big.tileWidth * big.columns, `${w}x${h}: the tiles use the width or the height`).to.satisfy(
        // (up to 2 px a tile lost to whole-pixel rounding)
        (used: number) => used >= w - 16 - 8 * (big.columns - 1) - 2 * big.columns || big.tileHeight * big.rows >= h - 16 - 8 * (big.rows - 1) - 2 * big.rows,
      );
    }
  });

  it('a 2-person call fills 1280x720 and 390x844 (the bar under 15 % of the phone screen); screenshots', async () => {
    const roomid = uniqueRoom('stage');
    const grace = await createUser(roomid, 'grace', { attrs: { controls: '', name: 'Grace Hopper' } });
    const ada = await createUser(roomid, 'ada', { attrs: { controls: '', name: 'Ada Lovelace' } });
    fill(ada.room, 'width:320px;height:240px;z-index:0');
    fill(grace.room);
    await expectFullMesh([grace, ada]);
    for (const [w, h, shape] of [
      [1280, 720, '2x1'],
      [390, 844, '1x2'],
    ] as const) {
      await setViewport({ width: w, height: h });
      const g = await expectGrid(grace.room, 2);
      expect(`${g.columns}x${g.rows}`).to.equal(shape);
      const bar = part(grace.room, 'controls')!.getBoundingClientRect();
      expect(bar.bottom).to.be.at.most(h + 0.5);
      expect(bar.height, 'the bar stays within 15 % of the screen height').to.be.at.most(h * 0.15);
      for (const t of bySize(grace.room)) expect(t.getBoundingClientRect().bottom, 'no tile under the bar').to.be.at.most(bar.top + 0.5);
      await expectFrames(remoteStreamsFrom(grace, ada.userid)[0]!.mediaElement!, 2);
      await executeServerCommand('screenshot', { name: `stage-call-${w}x${h}` });
    }
  });

  it('layout="speaker": the active speaker is large, the others in a strip; the pin button and pin()/unpin() choose the large tile', async () => {
    const roomid = uniqueRoom('stage');
    // Microphones off: the fake microphones beep, and real speaking detection would pick the large tile.
    const quiet = async (name: string, attrs: Record<string, string>) => {
      const u = await createUser(roomid, name, { attrs, join: false });
      u.capture!.setMuted('audio', true);
      await u.room.openOrJoin();
      return u;
    };
    const grace = await quiet('grace', { layout: 'speaker', name: 'Grace' });
    const ada = await quiet('ada', { name: 'Ada' });
    const alan = await quiet('alan', { name: 'Alan' });
    fill(grace.room, 'width:768px;height:432px');
    await expectFullMesh([grace, ada, alan]);
    const largest = () => bySize(grace.room)[0]!;
    const isLarge = (el: Element, what: string) =>
      waitFor(() => largest() === el && el.getAttribute('slot') === 'main' && area(el) > 2 * area(bySize(grace.room)[1]!), `${what} is the large tile`);
    const fromAda = remoteStreamsFrom(grace, ada.userid)[0]!;
    const fromAlan = remoteStreamsFrom(grace, alan.userid)[0]!;
    // Nobody has spoken yet: the first remote tile.
    await isLarge(fromAda, "Ada's tile");
    const strip = part(grace.room, 'strip')!.getBoundingClientRect();
    for (const t of bySize(grace.room).slice(1)) expect(t.getBoundingClientRect().left).to.be.at.least(strip.left - 0.5);
    // The room's active-speaker event (from speaking detection) moves the large tile.
    grace.room.dispatchEvent(new CustomEvent('active-speaker', { detail: { userid: alan.userid }, bubbles: true, composed: true }));
    await isLarge(fromAlan, "the active speaker Alan's tile");
    // Grace's own voice keeps Alan large.
    grace.room.dispatchEvent(new CustomEvent('active-speaker', { detail: { userid: grace.userid }, bubbles: true, composed: true }));
    await grace.room.updateComplete;
    expect(largest()).to.equal(fromAlan);
    await expectFrames(fromAlan.mediaElement!, 2);
    await executeServerCommand('screenshot', { name: 'stage-speaker-768x432' });
    // A click on the pin button of one's own tile pins it; again unpins.
    const own = grace.capture!;
    await waitFor(() => part(own, 'pin-button'), 'pin button on the local tile');
    const pinButton = part(own, 'pin-button')!;
    expect(pinButton.getAttribute('aria-pressed')).to.equal('false');
    expect(pinButton.getAttribute('aria-label')).to.equal('Pin');
    await realClick(pinButton);
    await isLarge(own, 'the pinned local tile');
    expect(grace.room.pinned).to.equal(grace.userid);
    await waitFor(() => part(own, 'pin-button')!.getAttribute('aria-pressed') === 'true', 'pin button pressed');
    expect(part(own, 'pin-button')!.getAttribute('aria-label')).to.equal('Unpin');
    part(own, 'pin-button')!.click();
    await isLarge(fromAlan, 'the active speaker again after unpinning');
    expect(grace.room.pinned).to.equal(null);
    // The methods.
    grace.room.pin(ada.userid);
    await isLarge(fromAda, "pin(ada)'s tile");
    await waitFor(() => part(fromAda, 'pin-button')?.getAttribute('aria-pressed') === 'true', "Ada's pin button pressed");
    grace.room.unpin();
    await isLarge(fromAlan, 'the active speaker after unpin()');
    // A portrait box: the strip goes below the large tile, every tile inside the room.
    fill(grace.room, 'width:390px;height:590px');
    await waitFor(() => part(grace.room, 'stage')!.getAttribute('direction') === 'column', 'column direction');
    await isLarge(fromAlan, 'the active speaker in a portrait box');
    const room = grace.room.getBoundingClientRect();
    const below = part(grace.room, 'strip')!.getBoundingClientRect();
    expect(below.top).to.be.at.least(fromAlan.getBoundingClientRect().bottom);
    for (const t of bySize(grace.room)) {
      const r = t.getBoundingClientRect();
      expect(r.left >= room.left - 0.5 && r.right <= room.right + 0.5 && r.bottom <= room.bottom + 0.5, 'tile inside the room').to.equal(true);
    }
    for (const t of bySize(grace.room).slice(1)) expect(t.getBoundingClientRect().top).to.be.at.least(below.top - 0.5);
    await executeServerCommand('screenshot', { name: 'stage-speaker-390x590' });
  });

  it('a screen share from the other side becomes the large tile ("Ada is presenting") while it lasts', async () => {
    const roomid = uniqueRoom('stage');
    const grace = await createUser(roomid, 'grace', { attrs: { controls: '' } });
    const ada = await createUser(roomid, 'ada', { attrs: { controls: '', name: 'Ada' } });
    fill(grace.room, 'width:768px;height:432px;z-index:0');
    fill(ada.room, 'left:auto;right:0;width:400px;height:300px;z-index:2');
    await expectFullMesh([grace, ada]);
    await ada.room.updateComplete;
    await realClick(part(ada.room, 'screen-toggle')!);
    const screen = await waitFor(() => remoteStreamsFrom(grace, ada.userid).find((e) => e.kind === 'screen'), 'a screen tile at Grace');
    await waitFor(() => bySize(grace.room)[0] === screen && screen.getAttribute('slot') === 'main', 'the screen share is the large tile');
    expect(area(screen)).to.be.above(2 * area(bySize(grace.room)[1]!));
    await screen.updateComplete;
    expect(part(screen, 'name')!.textContent!.trim()).to.equal('Ada is presenting');
    await expectFrames(screen.mediaElement!, 2);
    await executeServerCommand('screenshot', { name: 'stage-screen-share' });
    // Ada stops sharing: the grid comes back.
    part(ada.room, 'screen-toggle')!.click();
    await waitFor(() => !remoteStreamsFrom(grace, ada.userid).some((e) => e.kind === 'screen'), 'the screen tile goes');
    await expectGrid(grace.room, 2);
    expect(grace.room.querySelector('[slot]')).to.equal(null);
  });

  it('alone: the waiting tile with the invite link and Copy ("Copied"); it goes when someone joins', async () => {
    const roomid = uniqueRoom('stage');
    const grace = await createUser(roomid, 'grace', { attrs: { controls: '' } });
    fill(grace.room, 'width:768px;height:432px');
    const waiting = await waitFor(() => part(grace.room, 'waiting'), 'waiting tile');
    expect(waiting.textContent).to.contain('Waiting for others to join');
    expect((part(grace.room, 'invite-link') as HTMLInputElement).value).to.equal(location.href);
    // It takes a grid cell beside one's own tile, of the same size.
    await expectGrid(grace.room, 2);
    await executeServerCommand('screenshot', { name: 'stage-waiting-768x432' });
    const cell = waiting.getBoundingClientRect();
    const own = grace.capture!.getBoundingClientRect();
    expect(Math.abs(cell.width - own.width) <= 1 && Math.abs(cell.height - own.height) <= 1, 'waiting tile as large as a tile').to.equal(true);
    const copy = part(grace.room, 'copy-button')!;
    expect(copy.textContent!.trim()).to.equal('Copy link');
    await executeServerCommand('grant-clipboard');
    await realClick(copy);
    await waitFor(() => part(grace.room, 'copy-button')!.textContent!.trim() === 'Copied', '"Copied" shown');
    expect(await navigator.clipboard.readText()).to.equal(location.href);
    // Someone joins: the waiting tile goes, the two tiles share the box.
    const ada = await createUser(roomid, 'ada');
    await expectVideoFrom(grace, ada);
    await waitFor(() => !part(grace.room, 'waiting'), 'waiting tile gone');
    await expectGrid(grace.room, 2);
  });

  it('where the clipboard refuses, Copy selects the link for the person to copy', async () => {
    const grace = await createUser(uniqueRoom('stage'), 'grace', { attrs: { controls: '' } });
    const input = (await waitFor(() => part(grace.room, 'invite-link'), 'invite link')) as HTMLInputElement;
    const writeText = navigator.clipboard.writeText;
    navigator.clipboard.writeText = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));
    try {
      part(grace.room, 'copy-button')!.click();
      await waitFor(() => input.selectionStart === 0 && input.selectionEnd === input.value.length && input.value.length > 0, 'link selected');
      expect(part(grace.room, 'copy-button')!.textContent!.trim()).to.equal('Copy link');
    } finally {
      navigator.clipboard.writeText = writeText;
    }
  });
});
