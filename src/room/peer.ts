/** One RTCPeerConnection to one remote user, for the mesh: perfect negotiation, its streams, and a data channel for `send()`. */
// Perfect negotiation as the W3C WebRTC spec's example writes it (section
// 10.7). No Lit, no socket: the mesh transport hands signals in and out.
import type { SignalData, StreamInfo } from '../protocol.js';
import type { MessageAssembler } from './data-messages.js';
import { messageBytes, type DataPayload, type MessageBytes } from './data-payload.js';

let framing: Promise<typeof import('./data-messages.js')> | undefined;
/** The data channel's framing: loaded on the first message a page sends or receives (in the CDN bundle, a chunk). */
const loadFraming = () => (framing ??= import('./data-messages.js'));
import type { LocalStreamEntry, PeerState } from './transport.js';

export type { LocalStreamEntry, PeerState } from './transport.js';

export interface PeerHooks {
  /** Send a signal to the remote user (the room adds session and generation). */
  signal(data: SignalData): void;
  /** A remote stream arrived (once per stream id). */
  remoteStream(stream: MediaStream, info: StreamInfo): void;
  /** A remote stream went away (its tracks were removed, or the sender dropped it). */
  remoteStreamEnded(streamid: string, info: StreamInfo | undefined): void;
  /** The remote user's description of its streams changed (mute flags). */
  remoteStreamInfo(info: StreamInfo, previous: StreamInfo | undefined): void;
  /** connectionState changed (also `restarting` while an ICE restart is under way). */
  state(state: PeerState): void;
  /** A data-channel message arrived. */
  message(data: unknown): void;
  /** The data channel closed without us closing it (the remote went away, or its connection was closed). */
  channelClosed(): void;
  /** This connection cannot recover by itself (ICE restarts exhausted, or closed under us): rebuild it. */
  failed(reason: string): void;
  /**
   * Something went wrong that the page may want to know (logged, never thrown). A description the browser
   * refused (`InvalidAccessError`, from whichever negotiation step) comes here too: the mesh rebuilds the pair on it.
   */
  error(err: unknown): void;
}

export interface PeerOptions {
  /** Our own userid and the remote's: politeness is derived from them, the same on both sides. */
  localUserid: string;
  remoteUserid: string;
  config: RTCConfiguration;
  /** Generation of this pair: a rebuilt connection has a higher one, so stale signals are recognised. */
  gen: number;
  /** The local streams to send, read whenever the peer activates. */
  localStreams(): LocalStreamEntry[];
  /** How long `disconnected` may last before an ICE restart (it often recovers by itself). */
  disconnectedGraceMs?: number;
  /** ICE restarts per failure episode before the pair is reported failed for a rebuild. */
  maxIceRestarts?: number;
  /**
   * The polite side waits this long before restarting ICE itself, so that
   * when both sides see the failure only one restart happens (the impolite
   * side's). It still restarts when the other side stays silent.
   */
  politeDelayMs?: number;
}

/** The polite peer yields in an offer collision; exactly one of the two is polite. */
export function isPolite(localUserid: string, remoteUserid: string): boolean {
  return localUserid < remoteUserid;
}

interface DescriptionWait {
  quiet?: ReturnType<typeof setTimeout>;
  done?(): void;
}

/**
 * Half trickle: a description goes out once no new local candidate came for
 * GATHER_QUIET_MS (at most GATHER_MAX_MS after it was set), so that it
 * carries the first candidates itself. The host ones come within a few ms of
 * each other, 1-25 ms after setLocalDescription() on an idle machine and later
 * under load; later ones (TCP host after about 100 ms, server-reflexive,
 * relay) trickle. On loopback that halves the candidate signals (8 to 4 per
 * side) and the remote's addIceCandidate() calls, each a blocking call into
 * the WebRTC thread (12-24 ms apiece in a 6-user join on 2 cores).
 */
const GATHER_QUIET_MS = 5;
const GATHER_MAX_MS = 150;
/** An offer set ahead of a join is sent only if set at most this long ago (ms); its host candidates may be stale after a network change. */
const AHEAD_MAX_MS = 120_000;

export class Peer {
  readonly pc: RTCPeerConnection;
  polite: boolean;
  /** '' for a connection made ahead of a join, until adopt() gives it its user. */
  remoteUserid: string;
  readonly gen: number;
  /** The remote's session id this pair belongs to (set by the room from the first signal). */
  remoteSession: string | undefined;
  closed = false;

  private makingOffer = false;
  private ignoreOffer = false;
  private isSettingRemoteAnswerPending = false;
  private activated = false;
  /** Set up but not negotiating: made ahead (prepare), or waiting for the joiner's offer (hold). */
  private held = false;
  /**
   * The offer prepare() set ahead, for the first negotiation: whether it was
   * set, the configuration it gathered with and when, and `stale` once the
   * tracks changed (see adopt()).
   */
  private ahead: { set: Promise<unknown>; config: string; at: number; stale?: boolean } | undefined;
  private channel: RTCDataChannel | null = null;
  private readonly outbox: MessageBytes[] = [];
  /** Received frames go through this chain, in order, once the framing is in. */
  private inbox: Promise<void> = Promise.resolve();
  private sending: Promise<void> = Promise.resolve();
  private messageId = 0;
  private assembler: MessageAssembler | undefined;
  /** Local stream id -> the senders carrying its tracks. */
  private readonly senders = new Map<string, RTCRtpSender[]>();
  /** Remote stream id -> stream, and what the remote said about it. */
  readonly remoteStreams = new Map<string, MediaStream>();
  private readonly remoteInfo = new Map<string, StreamInfo>();
  private announceQueued = false;
  private disconnectedTimer: ReturnType<typeof setTimeout> | undefined;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private restartsThisEpisode = 0;
  private lastRemoteOfferAt = 0;
  /** A local description waiting for its first candidates (see sendDescription()). */
  private waiting: DescriptionWait | undefined;
  /** A negotiation was asked for while an answer waited for its candidates. */
  private negotiateAfter = false;
  /** ICE restarts this side started (for tests and stats). */
  iceRestarts = 0;
  private readonly disconnectedGraceMs: number;
  private readonly maxIceRestarts: number;
  private readonly politeDelayMs: number;

  constructor(
    private readonly options: PeerOptions,
    private readonly hooks: PeerHooks,
  ) {
    this.remoteUserid = options.remoteUserid;
    this.gen = options.gen;
    this.polite = isPolite(options.localUserid, options.remoteUserid);
    this.disconnectedGraceMs = options.disconnectedGraceMs ?? 3000;
    this.maxIceRestarts = options.maxIceRestarts ?? 1;
    this.politeDelayMs = options.politeDelayMs ?? 1500;
    this.pc = new RTCPeerConnection(options.config);
    this.pc.onnegotiationneeded = () => void this.negotiate();
    this.pc.onicecandidate = ({ candidate }) => {
      const wait = this.waiting;
      if (wait) {
        // The description waiting goes out with this candidate in it (the browser adds each to it before this event).
        clearTimeout(wait.quiet);
        wait.quiet = setTimeout(wait.done!, candidate ? GATHER_QUIET_MS : 0);
      } else if (candidate?.candidate && this.remoteUserid) {
        // null marks the end of candidates; trickle needs nothing for it. An offer set ahead (no user yet) sends what it gathered in it.
        this.hooks.signal({ candidate: candidate.toJSON() as SignalData['candidate'] });
      }
    };
    this.pc.ontrack = (e) => this.onTrack(e);
    this.pc.onconnectionstatechange = () => this.onConnectionState();
  }

  /**
   * Sets up the data channel and attaches every local stream. The joiner
   * activates at once (its offer goes out right away); the member already in
   * the room activates while answering the joiner's first offer, so its
   * tracks ride on that answer instead of colliding with a second offer.
   */
  activate(offer = true): void {
    if (this.activated || this.closed) return;
    this.activated = true;
    // Negotiated with a fixed id on both sides: no in-band DCEP round trip, no glare.
    const channel = this.pc.createDataChannel('rtc-elements', { negotiated: true, id: 0, ordered: true });
    channel.binaryType = 'arraybuffer';
    channel.onopen = () => this.flush();
    channel.onmessage = (e: MessageEvent<ArrayBuffer | string>) => this.receive(e.data);
    channel.onclose = () => {
      if (!this.closed) this.hooks.channelClosed();
    };
    this.channel = channel;
    for (const { stream } of this.options.localStreams()) this.addStream(stream);
    // Offer now rather than when 'negotiationneeded' gets its turn behind the
    // page's own work (about 15 ms in the benchmark); the event that follows
    // finds the offer made and does nothing.
    if (offer) void this.negotiate();
  }

  /**
   * Sets up now but lets the other side offer first (the member already in
   * the room, waiting for the joiner's offer): the answer then only has to be
   * made. release() negotiates if no offer came.
   */
  hold(): void {
    this.held = true;
    this.activate(false);
  }

  release(): void {
    this.held = false;
    void this.negotiate();
  }

  /**
   * A connection made before anyone to call is known (the socket is up, the
   * join not yet answered): tracks, data channel and the offer are set, and
   * its candidates gathered, so that adopt() only has to send it (unless it no
   * longer fits the join: then a new connection is made instead).
   */
  prepare(): this {
    this.hold();
    const config = JSON.stringify(this.options.config);
    // Not with a TURN server: a page that never joins allocates no relay.
    if (!/turns?:/.test(config)) {
      this.ahead = {
        config,
        at: performance.now(),
        // (Refused: the first negotiation makes it the usual way.)
        set: this.pc.setLocalDescription().catch(() => {}),
      };
    }
    return this;
  }

  /**
   * Gives a connection made ahead its user, the configuration and the streams
   * now in force (both come with the join); the joiner's offers. Null (and
   * closed) if the offer set ahead no longer fits: made with other ICE servers
   * or policy than the join brought, for other streams, or long ago (the
   * network may have changed). Chromium cannot take such an offer back and
   * make another (the rollback drops the data channel from the next one).
   */
  adopt(localUserid: string, remoteUserid: string, config: RTCConfiguration, offer: boolean): this | null {
    this.remoteUserid = remoteUserid;
    this.polite = isPolite(localUserid, remoteUserid);
    this.pc.setConfiguration(config);
    // What the join allows (a token without `publish`: nothing) and what was added since.
    this.syncStreams();
    const ahead = this.ahead;
    if (ahead && (ahead.stale || ahead.config !== JSON.stringify(config) || performance.now() - ahead.at > AHEAD_MAX_MS)) {
      this.close();
      return null;
    }
    if (offer) this.release();
    return this;
  }

  addStream(stream: MediaStream): void {
    if (this.closed || !this.activated || this.senders.has(stream.id)) return;
    const senders = stream.getTracks().map((track) => this.pc.addTrack(track, stream));
    this.senders.set(stream.id, senders);
    if (this.ahead) this.ahead.stale = true;
  }

  removeStream(streamid: string): void {
    const senders = this.senders.get(streamid);
    if (!senders || this.closed) return;
    this.senders.delete(streamid);
    if (this.ahead) this.ahead.stale = true;
    for (const sender of senders) {
      try {
        this.pc.removeTrack(sender);
      } catch (err) {
        this.hooks.error(err);
      }
    }
  }

  /** Attaches the local streams that are missing and detaches the ones no longer offered. */
  syncStreams(): void {
    if (this.closed || !this.activated) return;
    const wanted = new Set<string>();
    for (const { stream } of this.options.localStreams()) {
      wanted.add(stream.id);
      this.addStream(stream);
    }
    for (const streamid of [...this.senders.keys()]) if (!wanted.has(streamid)) this.removeStream(streamid);
  }

  /** Swaps a track in place (another device): no renegotiation. */
  async replaceTrack(streamid: string, oldTrack: MediaStreamTrack | null, newTrack: MediaStreamTrack): Promise<void> {
    const senders = this.senders.get(streamid);
    if (!senders || this.closed) return;
    const sender =
      senders.find((s) => oldTrack && s.track === oldTrack) ?? senders.find((s) => (s.track?.kind ?? newTrack.kind) === newTrack.kind);
    if (sender) {
      await sender.replaceTrack(newTrack);
    } else {
      // The stream had no track of this kind before: a new sender, which renegotiates.
      const stream = this.options.localStreams().find((e) => e.stream.id === streamid)?.stream;
      if (stream) senders.push(this.pc.addTrack(newTrack, stream));
    }
  }

  /** Tells the remote about our streams (after a mute change). */
  announceStreams(): void {
    // Held: the answer (or release()'s offer) carries them.
    if (this.closed || !this.activated || this.held) return;
    this.hooks.signal({ streams: this.localInfo() });
  }

  private localInfo(): StreamInfo[] {
    return this.options.localStreams()
      .filter((e) => this.senders.has(e.stream.id))
      .map((e) => e.info);
  }

  private async negotiate(): Promise<void> {
    // Also the queued 'negotiationneeded' after activate(): nothing to do unless stable.
    if (this.waiting && !this.makingOffer) this.negotiateAfter = true;
    if (this.closed || this.held || this.makingOffer || this.waiting) return;
    const ahead = this.ahead;
    if (!ahead && this.pc.signalingState !== 'stable') return;
    this.ahead = undefined;
    try {
      this.makingOffer = true;
      if (ahead) await ahead.set;
      if (this.pc.signalingState === 'stable') await this.pc.setLocalDescription();
      // Not if rolled back meanwhile (the polite side took the other's offer, whose answer is under way).
      if (this.pc.signalingState === 'have-local-offer') await this.sendDescription('have-local-offer');
    } catch (err) {
      if (!this.closed) this.hooks.error(err);
    } finally {
      this.makingOffer = false;
    }
  }

  /**
   * Sends the local description once its first candidates are in it (see
   * GATHER_QUIET_MS); nothing if the signaling state is no longer `state`
   * (the description was replaced meanwhile).
   */
  private async sendDescription(state: RTCSignalingState): Promise<void> {
    // A newer description (the polite side answering an offer that crossed ours) ends the wait of the one it replaces.
    this.waiting?.done?.();
    const wait: DescriptionWait = (this.waiting = {});
    if (this.pc.iceGatheringState !== 'complete' && !this.closed) {
      await new Promise<void>((resolve) => {
        const max = setTimeout((wait.done = () => {
          clearTimeout(max);
          clearTimeout(wait.quiet);
          resolve();
        }), GATHER_MAX_MS);
        // Set ahead, with candidates in it already: only the quiet wait is left.
        if (this.pc.localDescription?.sdp.includes('a=candidate')) wait.quiet = setTimeout(wait.done, GATHER_QUIET_MS);
      });
    }
    if (this.waiting !== wait) return;
    this.waiting = undefined;
    const description = this.pc.localDescription;
    if (!this.closed && description && this.pc.signalingState === state) {
      this.hooks.signal({ description: { type: description.type, sdp: description.sdp }, streams: this.localInfo() });
    }
  }

  /** Applies a signal from the remote user. */
  async handle(data: SignalData): Promise<void> {
    if (this.closed) return;
    const { description, candidate, streams } = data;
    if (this.pc.signalingState === 'closed') {
      // Someone closed our RTCPeerConnection behind our back: nothing to apply it to.
      this.hooks.failed('connection closed');
      return;
    }
    try {
      if (description) {
        if (description.type === 'offer') this.lastRemoteOfferAt = performance.now();
        const readyForOffer = !this.makingOffer && (this.pc.signalingState === 'stable' || this.isSettingRemoteAnswerPending);
        const offerCollision = description.type === 'offer' && !readyForOffer;
        this.ignoreOffer = !this.polite && offerCollision;
        if (this.ignoreOffer) return;
        if (streams) this.setRemoteInfo(streams);
        this.isSettingRemoteAnswerPending = description.type === 'answer';
        await this.pc.setRemoteDescription(description);
        this.isSettingRemoteAnswerPending = false;
        if (description.type === 'offer') {
          // The member answering the joiner attaches its tracks now (unless held: done already), so they ride on this answer.
          this.held = false;
          this.activate(false);
          await this.pc.setLocalDescription();
          await this.sendDescription('stable');
          if (this.negotiateAfter) {
            this.negotiateAfter = false;
            void this.negotiate();
          }
        }
        if (streams) this.reconcileRemoteStreams(streams);
      } else if (candidate) {
        try {
          await this.pc.addIceCandidate(candidate);
        } catch (err) {
          if (!this.ignoreOffer && !this.closed) throw err;
        }
      } else if (streams) {
        this.setRemoteInfo(streams);
        this.reconcileRemoteStreams(streams);
      }
    } catch (err) {
      if (!this.closed) this.hooks.error(err);
    }
  }

  private setRemoteInfo(infos: StreamInfo[]): void {
    for (const info of infos) {
      const previous = this.remoteInfo.get(info.streamid);
      this.remoteInfo.set(info.streamid, info);
      if (previous && this.remoteStreams.has(info.streamid) &&
          (!!previous.audioMuted !== !!info.audioMuted || !!previous.videoMuted !== !!info.videoMuted)) {
        this.hooks.remoteStreamInfo(info, previous);
      }
    }
  }

  /** Ends remote streams the remote no longer lists. */
  private reconcileRemoteStreams(infos: StreamInfo[]): void {
    const listed = new Set(infos.map((i) => i.streamid));
    for (const streamid of [...this.remoteStreams.keys()]) {
      if (!listed.has(streamid)) this.endRemoteStream(streamid);
    }
    for (const streamid of [...this.remoteInfo.keys()]) if (!listed.has(streamid)) this.remoteInfo.delete(streamid);
  }

  private endRemoteStream(streamid: string): void {
    const stream = this.remoteStreams.get(streamid);
    if (!stream) return;
    this.remoteStreams.delete(streamid);
    stream.onremovetrack = null;
    this.hooks.remoteStreamEnded(streamid, this.remoteInfo.get(streamid));
  }

  private onTrack(e: RTCTrackEvent): void {
    const stream = e.streams[0] ?? new MediaStream([e.track]);
    if (this.remoteStreams.has(stream.id)) return;
    this.remoteStreams.set(stream.id, stream);
    stream.onremovetrack = () => {
      if (stream.getTracks().length === 0) this.endRemoteStream(stream.id);
    };
    // Every track of one description is in its stream before the first track
    // event runs, but announce after them all so listeners see the whole stream.
    if (!this.announceQueued) {
      this.announceQueued = true;
      queueMicrotask(() => {
        this.announceQueued = false;
        this.announcePending();
      });
    }
  }

  private readonly announced = new WeakSet<MediaStream>();

  private announcePending(): void {
    for (const [streamid, stream] of this.remoteStreams) {
      if (this.announced.has(stream)) continue;
      this.announced.add(stream);
      const info = this.remoteInfo.get(streamid) ?? {
        streamid,
        kind: stream.getVideoTracks().length ? 'camera' : 'audio',
      };
      this.hooks.remoteStream(stream, info);
    }
  }

  private onConnectionState(): void {
    if (this.closed) return;
    const state = this.pc.connectionState;
    this.hooks.state(state);
    clearTimeout(this.disconnectedTimer);
    if (state === 'connected') {
      this.restartsThisEpisode = 0;
      clearTimeout(this.restartTimer);
    } else if (state === 'disconnected') {
      // Often a blip that recovers on its own: restart only if it lasts.
      this.disconnectedTimer = setTimeout(() => {
        const now = this.pc.connectionState;
        if (now === 'disconnected' || now === 'failed') this.recover();
      }, this.disconnectedGraceMs);
    } else if (state === 'failed') {
      this.recover();
    } else if (state === 'closed') {
      this.hooks.failed('connection closed');
    }
  }

  /** One ICE restart per failure episode; when the budget is spent, the room rebuilds the pair. */
  private recover(): void {
    if (this.closed) return;
    if (this.restartsThisEpisode >= this.maxIceRestarts) {
      this.hooks.failed('ICE restart did not help');
      return;
    }
    this.restartIce();
  }

  /**
   * Restarts ICE. The impolite side does it at once; the polite side waits
   * `politeDelayMs` and skips it if the other side's restart offer came in
   * meanwhile, so a failure seen by both sides costs one restart, not two.
   */
  restartIce(): void {
    if (this.closed || this.restartTimer !== undefined) return;
    const scheduledAt = performance.now();
    const run = () => {
      this.restartTimer = undefined;
      if (this.closed || this.pc.connectionState === 'connected') return;
      if (this.lastRemoteOfferAt > scheduledAt) return; // the other side is restarting it
      if (this.restartsThisEpisode >= this.maxIceRestarts) return;
      this.restartsThisEpisode += 1;
      this.iceRestarts += 1;
      this.hooks.state('restarting');
      if (this.pc.signalingState !== 'stable') {
        // An offer lost in a signaling outage would leave us stuck: roll it back first.
        this.pc.setLocalDescription({ type: 'rollback' }).then(
          () => this.pc.restartIce(),
          (err: unknown) => this.hooks.error(err),
        );
        return;
      }
      this.pc.restartIce();
    };
    if (this.polite) this.restartTimer = setTimeout(run, this.politeDelayMs);
    else run();
  }

  /** Sends over the data channel, in order; waits while the channel is full. Throws for a value it cannot send. */
  send(data: DataPayload): void {
    this.outbox.push(messageBytes(data));
    this.flush();
  }

  private receive(frame: ArrayBuffer | string): void {
    this.inbox = this.inbox.then(async () => {
      const m = await loadFraming();
      if (this.closed) return;
      this.assembler ??= new m.MessageAssembler(
        (data) => this.hooks.message(data),
        (reason) => this.hooks.error(new Error(`data channel: dropped a malformed message (${reason})`)),
      );
      this.assembler.push(frame);
    }).catch((err: unknown) => this.hooks.error(err));
  }

  get channelOpen(): boolean {
    return this.channel?.readyState === 'open';
  }

  private flush(): void {
    this.sending = this.sending.then(async () => {
      const channel = this.channel;
      if (channel && this.outbox.length) await (await loadFraming()).pump(channel, this.outbox, () => this.messageId++, () => this.closed);
    }).catch((err: unknown) => this.hooks.error(err));
  }

  /** Closes the connection and forgets everything; remote streams end. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.waiting?.done?.();
    clearTimeout(this.disconnectedTimer);
    clearTimeout(this.restartTimer);
    for (const streamid of [...this.remoteStreams.keys()]) this.endRemoteStream(streamid);
    this.outbox.length = 0;
    this.assembler?.clear();
    if (this.channel) {
      this.channel.onopen = this.channel.onmessage = this.channel.onclose = null;
      this.channel.close();
    }
    const pc = this.pc;
    pc.onnegotiationneeded = pc.onicecandidate = pc.ontrack = pc.onconnectionstatechange = null;
    pc.close();
    this.senders.clear();
  }
}
