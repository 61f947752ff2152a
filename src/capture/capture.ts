/**
 * Capture logic with no Lit: the standalone captureUserMedia() and the
 * CaptureSession that <media-capture> adapts to attributes and events.
 */
import type { CaptureErrorDetail, StreamEndDetail, StreamKind, TrackKind } from '../events.js';
import type { CaptureRequest } from './constraints.js';

/** MediaStreamConstraints plus `screen`, as the seed's session object had. */
export type CaptureConstraints = MediaStreamConstraints & { screen?: boolean };

function inIframe(): boolean {
  try {
    return window.self !== window.top;
  } catch {
    return true; // cross-origin parent
  }
}

type PolicyDocument = Document & {
  featurePolicy?: { allowsFeature(f: string): boolean };
  permissionsPolicy?: { allowsFeature(f: string): boolean };
};

function policyAllows(feature: string): boolean {
  const doc = document as PolicyDocument;
  const policy = doc.permissionsPolicy ?? doc.featurePolicy;
  try {
    return policy ? policy.allowsFeature(feature) : true;
  } catch {
    return true;
  }
}

/** Features a request needs, in Permissions-Policy names. */
function featuresFor(screen: boolean, constraints: MediaStreamConstraints): string[] {
  if (screen) return ['display-capture'];
  const f: string[] = [];
  if (constraints.video) f.push('camera');
  if (constraints.audio) f.push('microphone');
  return f;
}

/**
 * Turns whatever getUserMedia threw into a `capture-error` detail with a
 * message a page author can act on.
 */
export function describeCaptureError(err: unknown, screen = false, constraints: MediaStreamConstraints = {}): CaptureErrorDetail {
  const e = err as { name?: string; message?: string; constraint?: string; attribute?: string };
  const name = typeof e?.name === 'string' && e.name ? e.name : 'Error';
  const original = typeof e?.message === 'string' ? e.message : String(err);
  const detail: CaptureErrorDetail = { name, message: original };
  if (name === 'InvalidAttributeError' && e.attribute) detail.attribute = e.attribute;
  switch (name) {
    case 'NotAllowedError': {
      const blocked = featuresFor(screen, constraints).filter((f) => !policyAllows(f));
      if (inIframe() && blocked.length) {
        detail.message =
          `This page runs inside an iframe that does not allow ${blocked.join(' and ')}. ` +
          `Add allow="camera; microphone; display-capture" to the <iframe> tag that embeds it.`;
      } else {
        detail.message = screen
          ? 'Screen sharing was cancelled or refused.'
          : 'Permission to use the camera or microphone was denied. Allow it in the browser\'s site settings and try again.';
      }
      break;
    }
    case 'NotFoundError':
      detail.message = 'No camera or microphone matching the request was found.';
      break;
    case 'NotReadableError':
      detail.message = 'The camera or microphone is in use by another application, or could not be started.';
      break;
    case 'OverconstrainedError':
      if (e.constraint) detail.constraint = e.constraint;
      detail.message = `No device satisfies the "${e.constraint ?? 'requested'}" constraint.`;
      break;
    case 'SecurityError':
      detail.message = 'Media capture needs a secure context (https:// or http://localhost).';
      break;
    case 'AbortError':
      detail.message = original || 'The capture was aborted.';
      break;
    default:
      break;
  }
  return detail;
}

function insecureContextError(): DOMException {
  return new DOMException('navigator.mediaDevices is unavailable: media capture needs https:// or localhost.', 'SecurityError');
}

/** Calls getUserMedia or getDisplayMedia for one request. */
export function acquire(request: CaptureRequest): Promise<MediaStream> {
  const md = globalThis.navigator?.mediaDevices;
  if (!md) return Promise.reject(insecureContextError());
  return request.screen ? md.getDisplayMedia(request.constraints) : md.getUserMedia(request.constraints);
}

/**
 * The seed's `captureUserMedia`, as a function: resolves with the stream.
 * Accepts the seed's callback form, `captureUserMedia(callback, constraints)`,
 * too; the callback receives the stream, and the returned Promise still
 * settles (its rejection is marked handled in that form, so a page that only
 * passes a callback never sees an unhandled rejection).
 */
export function captureUserMedia(constraints?: CaptureConstraints): Promise<MediaStream>;
export function captureUserMedia(callback: (stream: MediaStream) => void, constraints?: CaptureConstraints): Promise<MediaStream>;
export function captureUserMedia(
  a?: CaptureConstraints | ((stream: MediaStream) => void),
  b?: CaptureConstraints,
): Promise<MediaStream> {
  const callback = typeof a === 'function' ? a : undefined;
  const { screen = false, ...constraints } = (typeof a === 'function' ? b : a) ?? { audio: true, video: true };
  const request: CaptureRequest = {
    screen,
    constraints: constraints.audio === undefined && constraints.video === undefined ? { audio: true, video: true } : constraints,
  };
  const p = acquire(request);
  if (!callback) return p;
  p.then(callback, (err: unknown) => {
    const d = describeCaptureError(err, screen, request.constraints);
    console.error(`captureUserMedia: ${d.name}: ${d.message}`);
  });
  p.catch(() => {});
  return p;
}

/** The kind of a captured stream, as the `stream` event names it. */
export function streamKind(stream: MediaStream, screen: boolean): StreamKind {
  if (screen) return 'screen';
  return stream.getVideoTracks().length ? 'camera' : 'audio';
}

export interface CaptureSessionHooks {
  /** A capture started; the session is live. */
  started(stream: MediaStream, kind: StreamKind): void;
  /** The capture ended (every track is stopped). */
  ended(stream: MediaStream, kind: StreamKind, reason: StreamEndDetail['reason']): void;
  /** A start or a device re-acquisition failed. */
  failed(detail: CaptureErrorDetail): void;
  muteChanged(kind: TrackKind, muted: boolean, stream: MediaStream): void;
  trackChanged(kind: TrackKind, oldTrack: MediaStreamTrack | null, newTrack: MediaStreamTrack, stream: MediaStream): void;
}

interface Attempt {
  promise: Promise<MediaStream>;
  aborted: boolean;
}

function abortError(): DOMException {
  return new DOMException('The capture was stopped before it started.', 'AbortError');
}

/**
 * One capture with a lifetime: start() acquires (once, however often it is
 * called while pending), stop() releases, even while getUserMedia is still
 * pending, and tracks that end by themselves are handled.
 */
export class CaptureSession {
  stream: MediaStream | null = null;
  kind: StreamKind | null = null;
  private request: CaptureRequest | null = null;
  private attempt: Attempt | null = null;
  private readonly muted: Record<TrackKind, boolean> = { audio: false, video: false };
  private readonly trackListeners = new Map<MediaStreamTrack, () => void>();

  constructor(private readonly hooks: CaptureSessionHooks) {}

  get pending(): boolean {
    return this.attempt !== null;
  }

  isMuted(kind: TrackKind): boolean {
    return this.muted[kind];
  }

  /** The live stream or the pending capture, as a Promise; null when idle. */
  current(): Promise<MediaStream> | null {
    if (this.stream) return Promise.resolve(this.stream);
    return this.attempt?.promise ?? null;
  }

  /** Starts a capture; resolves with the live stream (the same one while live or pending). */
  start(request: CaptureRequest): Promise<MediaStream> {
    if (this.stream) return Promise.resolve(this.stream);
    if (this.attempt) return this.attempt.promise;
    const attempt: Attempt = { aborted: false, promise: Promise.resolve(null as never) };
    attempt.promise = (async () => {
      let stream: MediaStream;
      try {
        stream = await acquire(request);
      } catch (err) {
        if (this.attempt === attempt) this.attempt = null;
        if (attempt.aborted) throw abortError();
        this.hooks.failed(describeCaptureError(err, request.screen, request.constraints));
        throw err;
      }
      if (attempt.aborted) {
        // stop() came first: never leave a camera on.
        for (const t of stream.getTracks()) t.stop();
        throw abortError();
      }
      this.attempt = null;
      this.request = request;
      this.stream = stream;
      this.kind = streamKind(stream, request.screen);
      for (const track of stream.getTracks()) this.watch(track);
      for (const kind of ['audio', 'video'] as const) if (this.muted[kind]) this.applyMute(kind);
      this.hooks.started(stream, this.kind);
      return stream;
    })();
    this.attempt = attempt;
    return attempt.promise;
  }

  /** Stops the capture (or the pending one, when it arrives). */
  stop(reason: StreamEndDetail['reason'] = 'stopped'): void {
    if (this.attempt) {
      this.attempt.aborted = true;
      this.attempt = null;
    }
    const { stream, kind } = this;
    if (!stream || !kind) return;
    this.stream = null;
    this.kind = null;
    for (const [track, listener] of this.trackListeners) track.removeEventListener('ended', listener);
    this.trackListeners.clear();
    for (const t of stream.getTracks()) t.stop();
    this.hooks.ended(stream, kind, reason);
  }

  /** Mutes or unmutes the local tracks of one kind (track.enabled). */
  setMuted(kind: TrackKind, muted: boolean): void {
    if (this.muted[kind] === muted) return;
    this.muted[kind] = muted;
    if (this.stream) {
      this.applyMute(kind);
      this.hooks.muteChanged(kind, muted, this.stream);
    }
  }

  private applyMute(kind: TrackKind): void {
    for (const t of this.tracksOf(kind)) t.enabled = !this.muted[kind];
  }

  private tracksOf(kind: TrackKind): MediaStreamTrack[] {
    if (!this.stream) return [];
    return kind === 'audio' ? this.stream.getAudioTracks() : this.stream.getVideoTracks();
  }

  /**
   * Replaces the track of one kind with one from another device (or the
   * default device when deviceId is empty), in the same stream, so the stream
   * id stays and a room can replaceTrack() without renegotiating.
   */
  async switchDevice(kind: TrackKind, deviceId: string | null): Promise<MediaStreamTrack> {
    const stream = this.stream;
    const request = this.request;
    if (!stream || !request) throw new DOMException('No capture is running.', 'InvalidStateError');
    if (request.screen) throw new DOMException('A screen capture has no device to switch.', 'InvalidStateError');
    const base = request.constraints[kind];
    const trackConstraints: MediaTrackConstraints = typeof base === 'object' ? { ...base } : {};
    if (deviceId) trackConstraints.deviceId = { exact: deviceId };
    else delete trackConstraints.deviceId;
    const fresh = await acquire({ screen: false, constraints: { [kind]: trackConstraints } });
    const newTrack = (kind === 'audio' ? fresh.getAudioTracks() : fresh.getVideoTracks())[0];
    if (!newTrack) throw new DOMException(`No ${kind} track was returned.`, 'NotFoundError');
    if (this.stream !== stream) {
      // Stopped meanwhile.
      newTrack.stop();
      throw abortError();
    }
    const oldTrack = this.tracksOf(kind)[0] ?? null;
    newTrack.enabled = !this.muted[kind];
    stream.addTrack(newTrack);
    this.watch(newTrack);
    if (oldTrack) {
      stream.removeTrack(oldTrack);
      this.unwatch(oldTrack);
      oldTrack.stop();
    }
    this.request = { ...request, constraints: { ...request.constraints, [kind]: trackConstraints } };
    this.hooks.trackChanged(kind, oldTrack, newTrack, stream);
    return newTrack;
  }

  private watch(track: MediaStreamTrack): void {
    const listener = () => this.onTrackEnded(track);
    this.trackListeners.set(track, listener);
    track.addEventListener('ended', listener);
  }

  private unwatch(track: MediaStreamTrack): void {
    const listener = this.trackListeners.get(track);
    if (listener) track.removeEventListener('ended', listener);
    this.trackListeners.delete(track);
  }

  /**
   * 'ended' fires only when the browser ends a track (device unplugged, the
   * user pressed "Stop sharing"), never for our own stop().
   */
  private onTrackEnded(track: MediaStreamTrack): void {
    this.unwatch(track);
    if (!this.stream || !this.request) return;
    if (this.request.screen) {
      this.stop('screen-share-ended');
      return;
    }
    // A camera or microphone went away: follow the default device, keep the stream.
    const kind = track.kind as TrackKind;
    const stream = this.stream;
    this.switchDevice(kind, null).catch((err: unknown) => {
      if (this.stream !== stream) return;
      this.hooks.failed(describeCaptureError(err, false, { [kind]: true }));
      this.stop('device-ended');
    });
  }
}
