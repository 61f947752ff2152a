/**
 * Every DOM event the elements dispatch: one class per event with a typed,
 * readonly `detail`, declared in `HTMLElementEventMap` at the end of this file.
 * They bubble and are composed so a page hears them through shadow roots.
 */

/** What a stream carries: a camera (with or without sound), a screen, or sound alone. */
export type StreamKind = 'camera' | 'screen' | 'audio';
export type TrackKind = 'audio' | 'video';

abstract class DetailEvent<T> extends Event {
  readonly detail: Readonly<T>;
  constructor(type: string, detail: T, cancelable = false) {
    super(type, { bubbles: true, composed: true, cancelable });
    this.detail = detail;
  }
}

export interface LocalStreamDetail {
  type: 'local';
  stream: MediaStream;
  streamid: string;
  kind: StreamKind;
  /** The preview `<video>` inside the capture's shadow root. */
  mediaElement: HTMLVideoElement | null;
}

export interface RemoteStreamDetail {
  type: 'remote';
  stream: MediaStream;
  streamid: string;
  kind: StreamKind;
  userid: string;
  extra: unknown;
  /** The `<remote-stream>` the room created for it (null when prevented or `no-render`). */
  mediaElement: HTMLElement | null;
}

export type StreamDetail = LocalStreamDetail | RemoteStreamDetail;

/**
 * `stream`: a local capture started, or a remote stream arrived. Remote ones
 * are cancelable: `preventDefault()` stops the room rendering a `<remote-stream>`.
 */
export class StreamEvent extends DetailEvent<StreamDetail> {
  static readonly eventName = 'stream';
  constructor(detail: StreamDetail) {
    super(StreamEvent.eventName, detail, detail.type === 'remote');
  }
}

export interface StreamEndDetail {
  type: 'local' | 'remote';
  streamid: string;
  kind: StreamKind;
  userid?: string;
  /** Why it ended: `stop()`, a device that went away, the browser's own "stop sharing", a peer leaving. */
  reason: 'stopped' | 'device-ended' | 'screen-share-ended' | 'peer-left' | 'removed';
}

/** `stream-end`: a stream stopped and its tracks ended. */
export class StreamEndEvent extends DetailEvent<StreamEndDetail> {
  static readonly eventName = 'stream-end';
  constructor(detail: StreamEndDetail) {
    super(StreamEndEvent.eventName, detail);
  }
}

export interface CaptureErrorDetail {
  /** A DOMException name (`NotAllowedError`, `OverconstrainedError`, ...) or `InvalidAttributeError`. */
  name: string;
  message: string;
  /** The constraint that could not be satisfied, for `OverconstrainedError`. */
  constraint?: string;
  /** The attribute whose value is invalid, for `InvalidAttributeError`. */
  attribute?: string;
}

/** `capture-error`: the capture could not start (or an attribute is invalid). */
export class CaptureErrorEvent extends DetailEvent<CaptureErrorDetail> {
  static readonly eventName = 'capture-error';
  constructor(detail: CaptureErrorDetail) {
    super(CaptureErrorEvent.eventName, detail);
  }
}

export interface MuteChangeDetail {
  kind: TrackKind;
  muted: boolean;
  stream: MediaStream;
  streamid: string;
}

/** `mute-change`: a local track was muted or unmuted (`track.enabled`). */
export class MuteChangeEvent extends DetailEvent<MuteChangeDetail> {
  static readonly eventName = 'mute-change';
  constructor(detail: MuteChangeDetail) {
    super(MuteChangeEvent.eventName, detail);
  }
}

export interface TrackChangeDetail {
  stream: MediaStream;
  streamid: string;
  kind: TrackKind;
  oldTrack: MediaStreamTrack | null;
  newTrack: MediaStreamTrack;
}

/**
 * `track-change`: a track of a live stream was replaced in place (another
 * device chosen, or a lost device re-acquired). Rooms `replaceTrack()` on it,
 * with no renegotiation.
 */
export class TrackChangeEvent extends DetailEvent<TrackChangeDetail> {
  static readonly eventName = 'track-change';
  constructor(detail: TrackChangeDetail) {
    super(TrackChangeEvent.eventName, detail);
  }
}

export interface DevicesChangeDetail {
  devices: MediaDeviceInfo[];
}

/** `devices-change`: cameras or microphones came or went. */
export class DevicesChangeEvent extends DetailEvent<DevicesChangeDetail> {
  static readonly eventName = 'devices-change';
  constructor(detail: DevicesChangeDetail) {
    super(DevicesChangeEvent.eventName, detail);
  }
}

export interface AutoplayBlockedDetail {
  streamid: string;
  userid: string;
}

/** `autoplay-blocked`: the browser refused to play sound without a gesture; the element plays muted and shows an unmute control. */
export class AutoplayBlockedEvent extends DetailEvent<AutoplayBlockedDetail> {
  static readonly eventName = 'autoplay-blocked';
  constructor(detail: AutoplayBlockedDetail) {
    super(AutoplayBlockedEvent.eventName, detail);
  }
}

declare global {
  interface HTMLElementEventMap {
    stream: StreamEvent;
    'stream-end': StreamEndEvent;
    'capture-error': CaptureErrorEvent;
    'mute-change': MuteChangeEvent;
    'track-change': TrackChangeEvent;
    'devices-change': DevicesChangeEvent;
    'autoplay-blocked': AutoplayBlockedEvent;
  }
}
