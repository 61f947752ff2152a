/** The SFU transport: one publisher and one subscriber RTCPeerConnection to the room's Janus, SDP and candidates relayed by our server (sfu:* requests). */
import type { IceCandidateData, SfuFeedsPayload, SfuLayer, SfuJsep, SfuStreamInfo, SfuTarget, SignalData, StreamInfo } from '../protocol.js';
import type { DataPayload } from './data-messages.js';
import { request, RoomError, type RoomSocket } from './signaling.js';
import { SFU_DATA, type Transport, type TransportContext, type TransportHooks } from './transport.js';


/** One publisher stream as received: its tracks gathered in a stream of ours (Janus names no publisher's stream). */
interface Remote {
  userid: string;
  stream: MediaStream;
  info: StreamInfo;
  /** The simulcast layer its tile's size asks for, and the one last requested. */
  want?: SfuLayer;
  layer?: SfuLayer;
  /** The first request was said again (see askLayers). */
  again?: boolean;
}

// A move between the mesh and the SFU (RoomClient.move) uses these; one of its two transports is always this module's.

/** What a move changes of a stream the page shows (RoomClient's `Shown`). */
interface Followed {
  display: MediaStream;
  from: Map<string, unknown>;
  audio: boolean;
  video: boolean;
}

/**
 * A move: once `stream` (the new transport's) receives media, or after `ms`,
 * the page's stream `seen` plays its tracks and `mine` feeds it; mute flags
 * that differ from what the page was told are reported. Nothing happens if
 * `still()` says the stream was dropped or taken over meanwhile.
 */
export function follow<T extends Followed>(
  seen: T,
  mine: Map<string, T>,
  stream: MediaStream,
  info: StreamInfo,
  ms: number,
  still: () => boolean,
  moved: () => void,
  mute: (kind: 'audio' | 'video', muted: boolean) => void,
): void {
  void flowing(stream, ms).then(() => {
    if (!still()) return;
    seen.from = mine;
    // Tracks the new transport adds to its stream later are not followed (a stream keeps its tracks in both).
    carry(seen.display, stream);
    moved();
    for (const kind of ['audio', 'video'] as const) {
      const muted = !!info[`${kind}Muted`];
      if (muted !== seen[kind]) {
        seen[kind] = muted;
        mute(kind, muted);
      }
    }
  });
}

/** Resolves once every track of `stream` receives media (remote tracks start muted), or after `ms`. */
function flowing(stream: MediaStream, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const tracks = stream.getTracks();
    const done = () => {
      clearTimeout(timer);
      for (const t of tracks) t.removeEventListener('unmute', check);
      resolve();
    };
    const check = () => tracks.some((t) => t.muted) || done();
    const timer = setTimeout(done, ms);
    for (const t of tracks) t.addEventListener('unmute', check);
    check();
  });
}

/** Makes `to` play `from`'s tracks (the same MediaStream, so tiles and the page's reference keep playing). */
function carry(to: MediaStream, from: MediaStream): void {
  const tracks = from.getTracks();
  for (const t of to.getTracks()) if (!tracks.includes(t)) to.removeTrack(t);
  for (const t of tracks) to.addTrack(t);
}

/**
 * Carries a room's media through Janus: our published streams go out once,
 * on the publisher connection (we offer, Janus answers); every other member's
 * feeds come in on the subscriber connection (Janus offers, we answer).
 * Stream kinds and mute flags still travel as `signal { streams }`, as in the
 * mesh; `send()` goes through the server's `custom` relay.
 */
export class SfuTransport implements Transport {
  readonly name = 'sfu';
  private running = false;
  private pcs: Partial<Record<SfuTarget, RTCPeerConnection>> = {};
  /** Each connection's negotiations and Janus' candidates, one at a time, in order. */
  private readonly chains: Record<SfuTarget, Promise<unknown>> = { publisher: Promise.resolve(), subscriber: Promise.resolve() };
  /** Our candidates wait until the connection's SDP went to the server (it relays them to Janus in order). */
  private readonly held: Record<SfuTarget, (IceCandidateData | null)[] | null> = { publisher: [], subscriber: [] };
  private readonly members = new Set<string>();
  /** Our published streams' transceivers on the publisher connection. */
  private readonly sent = new Map<string, RTCRtpTransceiver[]>();
  /** The subscriber connection's m-lines: whose media each carries. */
  private mids = new Map<string, SfuStreamInfo>();
  /** By `userid streamid` (the publisher's stream id): what we show, and what the publisher said about it. */
  private readonly remotes = new Map<string, Remote>();
  private readonly infos = new Map<string, StreamInfo>();
  /** Each member's streams as it last listed them: others it sent before are gone, even while Janus still forwards them. */
  private readonly listed = new Map<string, string[]>();
  private timer?: ReturnType<typeof setTimeout>;
  /** Bumped by a rebuild: queued work of the connections before it is dropped. */
  private gen = 0;
  /** During a rebuild: ends it (the old subscriber connection closes, remote streams whose feed did not come back end). */
  private restoring: (() => void) | undefined;

  constructor(
    private readonly context: TransportContext,
    private readonly hooks: TransportHooks,
    private readonly socket: RoomSocket,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.listen('on');
    this.syncStreams();
    this.subscribe();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.listen('off');
    for (const key of [...this.remotes.keys()]) this.end(key);
    for (const pc of Object.values(this.pcs)) pc.close();
    this.pcs = {};
    this.restoring?.();
    this.sent.clear();
    this.members.clear();
    this.infos.clear();
    this.listed.clear();
  }

  private listen(how: 'on' | 'off'): void {
    const socket = this.socket as unknown as Record<typeof how, (event: string, listener: unknown) => void>;
    socket[how]('sfu:feeds', this.onFeeds);
    socket[how]('sfu:offer', this.onOffer);
    socket[how]('sfu:trickle', this.onTrickle);
    socket[how]('sfu:reset', this.rebuild);
  }

  /**
   * `sfu:reset`: the room's media server was replaced. Both connections are
   * made anew: our streams published again, everyone's feeds subscribed again
   * as they come back. A remote stream keeps its MediaStream (and its tile),
   * frozen on its old tracks until its feed brings new ones; one that does
   * not come back within 20 s ends.
   */
  private readonly rebuild = (): void => {
    if (!this.running) return;
    this.gen++;
    const { publisher, subscriber } = this.pcs;
    publisher?.close();
    this.restoring?.();
    const timer = setTimeout(() => this.restoring?.(), 20000);
    this.restoring = () => {
      clearTimeout(timer);
      this.restoring = undefined;
      subscriber?.close();
      this.show([...this.mids.values()]);
    };
    this.pcs = {};
    this.sent.clear();
    this.syncStreams();
    this.subscribe();
  };

  // ---------------------------------------------------------------------------
  // Peers: Janus connects us to everyone; members only matter for stream announcements.

  peerJoined(userid: string): void {
    if (!this.running) return;
    this.members.add(userid);
    this.announce([userid]);
  }

  peerLeft(userid: string): void {
    this.members.delete(userid);
    this.dropUser(userid);
  }

  heal(): void {}

  carriesMedia(): boolean {
    // The server releases a member's Janus side with its socket: no media outlives it.
    return false;
  }

  isAlive(): boolean {
    return false;
  }

  configure(): void {
    for (const pc of Object.values(this.pcs)) pc.setConfiguration(this.context.rtcConfig());
  }

  opensCall(): boolean {
    return false;
  }

  /** `signal { streams }`: a member's streams, their kinds and mute flags. */
  handleSignal(from: string, data: SignalData): boolean {
    if (!this.running || !data.streams) return false;
    this.listed.set(from, data.streams.map((i) => i.streamid));
    for (const [key, remote] of this.remotes) if (remote.userid === from && !this.isListed(key)) this.end(key);
    for (const info of data.streams) {
      const key = `${from} ${info.streamid}`;
      const previous = this.infos.get(key);
      this.infos.set(key, info);
      const remote = this.remotes.get(key);
      if (!remote) continue;
      for (const kind of ['audio', 'video'] as const) {
        const muted = !!info[`${kind}Muted`];
        if (muted !== !!previous?.[`${kind}Muted`]) this.hooks.remoteMute(from, remote.stream.id, kind, muted);
      }
    }
    return true;
  }

  // ---------------------------------------------------------------------------
  // Publishing: one sendonly transceiver per local track; any change renegotiates (negotiationneeded).

  addStream(stream: MediaStream): void {
    if (!this.running || this.sent.has(stream.id)) return;
    this.sent.set(stream.id, []);
    for (const track of stream.getTracks()) this.addTrack(stream, track);
  }

  private addTrack(stream: MediaStream, track: MediaStreamTrack): void {
    const pc = (this.pcs.publisher ??= this.open('publisher'));
    // A camera goes in three layers (full, half, quarter size; Janus reads the first rid as the highest, and
    // its rooms take VP8): each viewer gets the one its tile needs (fit). A screen stays whole: text needs every pixel.
    const sendEncodings =
      track.kind === 'video' && this.context.published().find((e) => e.stream.id === stream.id)?.info.kind !== 'screen'
        ? [...'hml'].map((rid, i) => ({ rid, scaleResolutionDownBy: 2 ** i }))
        : undefined;
    this.sent.get(stream.id)?.push(pc.addTransceiver(track, { direction: 'sendonly', streams: [stream], sendEncodings }));
  }

  removeStream(streamid: string): void {
    // Stopped, not just inactive: Janus then drops the feed's m-lines and renegotiates the subscribers.
    for (const t of this.sent.get(streamid) ?? []) t.stop();
    this.sent.delete(streamid);
  }

  replaceTrack(streamid: string, oldTrack: MediaStreamTrack | null, newTrack: MediaStreamTrack): void {
    const sent = this.sent.get(streamid)?.map((t) => t.sender);
    const sender = sent?.find((s) => s.track === oldTrack) ?? sent?.find((s) => s.track?.kind === newTrack.kind);
    if (sender) sender.replaceTrack(newTrack).catch((err: unknown) => this.hooks.warn('replaceTrack', err));
    else {
      const stream = this.context.published().find((e) => e.stream.id === streamid)?.stream;
      if (stream && sent) this.addTrack(stream, newTrack);
    }
  }

  announceStreams(): void {
    this.announce(this.members);
  }

  syncStreams(): void {
    const published = this.context.published();
    for (const { stream } of published) this.addStream(stream);
    for (const streamid of [...this.sent.keys()]) if (!published.some((e) => e.stream.id === streamid)) this.removeStream(streamid);
  }

  /** Our streams to `to` (once we publish; an empty list when we stopped). */
  private announce(to: Iterable<string>): void {
    const streams = this.context.published().filter((e) => this.sent.has(e.stream.id)).map((e) => e.info);
    if (this.pcs.publisher) for (const userid of to) this.hooks.signal(userid, { streams });
  }

  /** A remote stream its member still lists (or never listed any: an older client). */
  private isListed(key: string): boolean {
    const [userid, streamid] = key.split(' ') as [string, string];
    return !streamid || (this.listed.get(userid)?.includes(streamid) ?? true);
  }

  private publish(): void {
    this.queue('publisher', async (pc) => {
      if (!pc) return;
      await pc.setLocalDescription();
      // Said before the offer, so the others know a stream's kind before its feed reaches them.
      this.announceStreams();
      try {
        const { jsep } = await this.sdp('publisher', 'sfu:publish', pc.localDescription!);
        await pc.setRemoteDescription(jsep);
      } catch (err) {
        if (pc.signalingState === 'have-local-offer') await pc.setLocalDescription({ type: 'rollback' });
        // After the SFU was replaced, others no longer receive us: worth more than a console line.
        if (this.gen && err instanceof RoomError) this.hooks.error?.(err);
        throw err;
      }
    });
  }

  // ---------------------------------------------------------------------------
  // Subscribing: Janus offers every feed we ask for on one connection; we answer.

  private subscribe(feeds?: string[]): void {
    this.queue('subscriber', async () => {
      const ack = await request(this.socket, 'sfu:subscribe', feeds ? { feeds } : {}).catch((err: { code?: string }) => {
        // Nobody publishes (yet), or the feed went away meanwhile: sfu:feeds tells us when to ask again.
        if (err.code !== 'peer-not-found') throw err;
      });
      if (ack?.jsep) await this.answer(ack.jsep, ack.streams);
      else if (ack) this.show(ack.streams);
    });
  }

  private async answer(offer: SfuJsep, streams: SfuStreamInfo[]): Promise<void> {
    const pc = (this.pcs.subscriber ??= this.open('subscriber'));
    await pc.setRemoteDescription(offer);
    await pc.setLocalDescription();
    await this.sdp('subscriber', 'sfu:start', pc.localDescription!);
    this.show(streams);
  }

  /** Gathers the subscriber connection's live tracks per publisher stream: new streams appear, gone ones end. */
  private show(streams: SfuStreamInfo[]): void {
    this.mids = new Map(streams.map((s) => [s.mid, s]));
    const live = new Map<string, MediaStreamTrack[]>();
    for (const t of this.pcs.subscriber?.getTransceivers() ?? []) {
      const s = t.mid === null ? undefined : this.mids.get(t.mid);
      const key = `${s?.userid} ${s?.streamid ?? ''}`;
      if (!s || t.currentDirection === 'inactive' || !this.members.has(s.userid) || !this.isListed(key)) continue;
      live.set(key, [...(live.get(key) ?? []), t.receiver.track]);
    }
    for (const key of [...this.remotes.keys()]) if (!live.has(key) && !this.restoring) this.end(key);
    for (const [key, tracks] of live) {
      const remote = this.remotes.get(key);
      if (remote) {
        for (const track of remote.stream.getTracks()) if (!tracks.includes(track)) remote.stream.removeTrack(track);
        for (const track of tracks) if (!remote.stream.getTracks().includes(track)) remote.stream.addTrack(track);
        continue;
      }
      const userid = key.split(' ')[0]!;
      const stream = new MediaStream(tracks);
      const said = this.infos.get(key);
      const info: StreamInfo = { kind: stream.getVideoTracks().length ? 'camera' : 'audio', ...said, streamid: stream.id };
      this.remotes.set(key, { userid, stream, info });
      this.hooks.remoteStream(userid, stream, info, key.split(' ')[1] || undefined);
    }
  }

  private end(key: string): void {
    const remote = this.remotes.get(key);
    if (!remote) return;
    this.remotes.delete(key);
    this.hooks.remoteStreamEnded(remote.userid, remote.stream.id, remote.info.kind);
  }

  private dropUser(userid: string): void {
    for (const [key, remote] of this.remotes) if (remote.userid === userid) this.end(key);
    for (const key of [...this.infos.keys()]) if (key.startsWith(`${userid} `)) this.infos.delete(key);
    this.listed.delete(userid);
  }

  private readonly onFeeds = ({ added, removed }: SfuFeedsPayload): void => {
    for (const userid of removed) this.dropUser(userid);
    const feeds = added.filter((u) => u !== this.context.userid());
    if (feeds.length) this.subscribe(feeds);
  };

  private readonly onOffer = ({ jsep, streams }: { jsep: SfuJsep; streams: SfuStreamInfo[] }): void => {
    this.queue('subscriber', () => this.answer(jsep, streams));
  };

  private readonly onTrickle = ({ target, candidate }: { target: SfuTarget; candidate: IceCandidateData | null }): void => {
    // Behind the negotiation under way, so the remote description is there first.
    if (candidate) this.queue(target, async (pc) => pc?.addIceCandidate(candidate));
  };

  // ---------------------------------------------------------------------------
  // Connections

  private open(target: SfuTarget): RTCPeerConnection {
    const pc = new RTCPeerConnection(this.context.rtcConfig());
    this.held[target] = [];
    pc.onicecandidate = ({ candidate }) => {
      const c = candidate ? (candidate.toJSON() as IceCandidateData) : null;
      const held = this.held[target];
      if (held) held.push(c);
      else this.trickle(target, c);
    };
    pc.onconnectionstatechange = () => {
      // The element shows one state per member: everyone's media rides on the subscriber connection.
      if (target === 'subscriber' && this.pcs.subscriber === pc) for (const userid of this.members) this.hooks.peerState(userid, pc.connectionState);
    };
    if (target === 'publisher') pc.onnegotiationneeded = () => this.publish();
    return pc;
  }

  /** Sends a connection's SDP; its candidates follow it. */
  private sdp<E extends 'sfu:publish' | 'sfu:start'>(target: SfuTarget, event: E, { type, sdp }: RTCSessionDescription) {
    const sent = request(this.socket, event, { jsep: { type: type as SfuJsep['type'], sdp } });
    for (const c of this.held[target]?.splice(0) ?? []) this.trickle(target, c);
    this.held[target] = null;
    return sent;
  }

  private trickle(target: SfuTarget, candidate: IceCandidateData | null): void {
    if (this.running) request(this.socket, 'sfu:trickle', { target, candidate }).catch((err: unknown) => this.hooks.warn(`sfu:trickle (${target})`, err));
  }

  private queue(target: SfuTarget, work: (pc: RTCPeerConnection | undefined) => Promise<unknown>): void {
    const gen = this.gen;
    this.chains[target] = this.chains[target].then(async () => {
      if (this.running && gen === this.gen) await work(this.pcs[target]);
    }).catch((err: unknown) => {
      if (this.running && gen === this.gen) this.hooks.warn(`sfu ${target}`, err);
    });
  }

  // ---------------------------------------------------------------------------
  // Data and what the element shows

  send(data: DataPayload, userid?: string): void {
    if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
      this.hooks.warn('send(): no binary data in SFU rooms yet');
      return;
    }
    request(this.socket, 'custom', { event: SFU_DATA, data: data as never, ...(userid !== undefined ? { to: userid } : {}) }).catch((err: unknown) =>
      this.hooks.warn('send()', err),
    );
  }

  connection(userid: string): RTCPeerConnection | null {
    return this.members.has(userid) ? (this.pcs.subscriber ?? null) : null;
  }

  /** The smallest layer that fills the tile (a quarter of a 720p camera is 320 px wide); asked of the server once resizing pauses, only when it changed. */
  fit(stream: MediaStream | null, { width, height }: { width: number; height: number }): void {
    const size = Math.max(width, height * 1.8);
    for (const r of this.remotes.values()) if (r.stream === stream) r.want = size > 640 ? 'high' : size > 320 ? 'medium' : 'low';
    this.askLayers(300);
  }

  private askLayers(delay: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      for (const [key, r] of this.remotes) {
        if (r.want === r.layer) continue;
        r.layer = r.want;
        request(this.socket, 'sfu:layer', { userid: r.userid, streamid: key.split(' ')[1]!, layer: r.want! }).then(() => {
          // Janus can miss a layer asked for while the subscriber connection is starting: say the first one again.
          if (r.again) return;
          r.again = true;
          setTimeout(() => {
            if (this.remotes.get(key) !== r || r.layer !== r.want) return;
            r.layer = undefined;
            this.askLayers(0);
          }, 2000);
        }, (err: unknown) => {
          if (r.layer === r.want) r.layer = undefined;
          // Not received yet (the subscriber connection is still being set up, or renegotiating): ask again soon.
          if (err instanceof RoomError && err.code === 'peer-not-found' && this.remotes.get(key) === r) this.askLayers(1000);
          else this.hooks.warn('sfu:layer', err);
        });
      }
    }, delay);
  }

  remoteStreams(userid: string): MediaStream[] {
    return [...this.remotes.values()].filter((r) => r.userid === userid).map((r) => r.stream);
  }
}
