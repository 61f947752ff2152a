/** The streams this user shares and their mute flags, handed to the transport when the room token allows publishing. */
import type { MediaKind, StreamInfo, StreamKind } from '../protocol.js';
import type { LocalStreamEntry, Transport } from './transport.js';

export class LocalStreams {
  readonly entries = new Map<string, LocalStreamEntry>();
  /** Kinds a host muted that this user has not unmuted: announced muted on every stream (the server insists). */
  readonly hostMuted = new Set<MediaKind>();

  constructor(
    private readonly transport: () => Transport,
    /** Whether the room token allows publishing; without it streams stay on this page. */
    private readonly mayPublish: () => boolean,
  ) {}

  /** What peers get: none when the room token does not allow publishing. */
  published(): LocalStreamEntry[] {
    const h = this.hostMuted;
    return this.mayPublish()
      ? [...this.entries.values()].map(({ stream, info }) => ({
          stream,
          info: { ...info, audioMuted: info.audioMuted || h.has('audio'), videoMuted: info.videoMuted || h.has('video') },
        }))
      : [];
  }

  /** Adds a stream; false when it was there already. */
  add(stream: MediaStream, kind: StreamKind): boolean {
    if (this.entries.has(stream.id)) return false;
    const info: StreamInfo = {
      streamid: stream.id,
      kind,
      audioMuted: stream.getAudioTracks().some((t) => !t.enabled),
      videoMuted: stream.getVideoTracks().some((t) => !t.enabled),
    };
    this.entries.set(stream.id, { stream, info });
    if (this.mayPublish()) this.transport().addStream(stream);
    return true;
  }

  remove(streamid: string): void {
    if (this.entries.delete(streamid)) this.transport().removeStream(streamid);
  }

  replaceTrack(streamid: string, oldTrack: MediaStreamTrack | null, newTrack: MediaStreamTrack): void {
    if (this.entries.has(streamid)) this.transport().replaceTrack(streamid, oldTrack, newTrack);
  }

  setMuted(streamid: string, kind: 'audio' | 'video', muted: boolean): void {
    const entry = this.entries.get(streamid);
    if (!entry) return;
    const key = kind === 'audio' ? 'audioMuted' : 'videoMuted';
    if (!!entry.info[key] === muted) return;
    entry.info = { ...entry.info, [key]: muted };
    this.transport().announceStreams();
  }
}
