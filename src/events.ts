/**
 * Every DOM event the elements dispatch: one class per event with a typed,
 * readonly `detail`, declared in `HTMLElementEventMap` at the end of this file.
 * They bubble and are composed so a page hears them through shadow roots.
 */
import type { ErrorCode, PeerLeaveReason, Role } from './protocol.js';
import type { RoomNotices } from './room/room-types.js';
import type { ClientErrorCode } from './room/signaling.js';

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

// ---------------------------------------------------------------------------
// <rtc-room>

export type RoomStateName = 'idle' | 'connecting' | 'waiting' | 'joined' | 'reconnecting' | 'left' | 'error';

export interface RoomJoinedDetail {
  roomid: string;
  userid: string;
  isInitiator: boolean;
  peers: { userid: string; extra: unknown }[];
}

/** `room-joined`: the room was opened or joined (also after an automatic rejoin). */
export class RoomJoinedEvent extends DetailEvent<RoomJoinedDetail> {
  static readonly eventName = 'room-joined';
  constructor(detail: RoomJoinedDetail) {
    super(RoomJoinedEvent.eventName, detail);
  }
}

/** `room-left`: this user left the room (`leave()`, removal, pagehide, or replaced by another connection). */
export class RoomLeftEvent extends DetailEvent<{ roomid: string | null }> {
  static readonly eventName = 'room-left';
  constructor(detail: { roomid: string | null }) {
    super(RoomLeftEvent.eventName, detail);
  }
}

/** A server error code (`room-full`, `invalid-password`, ...), a client one (`server-unreachable`, `timeout`, ...), or `invalid-attribute`. */
export type RoomErrorCode = ErrorCode | ClientErrorCode | 'invalid-attribute' | 'ui-unavailable';

export interface RoomErrorDetail {
  code: RoomErrorCode;
  message: string;
}

/** `room-error`: an operation failed or the server cannot be reached. */
export class RoomErrorEvent extends DetailEvent<RoomErrorDetail> {
  static readonly eventName = 'room-error';
  constructor(detail: RoomErrorDetail) {
    super(RoomErrorEvent.eventName, detail);
  }
}

/** `room-state`: the room's `state` changed (reflected as the `state` attribute too). */
export class RoomStateEvent extends DetailEvent<{ state: RoomStateName; previous: RoomStateName }> {
  static readonly eventName = 'room-state';
  constructor(detail: { state: RoomStateName; previous: RoomStateName }) {
    super(RoomStateEvent.eventName, detail);
  }
}

export interface TokenExpiringDetail {
  /** The room token's `exp`, in ms since the epoch. */
  expiresAt: number;
}

/**
 * `token-expiring`: the room token runs out soon (a minute before `exp`, or
 * halfway for shorter-lived tokens). Set a fresh `token`; calls in progress
 * are not affected either way, but a reconnect after `exp` would be refused.
 */
export class TokenExpiringEvent extends DetailEvent<TokenExpiringDetail> {
  static readonly eventName = 'token-expiring';
  constructor(detail: TokenExpiringDetail) {
    super(TokenExpiringEvent.eventName, detail);
  }
}

export interface TokenExpiredDetail {
  /** The server's explanation. */
  message: string;
}

/**
 * `token-expired`: the server refused the room token because its `exp` has
 * passed (also reported as `room-error` `unauthorized`). Setting a fresh
 * `token` connects again and rejoins the room.
 */
export class TokenExpiredEvent extends DetailEvent<TokenExpiredDetail> {
  static readonly eventName = 'token-expired';
  constructor(detail: TokenExpiredDetail) {
    super(TokenExpiredEvent.eventName, detail);
  }
}

export interface PeerDetail {
  userid: string;
  extra: unknown;
  /** `host` or `participant`. */
  role: Role;
}

/** `peer-join`: another user entered the room. */
export class PeerJoinEvent extends DetailEvent<PeerDetail> {
  static readonly eventName = 'peer-join';
  constructor(detail: PeerDetail) {
    super(PeerJoinEvent.eventName, detail);
  }
}

/** `peer-update`: another user changed its `extra`. */
export class PeerUpdateEvent extends DetailEvent<PeerDetail> {
  static readonly eventName = 'peer-update';
  constructor(detail: PeerDetail) {
    super(PeerUpdateEvent.eventName, detail);
  }
}

export interface PeerLeaveDetail {
  userid: string;
  /** `leave` (it left), `disconnect` (its connection dropped for good), `replaced`, `removed` (by a host), `connection-lost` (we lost the room). */
  reason: PeerLeaveReason | 'connection-lost';
}

/** `peer-leave`: another user left; its `<remote-stream>` elements are gone. */
export class PeerLeaveEvent extends DetailEvent<PeerLeaveDetail> {
  static readonly eventName = 'peer-leave';
  constructor(detail: PeerLeaveDetail) {
    super(PeerLeaveEvent.eventName, detail);
  }
}

export interface PeerStateDetail {
  userid: string;
  /** RTCPeerConnection connectionState, or `restarting` (ICE restart) / `rebuilding` (new connection). */
  state: RTCPeerConnectionState | 'restarting' | 'rebuilding';
}

/** `peer-state`: the connection to one user changed state. */
export class PeerStateEvent extends DetailEvent<PeerStateDetail> {
  static readonly eventName = 'peer-state';
  constructor(detail: PeerStateDetail) {
    super(PeerStateEvent.eventName, detail);
  }
}

export interface StreamMuteDetail {
  userid: string;
  streamid: string;
  kind: TrackKind;
  muted: boolean;
}

/** `stream-mute`: a remote user muted or unmuted a track. */
export class StreamMuteEvent extends DetailEvent<StreamMuteDetail> {
  static readonly eventName = 'stream-mute';
  constructor(detail: StreamMuteDetail) {
    super(StreamMuteEvent.eventName, detail);
  }
}

export interface RoomMessageDetail {
  userid: string;
  data: unknown;
  /** `data`: `send()` over a data channel; `socket`: `emit()` through the server. */
  via: 'data' | 'socket';
  /** The event name given to `emit()`. */
  event?: string;
}

/** `room-message`: a message from another user (not named `message`, which window listeners take for postMessage). */
export class RoomMessageEvent extends DetailEvent<RoomMessageDetail> {
  static readonly eventName = 'room-message';
  constructor(detail: RoomMessageDetail) {
    super(RoomMessageEvent.eventName, detail);
  }
}

export interface SpeakingChangeDetail {
  /** Who: a remote user, or this user (the room's own userid) for the local capture. */
  userid: string;
  streamid: string;
  speaking: boolean;
}

/** `speaking-change`: sound on one stream started or stopped counting as speech (a level with hysteresis). */
export class SpeakingChangeEvent extends DetailEvent<SpeakingChangeDetail> {
  static readonly eventName = 'speaking-change';
  constructor(detail: SpeakingChangeDetail) {
    super(SpeakingChangeEvent.eventName, detail);
  }
}

/** `active-speaker`: the loudest recent speaker changed (held for a second before someone else takes over). */
export class ActiveSpeakerEvent extends DetailEvent<{ userid: string }> {
  static readonly eventName = 'active-speaker';
  constructor(detail: { userid: string }) {
    super(ActiveSpeakerEvent.eventName, detail);
  }
}

export type RoomNoticeName = keyof RoomNotices;

/**
 * What hosts and the lobby tell the page (one class, several names):
 * `room-waiting` `{ roomid, userid, hostPresent, timeoutMs }` (this user waits in the lobby);
 * to hosts `knock` `{ userid, extra }` and `lobby-resolved` `{ userid, outcome }`;
 * `role-change` `{ userid, role }`; `room-locked` `{ locked, by }`;
 * `host-mute` `{ kind, by }` (a host muted this user's microphone or camera: unmuting is up to the user);
 * `topology-change` `{ topology }` (an `auto` room moved its media to the SFU or back to the mesh; tiles and streams stay).
 */
export class RoomNoticeEvent<K extends RoomNoticeName = RoomNoticeName> extends DetailEvent<RoomNotices[K]> {
  constructor(type: K, detail: RoomNotices[K]) {
    super(type, detail);
  }
}

declare global {
  interface HTMLElementEventMap {
    'room-waiting': RoomNoticeEvent<'room-waiting'>;
    knock: RoomNoticeEvent<'knock'>;
    'lobby-resolved': RoomNoticeEvent<'lobby-resolved'>;
    'role-change': RoomNoticeEvent<'role-change'>;
    'room-locked': RoomNoticeEvent<'room-locked'>;
    'host-mute': RoomNoticeEvent<'host-mute'>;
    'topology-change': RoomNoticeEvent<'topology-change'>;
    stream: StreamEvent;
    'stream-end': StreamEndEvent;
    'capture-error': CaptureErrorEvent;
    'mute-change': MuteChangeEvent;
    'track-change': TrackChangeEvent;
    'devices-change': DevicesChangeEvent;
    'autoplay-blocked': AutoplayBlockedEvent;
    'room-joined': RoomJoinedEvent;
    'room-left': RoomLeftEvent;
    'room-error': RoomErrorEvent;
    'room-state': RoomStateEvent;
    'token-expiring': TokenExpiringEvent;
    'token-expired': TokenExpiredEvent;
    'peer-join': PeerJoinEvent;
    'peer-update': PeerUpdateEvent;
    'peer-leave': PeerLeaveEvent;
    'peer-state': PeerStateEvent;
    'stream-mute': StreamMuteEvent;
    'room-message': RoomMessageEvent;
    'speaking-change': SpeakingChangeEvent;
    'active-speaker': ActiveSpeakerEvent;
  }
}
