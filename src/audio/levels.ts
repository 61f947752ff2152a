// Audio levels and speaking detection for MediaStreams: one shared AudioContext, one analyser per stream, one loop while anything is watched.

/** Called when a watched stream's level changes: `speaking` with hysteresis, `level` 0..1 (a dB scale, -60..0 dBFS). */
export type LevelListener = (speaking: boolean, level: number) => void;

interface Watched {
  tracks: MediaStreamTrack[];
  stop: () => void;
  source: MediaStreamAudioSourceNode;
  analyser: AnalyserNode;
  buf: Float32Array<ArrayBuffer>;
  onChange: LevelListener;
  /** The envelope: follows rises at once and falls at FALL_PER_S, so syllables and beeps read as one sound. */
  level: number;
  reported: number;
  speaking: boolean;
  /** Since when the envelope has been on the other side of the threshold (NaN: not crossing). */
  since: number;
}

/** Level (0..1) above which a stream counts as sound: about -33 dBFS. */
const THRESHOLD = 0.45;
/** How long the level must stay above the threshold before `speaking` turns true, and below before it turns false again, ms. */
const START_MS = 150;
const STOP_MS = 650;
/** Poll period: 20 checks a second is enough for a speaking ring and a meter. */
const TICK_MS = 50;
/** How fast the envelope falls, in level units per second (a VU meter's release). */
const FALL_PER_S = 1.2;

let ctx: AudioContext | undefined;
let timer: ReturnType<typeof setInterval> | undefined;
const watched = new Set<Watched>();

/**
 * The one AudioContext, created on first use and closed with the last
 * unwatch. Browsers may create it suspended (autoplay policy): it is resumed
 * on the next click or key press.
 */
function context(): AudioContext {
  if (!ctx) {
    ctx = new AudioContext();
    for (const type of ['pointerdown', 'keydown']) addEventListener(type, resume, { capture: true, passive: true });
  }
  resume();
  return ctx;
}

function resume(): void {
  if (ctx?.state === 'suspended') void ctx.resume().catch(() => {});
}

/** Whether the shared polling loop runs (it runs only while some stream is watched). */
export function levelLoopRunning(): boolean {
  return timer !== undefined;
}

function tick(): void {
  // Nobody sees a hidden page: skip the work (the envelope catches up on the next visible tick).
  if (typeof document !== 'undefined' && document.hidden) return;
  const now = performance.now();
  for (const w of watched) {
    // track.stop() fires no `ended` event: notice it here.
    if (w.tracks.every((t) => t.readyState === 'ended')) {
      w.stop();
      continue;
    }
    w.analyser.getFloatTimeDomainData(w.buf);
    let sum = 0;
    for (const v of w.buf) sum += v * v;
    const rms = Math.sqrt(sum / w.buf.length);
    const instant = rms > 0 ? Math.min(1, Math.max(0, (20 * Math.log10(rms) + 60) / 60)) : 0;
    w.level = Math.max(instant, w.level - (FALL_PER_S * TICK_MS) / 1000);
    const above = w.level > THRESHOLD;
    if (above === w.speaking) w.since = NaN;
    else if (Number.isNaN(w.since)) w.since = now;
    const flip = !Number.isNaN(w.since) && now - w.since >= (above ? START_MS : STOP_MS);
    if (flip) {
      w.speaking = above;
      w.since = NaN;
    }
    // Report meaningful changes only: a meter needs ~1 % steps, not every float.
    if (flip || Math.abs(w.level - w.reported) >= 0.01) {
      w.reported = w.level;
      w.onChange(w.speaking, Math.round(w.level * 100) / 100);
    }
  }
}

/**
 * Watches the audio of `stream`: `onChange(speaking, level)` is called as the
 * level moves. Returns `unwatch`, which releases the analyser (and stops the
 * shared loop when it was the last one); a stream whose audio tracks all end
 * is released by itself. A stream without audio is never reported.
 */
export function watch(stream: MediaStream, onChange: LevelListener): () => void {
  const tracks = stream.getAudioTracks().filter((t) => t.readyState === 'live');
  if (!tracks.length) return () => {};
  let source: MediaStreamAudioSourceNode;
  try {
    source = context().createMediaStreamSource(stream);
  } catch {
    return () => {};
  }
  const analyser = ctx!.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  const w: Watched = {
    tracks,
    stop: () => unwatch(),
    source,
    analyser,
    buf: new Float32Array(analyser.fftSize),
    onChange,
    level: 0,
    reported: 0,
    speaking: false,
    since: NaN,
  };
  watched.add(w);
  timer ??= setInterval(tick, TICK_MS);
  let done = false;
  const unwatch = () => {
    if (done) return;
    done = true;
    for (const t of tracks) t.removeEventListener('ended', onEnded);
    source.disconnect();
    watched.delete(w);
    if (w.speaking || w.reported) onChange(false, 0);
    if (!watched.size) {
      clearInterval(timer);
      timer = undefined;
      // Nothing to measure: release the audio thread until the next watch(). Closed, not suspended:
      // a suspend() still pending when the next watch() resumes could leave the new watch silent.
      for (const type of ['pointerdown', 'keydown']) removeEventListener(type, resume, { capture: true });
      void ctx?.close().catch(() => {});
      ctx = undefined;
    }
  };
  const onEnded = () => {
    if (tracks.every((t) => t.readyState === 'ended')) unwatch();
  };
  for (const t of tracks) t.addEventListener('ended', onEnded);
  return unwatch;
}
