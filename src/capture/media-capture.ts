import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { tileStyles } from '../tile-styles.js';
import type { Translate } from '../ui/strings.js';
import { nameLabel, pinButton, tileAvatar, tileLabelStyles } from '../ui/tiles.js';
import {
  CaptureErrorEvent,
  DevicesChangeEvent,
  MuteChangeEvent,
  StreamEndEvent,
  StreamEvent,
  TrackChangeEvent,
  type CaptureErrorDetail,
  type StreamKind,
  type TrackKind,
} from '../events.js';
import { CaptureSession, describeCaptureError } from './capture.js';
import { buildCaptureRequest, type CaptureRequest } from './constraints.js';

export type CaptureState = 'idle' | 'starting' | 'live' | 'stopped' | 'error';

/**
 * @tag media-capture
 *
 * Captures camera, microphone or screen and shows a local preview; hands the
 * stream to a surrounding `<rtc-room>` (or any listener) through `stream`.
 *
 * @fires stream - A capture started: `{ type: 'local', stream, streamid, kind, mediaElement }`.
 * @fires stream-end - The capture stopped: by `stop()`, a lost device, or the browser's "Stop sharing".
 * @fires capture-error - The capture failed or an attribute is invalid: `{ name, message, constraint?, attribute? }`.
 * @fires mute-change - `setMuted()` changed a track: `{ kind, muted, stream, streamid }`.
 * @fires track-change - A track was replaced in the same stream (`switchDevice()`, device re-acquired).
 * @fires devices-change - Cameras or microphones came or went: `{ devices }`.
 * @csspart video - The preview `<video>`.
 * @csspart placeholder - Shown instead of the preview for audio-only captures and before start.
 * @csspart start-button - The button that starts the capture (without `autostart`, or after an error).
 * @csspart error - The error message shown after a failed start.
 * @csspart pin-button - Pins the tile in a room's stage (on the room's camera tile).
 * @csspart name - In a room with `controls`: the tile label ("You"), with `muted` (the muted-microphone marker) and `host-label` ("Host") inside.
 * @cssproperty --media-capture-width - Width of the preview (default 100%).
 * @cssproperty --media-capture-height - Height of the preview (default auto).
 * @cssproperty --media-capture-aspect-ratio - Aspect ratio of the preview box (default 16 / 9).
 * @cssproperty --media-capture-object-fit - object-fit of the preview (default cover).
 * @cssproperty --media-capture-background - Background behind the preview (default #111).
 * @cssproperty --media-capture-radius - Corner radius (default 8px).
 * @cssproperty --rtc-accent - Colour of the ring shown while `speaking`.
 */
export class MediaCapture extends LitElement {
  static override properties = {
    audio: { type: Boolean },
    video: { type: Boolean },
    screen: { type: Boolean },
    width: {},
    height: {},
    frameRate: { attribute: 'frame-rate' },
    facingMode: { attribute: 'facing-mode' },
    audioDevice: { attribute: 'audio-device' },
    videoDevice: { attribute: 'video-device' },
    echoCancellation: { attribute: 'echo-cancellation' },
    noiseSuppression: { attribute: 'noise-suppression' },
    autoGainControl: { attribute: 'auto-gain-control' },
    autostart: { type: Boolean },
    mirror: {},
    noPreview: { type: Boolean, attribute: 'no-preview' },
    label: {},
    constraints: { attribute: false },
    state: { reflect: true },
    audioMuted: { type: Boolean, reflect: true, attribute: 'audio-muted' },
    videoMuted: { type: Boolean, reflect: true, attribute: 'video-muted' },
    speaking: { type: Boolean, reflect: true },
    errorMessage: { state: true },
    tileLabel: { attribute: false },
    pin: { attribute: false },
  };

  static override styles = [
    tileStyles,
    tileLabelStyles,
    css`
    :host {
      --_tile-width: var(--media-capture-width, 100%);
      --_tile-height: var(--media-capture-height, auto);
      --_tile-aspect-ratio: var(--media-capture-aspect-ratio, 16 / 9);
      --_tile-background: var(--media-capture-background, #111);
      --_tile-radius: var(--media-capture-radius, 8px);
      --_tile-object-fit: var(--media-capture-object-fit, cover);
    }
    video.mirrored {
      transform: scaleX(-1);
    }
    .overlay {
      position: absolute;
      inset: 0;
      display: flex;
      flex-direction: column;
      gap: 8px;
      align-items: center;
      justify-content: center;
      text-align: center;
      padding: 12px;
    }
    button {
      font: inherit;
      padding: 6px 14px;
      border-radius: 6px;
      border: 1px solid #888;
      background: #2b2b2b;
      color: inherit;
      cursor: pointer;
    }
    [part='error'] {
      color: #ffb4a9;
      max-width: 40ch;
    }
  `,
  ];

  /** Capture sound (with `screen`: the tab's or system's sound where offered). */
  audio = false;
  /** Capture the camera. With none of audio/video/screen, camera and microphone are captured. */
  video = false;
  /** Capture the screen (getDisplayMedia) instead of the camera. */
  screen = false;
  /** Width constraint: `1280` (ideal), `exact:1280`, `min:640`, `max:1920` or `640-1920`. */
  width: string | null = null;
  /** Height constraint, same syntax as `width`. */
  height: string | null = null;
  /** Frame-rate constraint, same syntax as `width`. */
  frameRate: string | null = null;
  /** `user`, `environment`, `left` or `right`. */
  facingMode: string | null = null;
  /** deviceId of the microphone to use (see `MediaCapture.listDevices()`). */
  audioDevice: string | null = null;
  /** deviceId of the camera to use. */
  videoDevice: string | null = null;
  /** `true`/`false`: the browser's echo cancellation. */
  echoCancellation: string | null = null;
  /** `true`/`false`: the browser's noise suppression. */
  noiseSuppression: string | null = null;
  /** `true`/`false`: the browser's automatic gain control. */
  autoGainControl: string | null = null;
  /** Start capturing as soon as the element is in the page. */
  autostart = false;
  /**
   * Set by `<rtc-room>` on its local camera tiles: the label ("You" in the room's
   * language), the name whose initials show while the camera is off, and the
   * room's string lookup. Null (default): no label.
   */
  tileLabel: { label: string; name: string; t: Translate; host?: boolean } | null = null;
  /** Set by `<rtc-room>`'s stage: true/false shows the pin button (with the tile label) pressed/not; null (default): none. */
  pin: boolean | null = null;
  /** Mirror the preview: `auto` (default: the user-facing camera is mirrored), `true` or `false`. */
  mirror: string | null = null;
  /** Do not render the preview: while the camera runs, the tile stays empty. */
  noPreview = false;
  /** Text of the start button. */
  label: string | null = null;
  /** Overrides the constraints the attributes build (property only). */
  constraints: (MediaStreamConstraints & { screen?: boolean }) | null = null;
  /** `idle`, `starting`, `live`, `stopped` or `error` (reflected for CSS). */
  state: CaptureState = 'idle';
  /** Reflects whether the microphone is muted. */
  audioMuted = false;
  /** Reflects whether the camera is muted. */
  videoMuted = false;
  /** This user is speaking (set by `<rtc-room>` while it measures levels, reflected; the tile shows a ring). */
  speaking = false;
  private errorMessage: string | null = null;

  private readonly session = new CaptureSession({
    started: (stream, kind) => void this.onStarted(stream, kind),
    ended: (stream, kind, reason) => {
      this.state = 'stopped';
      this.attachPreview(null);
      this.dispatchEvent(new StreamEndEvent({ type: 'local', streamid: stream.id, kind, reason }));
    },
    failed: (detail) => this.fail(detail),
    muteChanged: (kind, muted, stream) => {
      this.reflectMuted(kind, muted);
      this.dispatchEvent(new MuteChangeEvent({ kind, muted, stream, streamid: stream.id }));
    },
    trackChanged: (kind, oldTrack, newTrack, stream) => {
      this.attachPreview(stream);
      this.dispatchEvent(new TrackChangeEvent({ kind, oldTrack, newTrack, stream, streamid: stream.id }));
    },
  });
  private stopTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly onDeviceChange = () => {
    void MediaCapture.listDevices().then(
      (devices) => {
        this.dispatchEvent(new DevicesChangeEvent({ devices }));
        this.followDefaultMicrophone(devices);
      },
      () => {},
    );
  };

  /**
   * When the system's default microphone changes (a headset plugged in) and
   * the page chose no device, move to the new default, as native apps do.
   * Chromium lists the default as a device with id `default`.
   */
  private followDefaultMicrophone(devices: MediaDeviceInfo[]): void {
    if (this.audioDevice || this.constraints || this.kind === 'screen') return;
    const track = this.session.stream?.getAudioTracks()[0];
    const fallback = devices.find((d) => d.kind === 'audioinput' && d.deviceId === 'default');
    if (!track || !fallback) return;
    if (track.getSettings().groupId === fallback.groupId) return;
    this.switchDevice('audio', null).catch((err: unknown) => this.fail(describeCaptureError(err)));
  }

  /** Cameras, microphones and speakers the page may use (labels appear once permission is granted). */
  static async listDevices(kind?: MediaDeviceKind): Promise<MediaDeviceInfo[]> {
    const md = globalThis.navigator?.mediaDevices;
    if (!md) return [];
    const all = await md.enumerateDevices();
    return kind ? all.filter((d) => d.kind === kind) : all;
  }

  /** The live stream, or null. */
  get stream(): MediaStream | null {
    return this.session.stream;
  }

  /** `camera`, `screen` or `audio` while live, else null. */
  get kind(): StreamKind | null {
    return this.session.kind;
  }

  /** The preview `<video>` in the shadow root. */
  get mediaElement(): HTMLVideoElement | null {
    return this.renderRoot?.querySelector('video') ?? null;
  }

  /** Leaving the page releases the camera; coming back from the back/forward cache resumes autostart. */
  private readonly onPageHide = (e: PageTransitionEvent) => {
    const wasLive = this.session.stream !== null;
    this.session.stop('stopped');
    if (e.persisted && wasLive && this.autostart) {
      window.addEventListener('pageshow', () => this.isConnected && this.start().catch(() => {}), { once: true });
    }
  };

  override connectedCallback(): void {
    super.connectedCallback();
    // Moved within the page in one task: keep the capture.
    clearTimeout(this.stopTimer);
    window.addEventListener('pagehide', this.onPageHide);
    globalThis.navigator?.mediaDevices?.addEventListener('devicechange', this.onDeviceChange);
    if (this.autostart && !this.session.stream && !this.session.pending && this.state !== 'error') {
      this.start().catch(() => {
        /* reported as capture-error */
      });
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('pagehide', this.onPageHide);
    globalThis.navigator?.mediaDevices?.removeEventListener('devicechange', this.onDeviceChange);
    clearTimeout(this.stopTimer);
    // Removal stops the tracks; a move (remove + append in the same task) does not.
    this.stopTimer = setTimeout(() => {
      if (!this.isConnected) this.session.stop('removed');
    }, 0);
  }

  /** The request the attributes (or the `constraints` property) describe. Throws InvalidAttributeError. */
  buildRequest(): CaptureRequest {
    if (this.constraints) {
      const { screen = false, ...constraints } = this.constraints;
      return { screen, constraints };
    }
    return buildCaptureRequest({
      audio: this.audio,
      video: this.video,
      screen: this.screen,
      width: this.width,
      height: this.height,
      frameRate: this.frameRate,
      facingMode: this.facingMode,
      audioDevice: this.audioDevice,
      videoDevice: this.videoDevice,
      echoCancellation: this.echoCancellation,
      noiseSuppression: this.noiseSuppression,
      autoGainControl: this.autoGainControl,
    });
  }

  /**
   * Starts capturing. Calling it again while starting or live returns the
   * same capture. Rejects (and fires `capture-error`) when the capture fails.
   */
  start(): Promise<MediaStream> {
    const current = this.session.current();
    if (current) return current;
    let request: CaptureRequest;
    try {
      request = this.buildRequest();
    } catch (err) {
      this.fail(describeCaptureError(err));
      return Promise.reject(err);
    }
    this.errorMessage = null;
    this.state = 'starting';
    return this.session.start(request).catch((err: unknown) => {
      if ((err as Error)?.name === 'AbortError' && this.state === 'starting') this.state = 'stopped';
      throw err;
    });
  }

  /** Stops the capture (or the one still starting: its tracks are stopped as they arrive). */
  stop(): void {
    const wasPending = this.session.pending;
    this.session.stop('stopped');
    if (wasPending) this.state = 'stopped';
  }

  /** Replaces the camera or microphone track in the same stream; `deviceId` null follows the default device. */
  switchDevice(kind: TrackKind, deviceId: string | null): Promise<MediaStreamTrack> {
    return this.session.switchDevice(kind, deviceId);
  }

  /** Mutes (track.enabled = false) or unmutes the camera or microphone. */
  setMuted(kind: TrackKind, muted: boolean): void {
    this.reflectMuted(kind, muted);
    this.session.setMuted(kind, muted);
  }

  /** Whether the tracks of a kind are muted. */
  isMuted(kind: TrackKind): boolean {
    return this.session.isMuted(kind);
  }

  private reflectMuted(kind: TrackKind, muted: boolean): void {
    if (kind === 'audio') this.audioMuted = muted;
    else this.videoMuted = muted;
  }

  private fail(detail: CaptureErrorDetail): void {
    this.state = 'error';
    this.errorMessage = detail.message;
    this.dispatchEvent(new CaptureErrorEvent(detail));
  }

  private async onStarted(stream: MediaStream, kind: StreamKind): Promise<void> {
    this.state = 'live';
    this.errorMessage = null;
    await this.updateComplete;
    if (this.session.stream !== stream) return;
    this.attachPreview(stream);
    this.dispatchEvent(new StreamEvent({ type: 'local', stream, streamid: stream.id, kind, mediaElement: this.mediaElement }));
  }

  private attachPreview(stream: MediaStream | null): void {
    const video = this.mediaElement;
    if (!video) return;
    if (video.srcObject !== stream) video.srcObject = stream;
    if (stream) {
      // Muted, so autoplay policy allows it; play() may still be interrupted by a new srcObject.
      video.play().catch(() => {});
    }
  }

  private static readonly configProps = [
    'audio', 'video', 'screen', 'width', 'height', 'frameRate', 'facingMode', 'audioDevice', 'videoDevice',
    'echoCancellation', 'noiseSuppression', 'autoGainControl', 'constraints',
  ] as const;

  private get mirrored(): boolean {
    const m = (this.mirror ?? 'auto').toLowerCase();
    if (m === 'true' || m === '') return true;
    if (m === 'false') return false;
    if (this.session.kind !== 'camera') return false;
    const facing = this.session.stream?.getVideoTracks()[0]?.getSettings().facingMode;
    return facing === undefined || facing === 'user';
  }

  protected override updated(changed: PropertyValues<this>): void {
    // autostart after a failure: fixing the attributes starts the capture again
    // (an old value of undefined marks the first update, which is no fix).
    if (this.autostart && this.state === 'error' && this.isConnected && MediaCapture.configProps.some((p) => changed.has(p) && changed.get(p) !== undefined)) {
      this.start().catch(() => {});
    }
    // A new device chosen by attribute while live: swap the track in place.
    for (const [prop, kind] of [['audioDevice', 'audio'], ['videoDevice', 'video']] as const) {
      if (changed.has(prop) && changed.get(prop) !== undefined && this.session.stream && this.kind !== 'screen') {
        this.switchDevice(kind, this[prop]).catch((err: unknown) => this.fail(describeCaptureError(err)));
      }
    }
  }

  protected override render() {
    const live = this.state === 'live';
    const hasVideo = live && this.session.kind !== 'audio';
    const idleText = this.label ?? (this.screen ? 'Share screen' : 'Start camera');
    return html`
      ${this.noPreview
        ? nothing
        : html`<video
            part="video"
            class=${this.mirrored ? 'mirrored' : ''}
            ?hidden=${!hasVideo}
            muted
            autoplay
            playsinline
            .muted=${true}
          ></video>`}
      ${hasVideo
        ? nothing
        : html`<div class="overlay" part="placeholder">
            ${live
              ? html`<span>🎙 Microphone on</span>`
              : this.state === 'starting'
                ? html`<span>Starting…</span>`
                : html`${this.errorMessage ? html`<span part="error" role="alert">${this.errorMessage}</span>` : nothing}
                    <button part="start-button" type="button" @click=${this.onStartClick}>
                      ${this.errorMessage ? 'Try again' : idleText}
                    </button>`}
          </div>`}
      ${this.renderTileLabel(live, hasVideo)}
    `;
  }

  private renderTileLabel(live: boolean, hasVideo: boolean) {
    const tl = this.tileLabel;
    if (!tl || !live) return nothing;
    const label = nameLabel(tl.label, this.audioMuted, tl.t, tl.host);
    return html`${hasVideo && this.videoMuted ? tileAvatar(tl.name || tl.label, label) : label}${this.pin === null ? nothing : pinButton(this.pin, tl.t)}`;
  }

  private onStartClick = () => {
    this.start().catch(() => {
      /* reported as capture-error */
    });
  };
}

declare global {
  interface HTMLElementTagNameMap {
    'media-capture': MediaCapture;
  }
}
