// The call-UI kit driven as a person would: keyboard through the control bar and the pre-join panel, German labels, real camera preview and mic meter, and screenshots to look at.
import { expect } from '@open-wc/testing';
import { emulateMedia, executeServerCommand, sendKeys, setViewport } from '@web/test-runner-commands';
import { html, render, type TemplateResult } from 'lit';
import { watch } from '../../dist/audio/levels.js';
import { canShareScreen, controlsTemplate, deviceLists, parseControls, type ControlsModel, type DeviceKind, type DeviceLists } from '../../dist/ui/controls.js';
import { gridFor, speakerLayout } from '../../dist/ui/layout.js';
import { loadPrefs, PREFS_KEY, savePrefs } from '../../dist/ui/prefs.js';
import { prejoinTemplate, type PrejoinModel } from '../../dist/ui/prejoin.js';
import { loadLangs, pickLang, translator, type Translate } from '../../dist/ui/strings.js';
import { uiStyles } from '../../dist/ui/styles.js';
import { tileOverlayStyles } from '../../dist/ui/kit-styles.js';
import { tileLabelStyles, tileOverlay, type TileInfo } from '../../dist/ui/tiles.js';
import { waitingTemplate } from '../../dist/ui/waiting.js';
import { expectFrames, waitFor } from './helpers.js';

/** A stand-in for phase 2's <rtc-room> shadow root: the kit's styles, and a template rendered into it. */
class UiHost extends HTMLElement {
  readonly root = this.attachShadow({ mode: 'open' });
  constructor() {
    super();
    this.root.adoptedStyleSheets = [uiStyles, tileLabelStyles, tileOverlayStyles].map((s) => s.styleSheet!);
  }
  show(tpl: TemplateResult): void {
    render(tpl, this.root);
  }
  byPart(name: string): HTMLElement {
    const el = this.root.querySelector<HTMLElement>(`[part~="${name}"]`);
    if (!el) throw new Error(`no part ${name}`);
    return el;
  }
  get focused(): string | null {
    return this.root.activeElement?.getAttribute('part') ?? null;
  }
}
customElements.get('ui-test-host') ?? customElements.define('ui-test-host', UiHost);

const DEVICES: DeviceLists = {
  cameras: [
    { id: 'cam1', label: 'Front camera' },
    { id: 'cam2', label: 'USB camera' },
  ],
  mics: [
    { id: 'mic1', label: 'Built-in microphone' },
    { id: 'mic2', label: 'Headset' },
  ],
  speakers: [{ id: 'spk1', label: 'Speakers' }],
  selected: { camera: 'cam1' },
};

/** A control bar wired like a host would: state in, callbacks out, re-rendered on each change. */
function bar(host: UiHost, t: Translate, init: Partial<ControlsModel> = {}) {
  const log: string[] = [];
  const m: ControlsModel = {
    items: parseControls(null).items,
    micOn: true,
    cameraOn: true,
    sharing: false,
    canShare: true,
    devices: DEVICES,
    state: 'joined',
    ...init,
  };
  const draw = () => host.show(controlsTemplate(m, actions, t));
  const actions = {
    toggleMic: () => (log.push('mic'), (m.micOn = !m.micOn), draw()),
    toggleCamera: () => (log.push('camera'), (m.cameraOn = !m.cameraOn), draw()),
    toggleScreen: () => (log.push('screen'), (m.sharing = !m.sharing), draw()),
    pickDevice: (kind: DeviceKind, id: string) => log.push(`pick ${kind} ${id}`),
    leave: () => (log.push('leave'), (m.state = 'left'), draw()),
    rejoin: () => (log.push('rejoin'), (m.state = 'joined'), draw()),
  };
  draw();
  return { m, log, draw };
}

async function mount(lang = 'en'): Promise<UiHost> {
  const before = document.createElement('button');
  before.id = 'before';
  before.textContent = 'page content before the call';
  document.body.append(before);
  const host = document.createElement('ui-test-host') as UiHost;
  host.lang = lang;
  document.body.append(host);
  before.focus();
  return host;
}

async function tab(shift = false): Promise<void> {
  if (shift) await sendKeys({ down: 'Shift' });
  await sendKeys({ press: 'Tab' });
  if (shift) await sendKeys({ up: 'Shift' });
}

const tFor = (host: UiHost) => translator(pickLang(host.lang, document.documentElement.lang, navigator.languages));

describe('call-UI kit', () => {
  afterEach(async () => {
    document.body.replaceChildren();
    await emulateMedia({ colorScheme: 'light' });
  });

  it('keyboard only: Tab reaches every control in order, Space and Enter toggle with aria-pressed, the device menu opens and picks', async () => {
    const host = await mount();
    const { log } = bar(host, tFor(host));
    const order: (string | null)[] = [];
    for (let i = 0; i < 5; i++) {
      await tab();
      order.push(host.focused);
    }
    expect(order).to.deep.equal(['mic-toggle', 'camera-toggle', 'screen-toggle', 'device-menu-button', 'leave-button']);
    for (const p of ['mic-toggle', 'camera-toggle', 'screen-toggle', 'leave-button', 'device-menu-button']) {
      expect(host.byPart(p).getAttribute('aria-label'), `${p} has a name`).to.match(/\w/);
    }

    await tab(true); // back to the device menu
    await tab(true);
    await tab(true);
    await tab(true);
    expect(host.focused).to.equal('mic-toggle');
    expect(host.byPart('mic-toggle').getAttribute('aria-pressed')).to.equal('true');
    await sendKeys({ press: 'Space' });
    expect(host.byPart('mic-toggle').getAttribute('aria-pressed')).to.equal('false');
    expect(host.byPart('mic-toggle').title).to.equal('Turn on microphone');
    await tab();
    await sendKeys({ press: 'Enter' });
    expect(host.byPart('camera-toggle').getAttribute('aria-pressed')).to.equal('false');
    await tab();
    await sendKeys({ press: 'Enter' });
    expect(host.byPart('screen-toggle').getAttribute('aria-pressed')).to.equal('true');
    expect(host.byPart('screen-toggle').getAttribute('aria-label')).to.equal('Share screen');
    expect(log).to.deep.equal(['mic', 'camera', 'screen']);

    await tab();
    await sendKeys({ press: 'Enter' });
    const menu = host.byPart('device-menu') as HTMLDetailsElement;
    expect(menu.open, 'Enter opens the device menu').to.equal(true);
    await tab();
    expect(host.focused).to.equal('device-select');
    expect((host.root.activeElement as HTMLSelectElement).dataset.kind).to.equal('camera');
    expect((host.root.activeElement as HTMLSelectElement).labels[0]?.textContent).to.contain('Camera');
    await sendKeys({ press: 'ArrowDown' });
    await waitFor(() => log.includes('pick camera cam2'), 'the camera menu picks the next camera');
    await tab();
    expect((host.root.activeElement as HTMLSelectElement).dataset.kind).to.equal('mic');
    await tab();
    expect((host.root.activeElement as HTMLSelectElement).dataset.kind).to.equal('speaker');
    await sendKeys({ press: 'Escape' });
    expect(menu.open, 'Escape closes the menu').to.equal(false);
    expect(host.focused).to.equal('device-menu-button');

    await tab();
    expect(host.focused).to.equal('leave-button');
    await sendKeys({ press: 'Enter' });
    expect(log.at(-1)).to.equal('leave');
    expect(host.root.querySelector('[part~="mic-toggle"]'), 'after leaving only Rejoin').to.equal(null);
    expect(host.byPart('left-message').textContent).to.equal('You left the call');
    host.byPart('rejoin-button').focus();
    await sendKeys({ press: 'Space' });
    expect(log.at(-1)).to.equal('rejoin');
    expect(host.byPart('mic-toggle')).to.exist;
  });

  it('controls="mic camera leave" shows that subset in that order; no screen button where sharing is impossible', async () => {
    const host = await mount();
    bar(host, tFor(host), { items: parseControls('mic camera leave').items });
    expect([...host.byPart('controls').children].map((c) => c.getAttribute('part'))).to.deep.equal(['mic-toggle', 'camera-toggle', 'leave-button']);
    bar(host, tFor(host), { canShare: false });
    expect(host.root.querySelector('[part~="screen-toggle"]')).to.equal(null);
    expect([...host.byPart('controls').children].map((c) => c.getAttribute('part'))).to.deep.equal(['mic-toggle', 'camera-toggle', 'device-menu', 'leave-button']);
  });

  it('device menus list the real devices; screen sharing is offered where getDisplayMedia exists', async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    stream.getTracks().forEach((tr) => tr.stop());
    const lists = deviceLists(await navigator.mediaDevices.enumerateDevices(), { camera: 'x' });
    expect(lists.cameras.length, 'the fake camera').to.be.at.least(1);
    expect(lists.mics.length, 'the fake microphone').to.be.at.least(1);
    expect(lists.cameras.every((c) => c.id && c.label)).to.equal(true);
    expect(lists.selected).to.deep.equal({ camera: 'x' });
    expect(canShareScreen()).to.equal(true);
    const host = await mount();
    bar(host, tFor(host), { devices: lists });
    const cams = host.root.querySelector<HTMLSelectElement>('select[data-kind="camera"]')!;
    expect([...cams.options].map((o) => o.textContent)).to.include(lists.cameras[0]!.label);
    expect(cams.options[0]!.textContent, 'an unknown selection shows "Default" first').to.equal('Default');
  });

  it('lang="de" shows German labels, names stay text', async () => {
    const host = await mount('de');
    await loadLangs(); // the languages other than English come in a chunk of their own
    const t = tFor(host);
    bar(host, t, { micOn: false });
    expect(host.byPart('mic-toggle').getAttribute('aria-label')).to.equal('Mikrofon');
    expect(host.byPart('mic-toggle').title).to.equal('Mikrofon einschalten');
    expect(host.byPart('leave-button').getAttribute('aria-label')).to.equal('Verlassen');
    expect(host.byPart('controls').getAttribute('aria-label')).to.equal('Anrufsteuerung');
    host.show(html`<div part="tile">${tileOverlay({ name: '<img src=x onerror=alert(1)>', micMuted: true, cameraOff: true }, t)}</div>
      <div part="tile">${tileOverlay({ name: 'Ada', local: true }, t)}</div>`);
    const names = [...host.root.querySelectorAll('[part~="name"]')].map((n) => n.textContent?.trim());
    expect(names).to.deep.equal(['<img src=x onerror=alert(1)>', 'Du']);
    expect(host.root.querySelector('img')).to.equal(null);
    expect(host.byPart('muted').getAttribute('aria-label')).to.equal('Stumm');
  });

  it('pre-join: live preview and mic meter, keyboard through name, devices, toggles and Join; choices remembered', async () => {
    localStorage.removeItem(PREFS_KEY);
    const host = await mount();
    const t = tFor(host);
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    const joined: PrejoinModel[] = [];
    const m: PrejoinModel = { name: 'Ada', micOn: true, cameraOn: true, stream, level: 0, devices: DEVICES };
    const draw = () => host.show(prejoinTemplate(m, actions, t));
    const actions = {
      setName: (name: string) => ((m.name = name), draw()),
      toggleMic: () => ((m.micOn = !m.micOn), draw()),
      toggleCamera: () => ((m.cameraOn = !m.cameraOn), draw()),
      pickDevice: () => {},
      join: () => {
        joined.push({ ...m });
        savePrefs({ name: m.name, micOn: m.micOn, cameraOn: m.cameraOn });
      },
    };
    const unwatch = watch(stream, (_speaking, level) => ((m.level = level), draw()));
    try {
      draw();
      await expectFrames(host.byPart('preview') as HTMLVideoElement, 3);
      await sendKeys({ press: 'Shift' }); // a key press is the user gesture the AudioContext waits for
      await waitFor(() => (host.byPart('level') as HTMLMeterElement).value > 0, 'the mic meter moves with the fake microphone');
      expect((host.byPart('name-input') as HTMLInputElement).value).to.equal('Ada');

      const order: (string | null)[] = [];
      for (let i = 0; i < 7; i++) {
        await tab();
        order.push(host.focused);
      }
      expect(order).to.deep.equal(['name-input', 'device-select', 'device-select', 'device-select', 'mic-toggle', 'camera-toggle', 'join-button']);
      for (let i = 0; i < 6; i++) await tab(true);
      expect(host.focused).to.equal('name-input');
      await sendKeys({ press: 'End' });
      await sendKeys({ type: ' Lovelace' });
      for (let i = 0; i < 5; i++) await tab();
      expect(host.focused).to.equal('camera-toggle');
      await sendKeys({ press: 'Space' }); // camera off
      expect(host.byPart('preview').hidden).to.equal(true);
      expect(host.byPart('avatar').textContent).to.equal('AL');
      host.byPart('name-input').focus();
      await sendKeys({ press: 'Enter' });
      expect(joined).to.have.length(1);
      expect(joined[0]).to.include({ name: 'Ada Lovelace', cameraOn: false, micOn: true });
      expect(loadPrefs()).to.deep.equal({ name: 'Ada Lovelace', micOn: true, cameraOn: false });
      expect(JSON.parse(localStorage.getItem(PREFS_KEY)!)).to.deep.equal({ name: 'Ada Lovelace', micOn: true, cameraOn: false });
    } finally {
      unwatch();
      stream.getTracks().forEach((tr) => tr.stop());
      localStorage.removeItem(PREFS_KEY);
    }
  });

  for (const [w, h] of [
    [1280, 720],
    [390, 844],
  ] as const) {
    it(`looks right at ${w}x${h}, light and dark: call with bar, waiting tile, pre-join (screenshots in test-artifacts/)`, async () => {
      await setViewport({ width: w, height: h });
      const host = await mount();
      document.getElementById('before')!.hidden = true;
      host.style.cssText = 'position:fixed;inset:0;display:flex;flex-direction:column;background:#111';
      document.body.style.margin = '0';
      const t = tFor(host);
      const stream = await navigator.mediaDevices.getUserMedia({ video: true });
      try {
        const people: TileInfo[] = [
          { name: 'Ada', local: true },
          { name: 'Grace Hopper', micMuted: true },
          { name: 'Alan Turing', cameraOff: true },
          { name: 'Katherine Johnson', cameraOff: true, micMuted: true },
        ];
        const call = (count: number) => {
          // Alone, the waiting tile takes a cell beside one's own.
          const g = gridFor(count === 1 ? 2 : count, w - 16, h - 64 - 16, { gap: 8 });
          const style = `--rtc-cols:${g.columns};--rtc-tile-w:${g.tileWidth}px;--rtc-tile-h:${g.tileHeight}px`;
          return html`<div part="stage" style=${style}>
              ${people.slice(0, count).map(
                (p, i) => html`<div part="tile" ?speaking=${i === 1}>
                  ${p.cameraOff ? '' : html`<video .srcObject=${stream} .muted=${true} autoplay playsinline style="width:100%;height:100%;object-fit:cover"></video>`}
                  ${tileOverlay(p, t, () => {})}
                </div>`,
              )}
              ${count === 1 ? waitingTemplate('https://example.invalid/standup', false, () => {}, t) : ''}
            </div>
            ${controlsTemplate(
              { items: parseControls('').items, micOn: false, cameraOn: true, sharing: false, canShare: true, devices: DEVICES, state: 'joined' },
              { toggleMic() {}, toggleCamera() {}, toggleScreen() {}, pickDevice() {}, leave() {}, rejoin() {} },
              t,
            )}`;
        };
        for (const scheme of ['light', 'dark'] as const) {
          await emulateMedia({ colorScheme: scheme });
          host.show(call(4));
          await expectFrames(host.root.querySelector('video')!, 2);
          const barBox = host.byPart('controls').getBoundingClientRect();
          expect(barBox.height, 'the bar stays within 15 % of the screen height').to.be.at.most(h * 0.15);
          expect(barBox.bottom).to.be.at.most(h + 0.5);
          const tiles = [...host.root.querySelectorAll('[part~="tile"]')].map((e) => e.getBoundingClientRect());
          expect(tiles.every((r) => r.bottom <= barBox.top + 0.5 && r.right <= w + 0.5), 'tiles do not hide under the bar').to.equal(true);
          await executeServerCommand('screenshot', { name: `ui-call-${w}x${h}-${scheme}` });
          // The speaker layout: one large tile, the others in a strip beside (landscape) or below (portrait).
          const s = speakerLayout(3, w - 16, h - 64 - 16);
          const strip = s.direction === 'row' ? `--rtc-strip:${s.strip.width}px;--rtc-strip-w:${s.stripTile.width}px` : `--rtc-strip:${s.strip.height}px;--rtc-strip-w:${s.stripTile.width}px`;
          const tile = (p: TileInfo, i: number) => html`<div part="tile" ?speaking=${i === 0}>
            ${p.cameraOff ? '' : html`<video .srcObject=${stream} .muted=${true} autoplay playsinline style="width:100%;height:100%;object-fit:cover"></video>`}
            ${tileOverlay(p, t, () => {})}
          </div>`;
          host.show(html`<div part="stage" layout="speaker" direction=${s.direction} style=${strip}>
            <div part="main">${tile({ ...people[1]!, pinned: true }, 0)}</div>
            <div part="strip">${[people[0]!, people[2]!, people[3]!].map((p, i) => tile(p, i + 1))}</div>
          </div>`);
          await expectFrames(host.root.querySelector('video')!, 2);
          const main = host.byPart('main').firstElementChild!.getBoundingClientRect();
          const others = [...host.byPart('strip').children].map((e) => e.getBoundingClientRect());
          expect(others.every((r) => r.width * r.height < (main.width * main.height) / 2), 'the main tile is the large one').to.equal(true);
          await executeServerCommand('screenshot', { name: `ui-speaker-${w}x${h}-${scheme}` });
          host.show(call(1));
          await executeServerCommand('screenshot', { name: `ui-waiting-${w}x${h}-${scheme}` });
          (host.byPart('device-menu') as HTMLDetailsElement).open = true;
          await executeServerCommand('screenshot', { name: `ui-devices-${w}x${h}-${scheme}` });
          host.show(
            prejoinTemplate(
              { name: 'Ada', micOn: true, cameraOn: true, stream, level: 0.6, devices: DEVICES },
              { setName() {}, toggleMic() {}, toggleCamera() {}, pickDevice() {}, join() {} },
              t,
            ),
          );
          await expectFrames(host.byPart('preview') as HTMLVideoElement, 2);
          await executeServerCommand('screenshot', { name: `ui-prejoin-${w}x${h}-${scheme}` });
        }
      } finally {
        stream.getTracks().forEach((tr) => tr.stop());
      }
    });
  }
});
