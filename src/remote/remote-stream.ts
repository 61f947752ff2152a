/** <remote-stream>: renders one remote MediaStream as a tile with the sender's name, a muted marker and initials while its camera is off. */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { AutoplayBlockedEvent } from '../events.js';
import { tileStyles } from '../tile-styles.js';
import { langsLoading, pickLang, translator, type StringOverrides } from '../ui/strings.js';
import { nameLabel, pinButton, tileAvatar, tileLabelStyles } from '../ui/tiles.js';

export type RemoteStreamState = 'waiting' | 'playing' | 'ended';

/**
 * @tag remote-stream
 *
 * Renders one remote MediaStream. `<rtc-room>` creates these for every remote
 * stream (unless its `stream` event is prevented); pages may create their own.
 *
 * @fires autoplay-blocked - The browser refused to play sound without a user gesture: it plays muted and shows an unmute button.
 * @csspart video - The `<video>` that plays the stream (also for audio-only streams, hidden).
 * @csspart placeholder - Shown for audio-only streams and muted cameras: the user's initials and name.
 * @csspart avatar - The initials in the placeholder.
 * @csspart name - The name label (always text); for a screen share "{name} is presenting".
 * @csspart muted - The muted-microphone marker in the name label (an SVG icon named "Muted" in the UI language).
 * @csspart host-label - "Host" after the name, while the sender is a host of the room (`host` attribute).
 * @csspart pin-button - Pins the tile in a room's stage (shown while the room sets `pin`).
 * @csspart unmute-button - "Click to unmute", shown after autoplay with sound was blocked.
 * @cssproperty --remote-stream-width - Width (default 100%).
 * @cssproperty --remote-stream-aspect-ratio - Aspect ratio of the box (default 16 / 9).
 * @cssproperty --remote-stream-object-fit - object-fit of the video (default cover).
 * @cssproperty --remote-stream-background - Background (default #111).
 * @cssproperty --remote-stream-radius - Corner radius (default 8px).
 * @cssproperty --rtc-accent - Colour of the ring shown while `speaking`.
 */
export class RemoteStream extends LitElement {
  static override properties = {
    stream: { attribute: false },
    extra: { attribute: false },
    streamid: { reflect: true },
    userid: { reflect: true },
    kind: { reflect: true },
    name: {},
    muted: { type: Boolean },
    state: { reflect: true },
    audioOnly: { type: Boolean, reflect: true, attribute: 'audio-only' },
    autoplayBlocked: { type: Boolean, reflect: true, attribute: 'autoplay-blocked' },
    audioMuted: { type: Boolean, reflect: true, attribute: 'audio-muted' },
    videoMuted: { type: Boolean, reflect: true, attribute: 'video-muted' },
    speaking: { type: Boolean, reflect: true },
    host: { type: Boolean, reflect: true },
    strings: { attribute: false },
    pin: { attribute: false },
  };

  static override styles = [
    tileStyles,
    tileLabelStyles,
    css`
    :host {
      --_tile-width: var(--remote-stream-width, 100%);
      --_tile-aspect-ratio: var(--remote-stream-aspect-ratio, 16 / 9);
      --_tile-background: var(--remote-stream-background, #111);
      --_tile-radius: var(--remote-stream-radius, 8px);
      --_tile-object-fit: var(--remote-stream-object-fit, cover);
    }
    video.concealed {
      position: absolute;
      width: 1px;
      height: 1px;
      opacity: 0;
    }
    [part='unmute-button'] {
      position: absolute;
      top: 8px;
      right: 8px;
      font: inherit;
      padding: 4px 10px;
      border-radius: 6px;
      border: 0;
      background: #ffd54f;
      color: #111;
      cursor: pointer;
    }
  `,
  ];

  /** The stream to render. */
  stream: MediaStream | null = null;
  /** The sender's `extra` (its `name` is shown for audio-only streams). */
  extra: unknown = null;
  /** Id of the stream (reflected). */
  streamid: string | null = null;
  /** Id of the user who sends it (reflected). */
  userid: string | null = null;
  /** `camera`, `screen` or `audio` (reflected). */
  kind: string | null = null;
  /** Name shown on the placeholder; defaults to `extra.name`, then `userid`. */
  name: string | null = null;
  /** Do not play the stream's sound. */
  muted = false;
  /** `waiting`, `playing` or `ended` (reflected for CSS). */
  state: RemoteStreamState = 'waiting';
  /** The stream has no video track (reflected). */
  audioOnly = false;
  /** Sound is held back until a click, because the browser blocked autoplay with sound (reflected). */
  autoplayBlocked = false;
  /** The sender muted its microphone (set by `<rtc-room>`, reflected). */
  audioMuted = false;
  /** The sender muted its camera (set by `<rtc-room>`, reflected). */
  videoMuted = false;
  /** The sender is speaking (set by `<rtc-room>` while it measures levels, reflected; the tile shows a ring). */
  speaking = false;
  /** The sender is a host of the room (set by `<rtc-room controls>`, reflected): "Host" beside the name. */
  host = false;
  /** Overrides of the UI strings (`muted`), as `<rtc-room>`'s `strings` property; the language is the nearest `lang`. */
  strings: StringOverrides | null = null;
  /** Set by `<rtc-room>`'s stage: true/false shows the pin button pressed/not; null (default) shows none. */
  pin: boolean | null = null;

  private watched: MediaStream | null = null;
  private readonly onTracksChanged = () => this.syncTracks();

  /** The `<video>` in the shadow root. */
  get mediaElement(): HTMLVideoElement | null {
    return this.renderRoot?.querySelector('video') ?? null;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.watch(null);
    const video = this.mediaElement;
    if (video) video.srcObject = null;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Re-attach after a move (disconnectedCallback dropped the source).
    if (this.hasUpdated) this.requestUpdate('stream', null);
  }

  private watch(stream: MediaStream | null): void {
    if (this.watched === stream) return;
    for (const t of this.watched?.getTracks() ?? []) t.removeEventListener('ended', this.onTracksChanged);
    this.watched?.removeEventListener('addtrack', this.onTracksChanged);
    this.watched?.removeEventListener('removetrack', this.onTracksChanged);
    this.watched = stream;
    stream?.addEventListener('addtrack', this.onTracksChanged);
    stream?.addEventListener('removetrack', this.onTracksChanged);
  }

  private syncTracks(): void {
    const stream = this.stream;
    if (!stream) return;
    for (const t of stream.getTracks()) {
      t.removeEventListener('ended', this.onTracksChanged);
      t.addEventListener('ended', this.onTracksChanged);
    }
    const live = stream.getTracks().filter((t) => t.readyState === 'live');
    this.audioOnly = !live.some((t) => t.kind === 'video');
    if (!live.length && stream.getTracks().length) this.state = 'ended';
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('stream')) {
      this.streamid = this.stream?.id ?? this.streamid;
      this.state = this.stream ? 'waiting' : 'ended';
      this.autoplayBlocked = false;
      this.watch(this.isConnected ? this.stream : null);
      this.syncTracks();
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    const video = this.mediaElement;
    if (!video) return;
    if ((changed.has('stream') || video.srcObject !== this.stream) && this.isConnected) {
      video.srcObject = this.stream;
      if (this.stream) void this.play(video);
    }
    if (changed.has('muted') && !this.autoplayBlocked) video.muted = this.muted;
  }

  /**
   * Plays with sound when the browser lets us; otherwise plays muted, shows
   * an unmute button and fires `autoplay-blocked` (a click then unmutes).
   */
  private async play(video: HTMLVideoElement): Promise<void> {
    const stream = this.stream;
    video.muted = this.muted;
    try {
      await video.play();
    } catch (err) {
      if (this.stream !== stream || video.srcObject !== stream) return; // superseded by a newer source
      if ((err as Error)?.name !== 'NotAllowedError' || video.muted) return;
      video.muted = true;
      try {
        await video.play();
      } catch {
        return;
      }
      this.autoplayBlocked = true;
      this.dispatchEvent(new AutoplayBlockedEvent({ streamid: this.streamid ?? '', userid: this.userid ?? '' }));
    }
    if (this.stream === stream && this.state !== 'ended') this.state = 'playing';
  }

  /** Unmutes after an autoplay block; call it from a user gesture. */
  async unmute(): Promise<void> {
    const video = this.mediaElement;
    if (!video) return;
    this.muted = false;
    video.muted = false;
    try {
      await video.play();
      this.autoplayBlocked = false;
    } catch {
      video.muted = true;
    }
  }

  private get displayName(): string {
    const extra = this.extra as { name?: unknown } | null;
    const fromExtra = extra && typeof extra === 'object' && typeof extra.name === 'string' ? extra.name : null;
    return this.name ?? fromExtra ?? this.userid ?? '';
  }

  private readonly rerender = () => this.requestUpdate();

  /** The UI's language, when another than English, is in before the element counts as updated. */
  protected override async getUpdateComplete(): Promise<boolean> {
    const done = await super.getUpdateComplete();
    const wait = langsLoading();
    return wait ? wait.then(() => super.getUpdateComplete()) : done;
  }

  protected override render() {
    const showPlaceholder = this.audioOnly || this.videoMuted;
    const name = this.displayName;
    const t = translator(pickLang(this.closest('[lang]')?.getAttribute('lang'), null, navigator.languages), this.strings, this.rerender);
    // lit renders `name` as text: a name is never HTML.
    const label = name || this.audioMuted ? nameLabel(this.kind === 'screen' ? t('presenting', { name }) : name, this.audioMuted, t, this.host) : nothing;
    return html`
      <video part="video" class=${showPlaceholder ? 'concealed' : ''} autoplay playsinline></video>
      ${showPlaceholder ? tileAvatar(name, label) : label}${this.pin === null ? nothing : pinButton(this.pin, t)}
      ${this.autoplayBlocked
        ? html`<button part="unmute-button" type="button" @click=${() => void this.unmute()}>🔈 Click to unmute</button>`
        : nothing}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'remote-stream': RemoteStream;
  }
}
