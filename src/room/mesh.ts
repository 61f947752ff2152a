/** The mesh transport: one Peer (RTCPeerConnection + data channel) per remote user, with offer fallback, generations and rebuilds. */
import type { SignalData } from '../protocol.js';
import type { DataPayload } from './data-messages.js';
import { Peer } from './peer.js';
import type { PeerState, Transport, TransportContext, TransportHooks } from './transport.js';

export interface MeshOptions {
  /** How long the member already in the room waits for the joiner's offer before offering itself (ms). */
  offerFallbackMs?: number | undefined;
}

interface Link {
  peer: Peer;
  fallbackTimer?: ReturnType<typeof setTimeout>;
  rebuildTimer?: ReturnType<typeof setTimeout>;
}

export class MeshTransport implements Transport {
  readonly name = 'mesh';
  private readonly links = new Map<string, Link>();
  private running = false;
  /**
   * A connection made ahead of a join (see warm()): the join's first offer
   * only has to be set and sent, and a page's first RTCPeerConnection (its
   * slowest) is paid before anyone waits for it.
   */
  private spare: Peer | null = null;
  /** What the spare is for: the join's first offer (true), the next joiner's offer to answer ('member'), nothing (false). */
  private warmed: boolean | 'member' = false;
  private readonly offerFallbackMs: number;

  constructor(
    private readonly context: TransportContext,
    private readonly hooks: TransportHooks,
    options: MeshOptions = {},
  ) {
    this.offerFallbackMs = options.offerFallbackMs ?? 3000;
  }

  /** Every connection, the spare too (it is set up like the others). */
  private all(): (Peer | null)[] {
    return [this.spare, ...[...this.links.values()].map((l) => l.peer)];
  }

  /** The Peer to one user (for tests and stats). */
  peer(userid: string): Peer | undefined {
    return this.links.get(userid)?.peer;
  }

  start(): void {
    this.running = true;
  }

  stop(): void {
    this.warm(false);
    this.running = false;
    for (const userid of [...this.links.keys()]) this.peerLeft(userid);
  }

  // ---------------------------------------------------------------------------
  // Peers

  /**
   * While on (the socket is up, a join is coming or under way): keeps a
   * connection with the local streams and its offer set ahead, which the
   * first peer this side offers to adopts. `member` (in the room, alone):
   * keeps one set up for the next joiner's offer. Off: closes it.
   */
  warm(on: boolean | 'member' = this.warmed): void {
    if (on !== this.warmed) {
      this.spare?.close();
      this.spare = null;
    }
    this.warmed = on;
    // A member's a while later, out of the way of the call the joiner just started.
    if (on === 'member') setTimeout(() => this.ready(), 250);
    else this.ready();
  }

  private ready(): void {
    const on = this.warmed;
    // A member keeps one only while alone in the room (waiting for someone): in a busy room, making it would slow the calls under way.
    if (on && this.running && !this.spare && this.context.published().length && (on === true || !this.links.size)) {
      try {
        const peer = this.createPeer('', 0, undefined);
        if (on === 'member') peer.hold();
        else peer.prepare();
        this.spare = peer;
      } catch {
        // A configuration RTCPeerConnection refuses: the join's own connection reports it.
      }
    }
  }

  peerJoined(userid: string, initiate: boolean): void {
    if (!this.running || this.links.has(userid)) return;
    this.link(userid, 0, undefined, initiate);
  }

  peerLeft(userid: string): void {
    const link = this.links.get(userid);
    if (!link) return;
    this.links.delete(userid);
    clearTimeout(link.fallbackTimer);
    clearTimeout(link.rebuildTimer);
    link.peer.close();
    // Alone again: ready for the next joiner.
    this.warm();
  }

  heal(userid: string): void {
    const peer = this.links.get(userid)?.peer;
    if (!peer) return;
    if (peer.closed) {
      this.rebuild(userid, peer.gen + 1, undefined, !peer.polite);
      return;
    }
    const state = peer.pc.connectionState;
    const healthy = state === 'connected' || state === 'connecting' || state === 'new';
    if (!healthy || peer.pc.signalingState !== 'stable') peer.restartIce();
  }

  carriesMedia(userid: string): boolean {
    const peer = this.links.get(userid)?.peer;
    return !!peer && peer.pc.connectionState === 'connected' && peer.channelOpen;
  }

  isAlive(userid: string): boolean {
    const peer = this.links.get(userid)?.peer;
    if (!peer || peer.closed) return false;
    const state = peer.pc.connectionState;
    return state === 'connected' || state === 'connecting' || state === 'new' || state === 'disconnected';
  }

  configure(): void {
    const config = this.context.rtcConfig();
    for (const [userid, { peer }] of this.links) {
      if (peer.closed) continue;
      try {
        peer.pc.setConfiguration(config);
      } catch (err) {
        this.hooks.warn(`setConfiguration for ${userid}`, err);
      }
    }
  }

  // ---------------------------------------------------------------------------
  // Signals

  opensCall(data: SignalData): boolean {
    return data.description?.type === 'offer';
  }

  handleSignal(from: string, data: SignalData): boolean {
    if (!this.running) return false;
    const gen = data.gen ?? 0;
    const isOffer = this.opensCall(data);
    const link = this.links.get(from);
    let peer = link?.peer;
    if (!peer) {
      // An offer from someone we have not heard join yet (message order across a reconnect).
      if (!isOffer) return false;
      peer = this.link(from, gen, data.session, false).peer;
    } else if (data.session && peer.remoteSession && data.session !== peer.remoteSession) {
      // The remote is a new instance (it reloaded): only its offer starts the new call.
      if (!isOffer) return false;
      peer = this.rebuild(from, gen, data.session, false);
    } else if (gen < peer.gen) {
      return false; // from a connection since replaced: stale
    } else if (gen > peer.gen) {
      if (!isOffer) return false;
      peer = this.rebuild(from, gen, data.session ?? peer.remoteSession, false);
    }
    clearTimeout(this.links.get(from)?.fallbackTimer);
    peer.remoteSession ??= data.session;
    void peer.handle(data);
    return true;
  }

  // ---------------------------------------------------------------------------
  // Local streams and data

  addStream(stream: MediaStream): void {
    for (const peer of this.all()) peer?.addStream(stream);
    // A capture that started after the socket connected: prepare now.
    this.warm();
  }

  removeStream(streamid: string): void {
    for (const peer of this.all()) peer?.removeStream(streamid);
  }

  replaceTrack(streamid: string, oldTrack: MediaStreamTrack | null, newTrack: MediaStreamTrack): void {
    for (const peer of this.all()) {
      peer?.replaceTrack(streamid, oldTrack, newTrack).catch((err: unknown) => this.hooks.warn(`replaceTrack for ${peer.remoteUserid}`, err));
    }
  }

  announceStreams(): void {
    for (const { peer } of this.links.values()) peer.announceStreams();
  }

  syncStreams(): void {
    for (const { peer } of this.links.values()) peer.syncStreams();
  }

  send(data: DataPayload, userid?: string): void {
    if (userid !== undefined) this.links.get(userid)?.peer.send(data);
    else for (const { peer } of this.links.values()) peer.send(data);
  }

  connection(userid: string): RTCPeerConnection | null {
    return this.links.get(userid)?.peer.pc ?? null;
  }

  remoteStreams(userid: string): MediaStream[] {
    return [...(this.links.get(userid)?.peer.remoteStreams.values() ?? [])];
  }

  // ---------------------------------------------------------------------------
  // Connections

  /** A new link to `userid`; the joiner offers at once, the member already there waits for its offer. */
  private link(userid: string, gen: number, remoteSession: string | undefined, activate: boolean): Link {
    // The first call of a join (generation 0) takes the connection made ahead, which offers as it is adopted
    // (unless its offer no longer fits: see Peer.adopt); a joiner's call to a member alone takes the one kept ready for it.
    const spare = !gen && this.warmed === (activate || 'member') ? this.spare : null;
    if (spare) this.spare = null;
    const adopted = spare?.adopt(this.context.userid(), userid, this.context.rtcConfig(), activate);
    const link: Link = { peer: adopted ?? this.createPeer(userid, gen, remoteSession) };
    this.links.set(userid, link);
    if (!adopted || !activate) this.begin(link, activate);
    return link;
  }

  private begin(link: Link, activate: boolean): void {
    const peer = link.peer;
    if (activate) {
      peer.activate();
      return;
    }
    // The member already in the room lets the joiner offer first, set up
    // meanwhile so that only the answer remains to be made; if no offer comes
    // (a joiner without our protocol version, a lost message), it offers.
    peer.hold();
    clearTimeout(link.fallbackTimer);
    link.fallbackTimer = setTimeout(() => {
      if (link.peer === peer) peer.release();
    }, this.offerFallbackMs);
  }

  private rebuild(userid: string, gen: number, session: string | undefined, activate: boolean): Peer {
    const link = this.links.get(userid)!;
    clearTimeout(link.fallbackTimer);
    clearTimeout(link.rebuildTimer);
    link.rebuildTimer = undefined;
    link.peer.close();
    link.peer = this.createPeer(userid, gen, session);
    this.begin(link, activate);
    return link.peer;
  }

  /**
   * Replaces a connection that cannot recover with a new one (generation + 1;
   * the remote follows when it sees the higher generation). The polite side
   * waits a little longer, so that usually the impolite side's rebuild wins
   * and only one new connection is made.
   */
  private scheduleRebuild(userid: string, peer: Peer, reason: string, delayMs: number): void {
    const link = this.links.get(userid);
    if (link?.peer !== peer || link.rebuildTimer) return;
    link.rebuildTimer = setTimeout(
      () => {
        link.rebuildTimer = undefined;
        if (this.links.get(userid) !== link || link.peer !== peer) return;
        this.hooks.warn(`rebuilding the connection to ${userid}: ${reason}`);
        this.rebuild(userid, peer.gen + 1, peer.remoteSession, true);
        this.hooks.peerState(userid, 'rebuilding');
      },
      delayMs + (peer.polite ? 1500 : 0),
    );
  }

  private current(peer: Peer): boolean {
    return this.links.get(peer.remoteUserid)?.peer === peer;
  }

  private createPeer(userid: string, gen: number, remoteSession: string | undefined): Peer {
    const peer: Peer = new Peer(
      {
        localUserid: this.context.userid(),
        remoteUserid: userid,
        config: this.context.rtcConfig(),
        localStreams: () => this.context.published(),
        gen,
      },
      {
        signal: (data) => {
          if (!peer.closed) this.hooks.signal(peer.remoteUserid, { ...data, session: this.context.session, gen: peer.gen });
        },
        remoteStream: (stream, info) => {
          if (this.current(peer)) this.hooks.remoteStream(peer.remoteUserid, stream, info);
        },
        remoteStreamEnded: (streamid, info) => this.hooks.remoteStreamEnded(peer.remoteUserid, streamid, info?.kind ?? 'camera'),
        remoteStreamInfo: (info, previous) => {
          if (!!previous?.audioMuted !== !!info.audioMuted) this.hooks.remoteMute(peer.remoteUserid, info.streamid, 'audio', !!info.audioMuted);
          if (!!previous?.videoMuted !== !!info.videoMuted) this.hooks.remoteMute(peer.remoteUserid, info.streamid, 'video', !!info.videoMuted);
        },
        state: (state: PeerState) => {
          if (this.current(peer)) this.hooks.peerState(peer.remoteUserid, state);
        },
        message: (data) => this.hooks.message(peer.remoteUserid, data),
        error: (err) => {
          this.hooks.warn(`peer ${peer.remoteUserid}`, err);
          // The browser refused a description's content (the remote's, or our own offer, whichever step it was): this pair cannot
          // negotiate again (each side waits for the other), a new one can. Chromium refuses an offer that crossed ours, after
          // rolling ours back, when the two gave one RTP header extension id different meanings.
          if ((err as Error | undefined)?.name === 'InvalidAccessError') this.scheduleRebuild(peer.remoteUserid, peer, 'description refused', 0);
        },
        channelClosed: () => {
          if (!this.current(peer)) return;
          // Unless the session drops the user (its socket is away too: the tab
          // closed), the connection died under it: rebuild, unless a leave arrives first.
          if (!this.hooks.lost(peer.remoteUserid)) this.scheduleRebuild(peer.remoteUserid, peer, 'data channel closed', 1000);
        },
        failed: (reason) => this.scheduleRebuild(peer.remoteUserid, peer, reason, 0),
      },
    );
    peer.remoteSession = remoteSession;
    return peer;
  }
}
