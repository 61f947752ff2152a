/**
 * Turns `<media-capture>` attributes into getUserMedia / getDisplayMedia
 * constraints. Plain functions, no DOM: unit-testable on their own.
 */

/** An attribute value that cannot be used; the element reports it as a `capture-error`. */
export class InvalidAttributeError extends Error {
  override readonly name = 'InvalidAttributeError';
  constructor(
    readonly attribute: string,
    readonly value: string,
    expected: string,
  ) {
    super(`<media-capture> attribute ${attribute}="${value}" is invalid: expected ${expected}.`);
  }
}

/** The attributes the constraints are built from (null = absent). */
export interface CaptureAttributes {
  audio: boolean;
  video: boolean;
  screen: boolean;
  width: string | null;
  height: string | null;
  frameRate: string | null;
  facingMode: string | null;
  audioDevice: string | null;
  videoDevice: string | null;
  echoCancellation: string | null;
  noiseSuppression: string | null;
  autoGainControl: string | null;
}

export interface CaptureRequest {
  /** getDisplayMedia (screen) or getUserMedia (camera/microphone). */
  screen: boolean;
  constraints: MediaStreamConstraints;
}

const FACING_MODES = ['user', 'environment', 'left', 'right'];

/**
 * A numeric constraint: `1280` (ideal), `exact:1280`, `min:640`, `max:1920`,
 * or `640-1920` (a range).
 */
export function parseNumberConstraint(attribute: string, raw: string): ConstrainULong {
  const value = raw.trim();
  const expected = 'a positive number, or exact:N, min:N, max:N, or N-M';
  const num = (s: string): number => {
    if (!/^\d+(\.\d+)?$/.test(s.trim())) throw new InvalidAttributeError(attribute, raw, expected);
    const n = Number(s);
    if (!(n > 0) || !Number.isFinite(n)) throw new InvalidAttributeError(attribute, raw, expected);
    return n;
  };
  const prefixed = /^(exact|min|max|ideal):(.+)$/.exec(value);
  if (prefixed) return { [prefixed[1]!]: num(prefixed[2]!) };
  const range = /^([\d.]+)\s*-\s*([\d.]+)$/.exec(value);
  if (range) {
    const min = num(range[1]!);
    const max = num(range[2]!);
    if (min > max) throw new InvalidAttributeError(attribute, raw, expected);
    return { min, max };
  }
  return { ideal: num(value) };
}

/** `true`/`false` (or empty = true) for the audio-processing switches. */
function parseSwitch(attribute: string, raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (v === '' || v === 'true' || v === 'on') return true;
  if (v === 'false' || v === 'off') return false;
  throw new InvalidAttributeError(attribute, raw, '"true" or "false"');
}

/** Builds the request from the attributes; throws InvalidAttributeError on a bad value. */
export function buildCaptureRequest(a: CaptureAttributes): CaptureRequest {
  // None of audio/video/screen means camera + microphone, like the seed's default.
  const wantAudio = a.audio || (!a.video && !a.screen);
  const wantVideo = a.video || (!a.audio && !a.screen);

  const video: MediaTrackConstraints = {};
  if (a.width !== null) video.width = parseNumberConstraint('width', a.width);
  if (a.height !== null) video.height = parseNumberConstraint('height', a.height);
  if (a.frameRate !== null) video.frameRate = parseNumberConstraint('frame-rate', a.frameRate);
  if (a.facingMode !== null) {
    const mode = a.facingMode.trim();
    if (!FACING_MODES.includes(mode)) {
      throw new InvalidAttributeError('facing-mode', a.facingMode, FACING_MODES.join(', '));
    }
    video.facingMode = mode;
  }
  if (a.videoDevice) video.deviceId = { exact: a.videoDevice };

  const audio: MediaTrackConstraints = {};
  if (a.echoCancellation !== null) audio.echoCancellation = parseSwitch('echo-cancellation', a.echoCancellation);
  if (a.noiseSuppression !== null) audio.noiseSuppression = parseSwitch('noise-suppression', a.noiseSuppression);
  if (a.autoGainControl !== null) audio.autoGainControl = parseSwitch('auto-gain-control', a.autoGainControl);
  if (a.audioDevice) audio.deviceId = { exact: a.audioDevice };

  const asTrack = (c: MediaTrackConstraints): boolean | MediaTrackConstraints =>
    Object.keys(c).length ? c : true;

  if (a.screen) {
    // getDisplayMedia ignores deviceId/facingMode; keep only what it honours.
    const { deviceId: _d, facingMode: _f, ...screenVideo } = video;
    return {
      screen: true,
      constraints: { video: asTrack(screenVideo), audio: a.audio ? asTrack(audio) : false },
    };
  }
  return {
    screen: false,
    constraints: {
      video: wantVideo ? asTrack(video) : false,
      audio: wantAudio ? asTrack(audio) : false,
    },
  };
}
