// The `prejoin` panel of <rtc-room>: preview, level meter, devices, name and mic/camera choices before joining, acting through the elements' public API and remembered per origin.
import type { ReactiveControllerHost, TemplateResult } from 'lit';
import { watch } from '../audio/levels.js';
import type { MediaCapture } from '../capture/media-capture.js';
import { CaptureErrorEvent } from '../events.js';
import { deviceLists } from '../ui/controls.js';
import { loadPrefs, savePrefs } from '../ui/prefs.js';
import { prejoinTemplate, type PrejoinActions, type PrejoinModel } from '../ui/prejoin.js';
import type { Translate } from '../ui/strings.js';

/** What the panel needs from <rtc-room>. */
export interface PrejoinHost extends ReactiveControllerHost, HTMLElement {
  state: string;
  name: string | null;
  prejoin: boolean;
  openOrJoin(): Promise<unknown>;
}

const CAPTURE_EVENTS = ['stream', 'stream-end', 'track-change', 'capture-error'];

/**
 * The panel shows while `prejoin` is set and the room has not been in the
 * call yet (after leaving, the control bar's Rejoin takes over). Its preview
 * and meter are the room's first camera/microphone `<media-capture>`, started
 * if it was not; the choices go to that capture (`setMuted`,
 * `switchDevice`) and to `name`, and are saved with savePrefs.
 */
export class RoomPrejoin {
  private m: PrejoinModel | null = null;
  private capture: MediaCapture | null = null;
  private clicked = false;
  private done = false;
  private restored = false;
  private unwatch = (): void => {};
  private readonly onDeviceChange = () => void this.loadDevices();

  constructor(private readonly host: PrejoinHost) {}

  /** True while the panel holds `autojoin` back: until Join is clicked. */
  get holds(): boolean {
    return this.host.prejoin && !this.clicked && !this.done;
  }

  /** The panel, or null when it is not (or no longer) shown. */
  render(t: Translate): TemplateResult | null {
    if (this.host.state === 'joined') this.done = true;
    if (!this.host.prejoin || this.done) {
      if (this.m) this.stop();
      return null;
    }
    return prejoinTemplate((this.m ??= this.start()), this.actions, t);
  }

  private start(): PrejoinModel {
    const p = loadPrefs();
    const cap = (this.capture = this.host.querySelector<MediaCapture>('media-capture:not([screen])'));
    const m: PrejoinModel = {
      name: this.host.name ?? p.name ?? '',
      micOn: p.micOn ?? !cap?.audioMuted,
      cameraOn: p.cameraOn ?? !cap?.videoMuted,
      stream: null,
      level: 0,
      devices: { cameras: [], mics: [], speakers: [], selected: { camera: p.camera, mic: p.mic } },
    };
    this.restored = false;
    navigator.mediaDevices?.addEventListener('devicechange', this.onDeviceChange);
    if (cap) {
      // Muting before the capture is live applies when it starts: the room then shares it muted.
      cap.setMuted('audio', !m.micOn);
      cap.setMuted('video', !m.cameraOn);
      for (const type of CAPTURE_EVENTS) cap.addEventListener(type, this.attach);
      if (!cap.stream) cap.start().catch(() => {}); // a failure shows on the capture (capture-error)
    }
    queueMicrotask(() => this.attach());
    return m;
  }

  /** Follows the capture's stream: preview, meter, the device lists (labelled once the capture is allowed), and why it failed. */
  private readonly attach = (e?: Event): void => {
    const m = this.m;
    if (!m) return;
    const stream = this.capture?.stream ?? null;
    m.stream = stream;
    m.error = e instanceof CaptureErrorEvent ? e.detail.message : undefined;
    m.level = 0;
    this.unwatch();
    this.unwatch = stream
      ? watch(stream, (_speaking, level) => {
          m.level = level;
          this.host.requestUpdate();
        })
      : () => {};
    void this.loadDevices();
    this.host.requestUpdate();
  };

  private async loadDevices(): Promise<void> {
    let infos: MediaDeviceInfo[];
    try {
      infos = await navigator.mediaDevices.enumerateDevices();
    } catch {
      return;
    }
    const m = this.m;
    if (!m) return;
    // The speaker is chosen during the call, from the control bar: there is nothing to hear yet.
    m.devices = { ...deviceLists(infos, m.devices.selected), speakers: [] };
    const stream = this.capture?.stream;
    if (stream && !this.restored) {
      this.restored = true;
      // The remembered camera and microphone, when they are still there and not already in use.
      for (const [kind, list, track] of [
        ['camera', m.devices.cameras, stream.getVideoTracks()[0]],
        ['mic', m.devices.mics, stream.getAudioTracks()[0]],
      ] as const) {
        const id = m.devices.selected[kind];
        if (id && track && track.getSettings().deviceId !== id && list.some((d) => d.id === id)) this.actions.pickDevice(kind, id);
      }
    }
    this.host.requestUpdate();
  }

  private toggle(key: 'micOn' | 'cameraOn'): void {
    const m = this.m!;
    const on = (m[key] = !m[key]);
    savePrefs({ [key]: on });
    this.capture?.setMuted(key === 'micOn' ? 'audio' : 'video', !on);
    this.host.requestUpdate();
  }

  private readonly actions: PrejoinActions = {
    setName: (name) => {
      this.m!.name = name;
      this.host.requestUpdate(); // the initials while the camera is off
    },
    toggleMic: () => this.toggle('micOn'),
    toggleCamera: () => this.toggle('cameraOn'),
    pickDevice: (kind, id) => {
      const m = this.m!;
      m.devices = { ...m.devices, selected: { ...m.devices.selected, [kind]: id } };
      savePrefs({ [kind]: id });
      if (kind !== 'speaker') this.capture?.switchDevice(kind === 'camera' ? 'video' : 'audio', id || null).catch(() => {});
      this.host.requestUpdate();
    },
    join: () => {
      const m = this.m!;
      const host = this.host;
      if (m.busy) return;
      const name = m.name.trim();
      savePrefs({ name });
      if (name) host.name = name; // shared as extra.name: the update below gives it to the room before joining
      m.busy = this.clicked = true;
      host.requestUpdate();
      void host.updateComplete
        .then(() => host.openOrJoin())
        .then(() => host.updateComplete)
        // The panel is gone: keyboard users continue on the control bar, not at the top of the page.
        .then(() => host.shadowRoot?.querySelector<HTMLElement>('[part~=controls] button')?.focus())
        .catch(() => {
          // Reported by the room (room-error and its status line); Join can be pressed again.
          m.busy = false;
          host.requestUpdate();
        });
    },
  };

  /** Releases the preview's meter and listeners (joined, or the room left the page). */
  stop(): void {
    this.unwatch();
    this.unwatch = () => {};
    for (const type of CAPTURE_EVENTS) this.capture?.removeEventListener(type, this.attach);
    this.capture = null;
    navigator.mediaDevices?.removeEventListener('devicechange', this.onDeviceChange);
    this.m = null;
  }
}
