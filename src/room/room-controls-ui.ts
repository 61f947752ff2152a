// The `controls` bar of <rtc-room>: its model read from the room's captures, and its buttons acting through the elements' public API.
import { nothing, type ReactiveControllerHost, type TemplateResult } from 'lit';
import type { MediaCapture } from '../capture/media-capture.js';
import type { RemoteStream } from '../remote/remote-stream.js';
import { canShareScreen, controlsTemplate, deviceLists, parseControls, type ControlsActions, type DeviceKind, type DeviceLists } from '../ui/controls.js';
import type { Translate } from '../ui/strings.js';

/** What the bar needs from <rtc-room>. */
export interface ControlsHost extends ReactiveControllerHost, HTMLElement {
  state: string;
  leave(): Promise<void>;
  openOrJoin(): Promise<unknown>;
}

/**
 * The bar: the first camera/microphone `<media-capture>` in the room is the
 * one it mutes and switches; a screen share is a `<media-capture screen>` it
 * adds to the room (and removes when the share ends).
 */
export class RoomControls {
  private devices: DeviceLists = { cameras: [], mics: [], speakers: [], selected: {} };
  private screen: MediaCapture | null = null;
  private listening = false;
  private readonly onDeviceChange = () => void this.loadDevices();

  constructor(private readonly host: ControlsHost) {}

  /** The room's main capture: its first camera or microphone `<media-capture>`. */
  private get capture(): MediaCapture | null {
    for (const el of this.host.querySelectorAll<MediaCapture>('media-capture')) if (el !== this.screen && !el.screen) return el;
    return null;
  }

  /** Starts following the device list (called when the bar is first shown). */
  start(): void {
    if (this.listening || !navigator.mediaDevices) return;
    this.listening = true;
    navigator.mediaDevices.addEventListener('devicechange', this.onDeviceChange);
    void this.loadDevices();
  }

  /** Stops following devices and ends a screen share this bar started. */
  stop(): void {
    if (this.listening) navigator.mediaDevices?.removeEventListener('devicechange', this.onDeviceChange);
    this.listening = false;
    this.endScreen();
  }

  private async loadDevices(): Promise<void> {
    try {
      this.devices = deviceLists(await navigator.mediaDevices.enumerateDevices(), this.devices.selected);
    } catch {
      return;
    }
    this.host.requestUpdate();
  }

  private endScreen(): void {
    const screen = this.screen;
    this.screen = null;
    screen?.stop();
    screen?.remove();
  }

  private readonly actions: ControlsActions = {
    toggleMic: () => {
      const cap = this.capture;
      cap?.setMuted('audio', !cap.audioMuted);
      this.host.requestUpdate();
    },
    toggleCamera: () => {
      const cap = this.capture;
      cap?.setMuted('video', !cap.videoMuted);
      this.host.requestUpdate();
    },
    toggleScreen: () => {
      if (this.screen) {
        this.endScreen();
        this.host.requestUpdate();
        return;
      }
      const screen = document.createElement('media-capture');
      screen.screen = true;
      this.screen = screen;
      screen.addEventListener('stream-end', () => {
        if (this.screen === screen) this.endScreen();
        this.host.requestUpdate();
      });
      screen.addEventListener('capture-error', () => {
        if (this.screen === screen) this.endScreen();
        this.host.requestUpdate();
      });
      this.host.append(screen);
      screen.start().catch(() => {
        /* capture-error above */
      });
      this.host.requestUpdate();
    },
    pickDevice: (kind: DeviceKind, id: string) => {
      this.devices.selected = { ...this.devices.selected, [kind]: id };
      if (kind === 'speaker') {
        for (const el of this.host.querySelectorAll<RemoteStream>('remote-stream')) {
          const video = el.mediaElement as (HTMLVideoElement & { setSinkId?: (id: string) => Promise<void> }) | null;
          video?.setSinkId?.(id).catch(() => {});
        }
      } else {
        this.capture?.switchDevice(kind === 'camera' ? 'video' : 'audio', id || null).catch(() => {});
      }
      this.host.requestUpdate();
    },
    leave: () => {
      this.endScreen();
      void this.host.leave();
    },
    rejoin: () => {
      this.host.openOrJoin().catch(() => {
        /* reported as room-error */
      });
    },
  };

  /** The bar for the `controls` attribute's value; nothing when the attribute is absent. */
  render(controls: string | null, t: Translate, people?: TemplateResult): TemplateResult | typeof nothing {
    if (controls === null) return nothing;
    this.start();
    const cap = this.capture;
    return controlsTemplate(
      {
        items: parseControls(controls).items,
        micOn: !!cap && !cap.audioMuted,
        cameraOn: !!cap && !cap.videoMuted,
        sharing: !!this.screen,
        canShare: canShareScreen(),
        devices: this.devices,
        state: this.host.state,
        people,
      },
      this.actions,
      t,
    );
  }
}
