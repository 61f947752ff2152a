// Active speaker for <rtc-room>: an audio level per tile the room shows (src/audio/levels.ts), the tiles' `speaking` attribute, and the room's `speaking-change` and `active-speaker` events.
import { watch } from '../audio/levels.js';
import { ActiveSpeakerEvent, SpeakingChangeEvent } from '../events.js';

/** A tile whose sound is measured: a `<remote-stream>` or a local `<media-capture>`. */
interface Tile extends Element {
  stream: MediaStream | null;
  speaking: boolean;
  userid?: string | null;
}

interface Watched {
  userid: string;
  stream: MediaStream;
  /** The audio track measured: a replaced microphone (same stream, new track) is watched anew. */
  track: MediaStreamTrack;
  unwatch: () => void;
  speaking: boolean;
  level: number;
}

/** What the speaker logic needs from <rtc-room>. */
export interface SpeakingHost extends HTMLElement {
  state: string;
  controls: string | null;
}

/** How long someone else must be the loudest speaker before taking over `active-speaker`, ms: no flapping. */
const HOLD_MS = 1000;
/** While the active speaker still speaks, another takes over only when this much louder (level units: 0.05 is 3 dB). */
const MARGIN = 0.05;

/**
 * Measures only what someone looks at or listens for: while the room is in a
 * call, and it shows the call UI (`controls` or `layout`) or a
 * `speaking-change` / `active-speaker` listener was added on the room. Then
 * each `<remote-stream>` in the room (none with `no-render`; a tile moved out
 * of the room is dropped) and each local `<media-capture>` the room shares
 * (as this user) is watched.
 */
export class RoomSpeaking {
  private readonly watched = new Map<Tile, Watched>();
  private listened = false;
  private queued = false;
  private active: string | null = null;
  private candidate: string | null = null;
  private since = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** `local()`: this user's id (while it has one) and the elements whose streams the room shares. */
  constructor(
    private readonly host: SpeakingHost,
    private readonly local: () => [string | null | undefined, Iterable<EventTarget>],
  ) {
    // Tiles come and go as children; the room's and the tiles' `state` attributes say when calls and captures start and stop.
    new MutationObserver(this.schedule).observe(host, { childList: true, subtree: true, attributeFilter: ['controls', 'layout', 'state'] });
  }

  /** A listener of `type` was added on the room: its events are wanted from now on. */
  listener(type: string): void {
    if (type !== SpeakingChangeEvent.eventName && type !== ActiveSpeakerEvent.eventName) return;
    this.listened = true;
    this.schedule();
  }

  /** Re-reads the tiles soon (after a local stream started or changed its track). */
  readonly schedule = (): void => {
    if (this.queued) return;
    this.queued = true;
    queueMicrotask(() => {
      this.queued = false;
      this.sync();
    });
  };

  private sync(): void {
    const h = this.host;
    const wanted = new Map<Tile, string>();
    const [me, locals] = this.local();
    if (h.isConnected && (h.state === 'joined' || h.state === 'reconnecting') && (this.listened || h.controls !== null || h.hasAttribute('layout'))) {
      for (const el of h.querySelectorAll<Tile>('remote-stream')) if (el.userid) wanted.set(el, el.userid);
      if (me) for (const el of locals) if ((el as Element).localName === 'media-capture') wanted.set(el as Tile, me);
    }
    for (const [el, w] of this.watched) {
      if (wanted.get(el) !== w.userid || el.stream !== w.stream || w.stream.getAudioTracks()[0] !== w.track || w.track.readyState === 'ended') this.drop(el);
    }
    for (const [el, userid] of wanted) {
      const stream = el.stream;
      const track = stream?.getAudioTracks()[0];
      if (this.watched.has(el) || !stream || track?.readyState !== 'live') continue;
      const w: Watched = { userid, stream, track, unwatch: () => {}, speaking: false, level: 0 };
      this.watched.set(el, w);
      w.unwatch = watch(stream, (speaking, level) => {
        w.level = level;
        if (speaking !== w.speaking) {
          w.speaking = el.speaking = speaking;
          h.dispatchEvent(new SpeakingChangeEvent({ userid, streamid: stream.id, speaking }));
        }
        this.pick();
      });
    }
  }

  private drop(el: Tile): void {
    const w = this.watched.get(el);
    if (!w) return;
    this.watched.delete(el);
    w.unwatch(); // reports silence: speaking false, event and attribute
    if (w.userid === this.active && ![...this.watched.values()].some((o) => o.userid === w.userid)) this.active = null;
  }

  /** Who speaks loudest now; takes over `active-speaker` after HOLD_MS as the loudest (at once when nobody held it). */
  private readonly pick = (): void => {
    clearTimeout(this.timer);
    const loud = new Map<string, number>();
    for (const w of this.watched.values()) if (w.speaking) loud.set(w.userid, Math.max(loud.get(w.userid) ?? 0, w.level));
    let best: string | null = null;
    for (const [userid, level] of loud) if (best === null || level > loud.get(best)!) best = userid;
    const current = this.active === null ? undefined : loud.get(this.active);
    if (best === null || best === this.active || (current !== undefined && current + MARGIN >= loud.get(best)!)) {
      this.candidate = null;
      return;
    }
    const now = performance.now();
    if (best !== this.candidate) {
      this.candidate = best;
      this.since = now;
    }
    const wait = this.active === null ? 0 : this.since + HOLD_MS - now;
    if (wait > 0) {
      this.timer = setTimeout(this.pick, wait);
      return;
    }
    this.active = best;
    this.candidate = null;
    this.host.dispatchEvent(new ActiveSpeakerEvent({ userid: best }));
  };

  /** Releases every analyser (the room left the page). */
  stop(): void {
    for (const el of [...this.watched.keys()]) this.drop(el);
    clearTimeout(this.timer);
    this.active = this.candidate = null;
  }
}
