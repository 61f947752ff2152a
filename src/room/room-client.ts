/**
 * A room: the signaling socket, one Peer per remote user (full mesh), the
 * local streams shared with all of them, and the rejoin logic that keeps
 * calls alive when only signaling blinked. No Lit: <rtc-room> adapts this
 * to attributes and DOM events.
 */
import type {
  Extra,
  IceServerConfig,
  PeerLeaveReason,
  Permission,
  RoomJoinedPayload,
  RoomPresencePayload,
  SignalData,
  SignalMessage,
  StreamInfo,
  StreamKind,
} from '../protocol.js';
import type { DataPayload } from './data-messages.js';
import { Peer, type LocalStreamEntry, type PeerState } from './peer.js';
import { createSocket, DEFAULT_RECONNECT, request, RoomError, type ReconnectPolicy, type RoomSocket } from './signaling.js';
import { expiryWarningDelay, tokenExpiry } from './token.js';

export type RoomState = 'idle' | 'connecting' | 'joined' | 'reconnecting' | 'left' | 'error';
export type JoinMode = 'open' | 'join' | 'open-or-join';

export interface RoomHooks {
  state(state: RoomState, previous: RoomState): void;
  joined(payload: RoomJoinedPayload): void;
  left(): void;
  error(err: RoomError): void;
  peerJoin(userid: string, extra: Extra): void;
  peerLeave(userid: string, reason: PeerLeaveReason | 'connection-lost'): void;
  peerUpdate(userid: string, extra: Extra): void;
  peerState(userid: string, state: PeerState): void;
  remoteStream(userid: string, stream: MediaStream, info: StreamInfo, extra: Extra): void;
  remoteStreamEnded(userid: string, streamid: string, kind: StreamKind): void;
  remoteMute(userid: string, streamid: string, kind: 'audio' | 'video', muted: boolean): void;
  message(userid: string, data: unknown, via: 'data' | 'socket', event?: string): void;
  /** The room token runs out at `expiresAt` (ms since the epoch): time to set a fresh one. */
  tokenExpiring(expiresAt: number): void;
  /** The server refused the room token because it expired; setting a fresh one retries. */
  tokenExpired(message: string): void;
  /** Problems worth a console line (malformed peer data, failed negotiation): never thrown. */
  warn(message: string, err?: unknown): void;
}

export interface RoomClientOptions {
  /** Signaling server URL; default: the page's origin. */
  socketUrl?: string;
  userid: string;
  extra: Extra;
  token?: string;
  reconnect?: ReconnectPolicy;
  /** How long a peer whose socket dropped keeps its call before it is dropped (ms). */
  peerGraceMs?: number;
  /** How long the member already in the room waits for the joiner's offer before offering itself (ms). */
  offerFallbackMs?: number;
}

export interface JoinOptions {
  password?: string;
  maxParticipants?: number;
}

interface PeerRecord {
  userid: string;
  extra: Extra;
  /** What the user's room token grants; undefined: everything (no room tokens, or not known yet). */
  permissions?: Permission[] | undefined;
  peer: Peer;
  /** Set while the user's socket is gone but its call may come back. */
  awayTimer?: ReturnType<typeof setTimeout>;
  fallbackTimer?: ReturnType<typeof setTimeout>;
  rebuildTimer?: ReturnType<typeof setTimeout>;
}

interface JoinIntent extends JoinOptions {
  mode: JoinMode;
  roomid: string;
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_');
}

export class RoomClient {
  socket: RoomSocket | null = null;
  state: RoomState = 'idle';
  roomid: string | null = null;
  userid: string;
  extra: Extra;
  isInitiator = false;
  /** Overrides the ICE servers the signaling server hands out. */
  iceServers: RTCIceServer[] | null = null;
  iceTransportPolicy: RTCIceTransportPolicy = 'all';
  /** What this user's room token grants, from the last join; null: everything. */
  permissions: Permission[] | null = null;
  readonly peers = new Map<string, PeerRecord>();
  readonly localStreams = new Map<string, LocalStreamEntry>();

  /** Identifies this client instance to peers: a reload is a new session. */
  private readonly session = randomId();
  private serverIceServers: IceServerConfig[] = [];
  /** The server forces TURN-only (join ack `iceTransportPolicy: 'relay'`): wins over `iceTransportPolicy`. */
  private serverForcesRelay = false;
  private intent: JoinIntent | null = null;
  private joining: Promise<RoomJoinedPayload> | null = null;
  private lastAck: RoomJoinedPayload | null = null;
  private destroyed = false;
  private reportedUnreachable = false;
  /** The handshake refused our credentials: reconnecting waits for a new token. */
  private refused = false;
  /** The token the current connection's handshake carried. */
  private socketToken: string | undefined;
  private tokenTimer: ReturnType<typeof setTimeout> | undefined;
  private rejoinTimer: ReturnType<typeof setTimeout> | undefined;
  /** Rejoin attempts answered with a server error in a row. */
  private rejoinRetries = 0;
  /** Told the page once per join that its media is not shared. */
  private publishRefusalReported = false;
  /** Peers whose data-channel messages were dropped (warned once each). */
  private readonly dataDropWarned = new Set<string>();
  private readonly peerGraceMs: number;
  private readonly offerFallbackMs: number;

  constructor(
    private readonly options: RoomClientOptions,
    private readonly hooks: RoomHooks,
  ) {
    this.userid = options.userid;
    this.extra = options.extra;
    this.peerGraceMs = options.peerGraceMs ?? 8000;
    this.offerFallbackMs = options.offerFallbackMs ?? 3000;
  }

  private setState(state: RoomState): void {
    if (state === this.state) return;
    const previous = this.state;
    this.state = state;
    this.hooks.state(state, previous);
  }

  // ---------------------------------------------------------------------------
  // Socket

  /** Creates the socket (once) and wires the server's events. */
  connect(): RoomSocket {
    if (this.socket) return this.socket;
    const socket = createSocket(
      this.options.socketUrl,
      { userid: this.userid, extra: this.extra, ...(this.options.token ? { token: this.options.token } : {}) },
      this.options.reconnect ?? DEFAULT_RECONNECT,
    );
    this.socket = socket;
    this.watchTokenExpiry();
    socket.on('connect', this.onConnect);
    socket.on('disconnect', this.onDisconnect);
    socket.on('connect_error', this.onConnectError);
    socket.io.on('reconnect_failed', () => {
      const { attempts } = this.options.reconnect ?? DEFAULT_RECONNECT;
      this.closeAllPeers('connection-lost');
      this.roomid = null;
      this.intent = null;
      this.fail(new RoomError('server-unreachable', `Gave up reconnecting to the signaling server after ${attempts} attempts.`));
    });
    socket.on('peer:join', ({ userid, extra, permissions }) => this.onPeerJoin(userid, extra, permissions));
    socket.on('peer:leave', ({ userid, reason }) => this.onPeerLeave(userid, reason));
    socket.on('peer:update', ({ userid, extra }) => {
      const rec = this.peers.get(userid);
      if (!rec) return;
      rec.extra = extra;
      this.hooks.peerUpdate(userid, extra);
    });
    socket.on('signal', (msg) => this.onSignal(msg));
    socket.on('custom', ({ from, event, data }) => {
      if (this.peers.has(from)) this.hooks.message(from, data, 'socket', event);
    });
    socket.on('ice:servers', ({ iceServers }) => {
      // Fresh TURN credentials before the old ones expire: for new peers and later ICE restarts.
      this.serverIceServers = iceServers;
      this.reconfigurePeers();
    });
    socket.on('session:replaced', () => {
      // Another tab or device took over this userid: do not fight it.
      this.intent = null;
      this.closeAllPeers('replaced');
      socket.io.reconnection(false);
      this.roomid = null;
      this.setState('left');
      this.hooks.error(new RoomError('session-replaced', `Another connection joined as "${this.userid}"; this one was disconnected.`));
    });
    return socket;
  }

  private readonly onConnect = () => {
    this.reportedUnreachable = false;
    this.refused = false;
    const socket = this.socket!;
    this.socketToken = this.options.token;
    // Signals queued while offline belong to the outage: peers are re-checked below instead.
    (socket as unknown as { sendBuffer: unknown[] }).sendBuffer = [];
    if (this.intent && !this.joining && (this.state === 'reconnecting' || this.state === 'error' || this.state === 'connecting')) {
      // Still holding the calls of a room (also after a refused token was replaced): a rejoin.
      const rejoin = this.state === 'reconnecting' || this.roomid !== null;
      if (rejoin) this.setState('reconnecting');
      // After a server restart the room may be gone: open-or-join recreates it.
      this.enter(rejoin ? { ...this.intent, mode: 'open-or-join' } : this.intent).catch(() => {});
    }
  };

  private readonly onDisconnect = (reason: string) => {
    if (this.destroyed) return;
    if (reason === 'io client disconnect') return;
    if (this.state === 'joined' || this.state === 'connecting') this.setState(this.roomid ? 'reconnecting' : 'connecting');
  };

  private readonly onConnectError = (err: Error & { data?: { code?: string; message?: string; expired?: boolean } }) => {
    const code = err.data?.code;
    if (code === 'unauthorized' || code === 'invalid-request') {
      // The server refused the handshake: retrying the same credentials is
      // pointless. A new token (setToken) tries again.
      this.refused = true;
      this.socket?.io.reconnection(false);
      const expired = err.data?.expired === true;
      this.fail(new RoomError(code, err.data?.message ?? err.message, expired));
      if (expired) this.hooks.tokenExpired(err.data?.message ?? err.message);
      return;
    }
    if (this.reportedUnreachable) return;
    this.reportedUnreachable = true;
    const target = this.options.socketUrl ?? location.origin;
    this.fail(
      new RoomError('server-unreachable', `Cannot reach the signaling server at ${target} (${err.message}); retrying.`),
      this.roomid ? 'reconnecting' : 'error',
    );
  };

  private fail(err: RoomError, state: RoomState = 'error'): void {
    this.setState(state);
    this.hooks.error(err);
  }

  private waitConnected(): Promise<void> {
    const socket = this.connect();
    if (socket.connected) return Promise.resolve();
    // Refused earlier (socket.io gives up on a refused handshake): try again, e.g. after the room token changed.
    if (!socket.active) {
      socket.io.reconnection(true);
      socket.connect();
    }
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        socket.off('connect', onOk);
        socket.off('connect_error', onErr);
      };
      const onOk = () => {
        cleanup();
        resolve();
      };
      const onErr = (err: Error & { data?: { code?: string; message?: string; expired?: boolean } }) => {
        cleanup();
        const code = err.data?.code === 'unauthorized' ? 'unauthorized' : 'server-unreachable';
        reject(new RoomError(code, err.data?.message ?? `Cannot reach the signaling server: ${err.message}`, err.data?.expired === true));
      };
      socket.on('connect', onOk);
      socket.on('connect_error', onErr);
    });
  }

  // ---------------------------------------------------------------------------
  // Joining and leaving

  /** Opens, joins or opens-or-joins a room; resolves with the server's ack. */
  async enter(intent: JoinIntent): Promise<RoomJoinedPayload> {
    if (this.destroyed) throw new RoomError('aborted', 'The room element was removed.');
    if (!intent.roomid) throw new RoomError('no-room-id', 'No room id: set the room-id attribute or pass one.');
    // Asked again for the room we are in or entering (autojoin and a script both calling): same answer.
    if (this.joining && this.intent?.roomid === intent.roomid) return this.joining;
    if (this.state === 'joined' && this.roomid === intent.roomid && this.lastAck) return this.lastAck;
    if (this.roomid && this.roomid !== intent.roomid && this.state === 'joined') await this.leave();
    this.intent = intent;
    if (this.state !== 'reconnecting') this.setState('connecting');
    const attempt = (async () => {
      await this.waitConnected();
      if (!this.roomid && this.socketToken !== this.options.token) {
        // The server judges a connection by the token of its handshake: present the new one.
        await this.reconnectSocket();
      }
      const socket = this.socket!;
      const payload = {
        roomid: intent.roomid,
        extra: this.extra,
        ...(intent.password ? { password: intent.password } : {}),
        ...(intent.maxParticipants && intent.mode !== 'join' ? { maxParticipants: intent.maxParticipants } : {}),
      };
      const event = intent.mode === 'open' ? 'room:open' : intent.mode === 'join' ? 'room:join' : 'room:open-or-join';
      const ack = await request(socket, event, payload);
      if (this.intent !== intent && !(this.intent && this.intent.roomid === intent.roomid)) {
        // Left (or moved on) while the request was in flight.
        socket.emit('room:leave', {}, () => {});
        throw new RoomError('aborted', 'Left the room before the join completed.');
      }
      return ack;
    })();
    this.joining = attempt;
    const rejoining = this.state === 'reconnecting';
    try {
      const ack = await attempt;
      this.onJoined(ack, rejoining);
      return ack;
    } catch (err) {
      const roomErr = err instanceof RoomError ? err : new RoomError('internal-error', String(err));
      if (roomErr.code === 'aborted') throw roomErr;
      // A refused handshake was reported (and told the page) by onConnectError already.
      const reported = this.refused && roomErr.code === 'unauthorized';
      const rejoin = this.state === 'reconnecting';
      if (rejoin && (roomErr.code === 'internal-error' || roomErr.code === 'timeout') && this.socket?.connected) {
        // Connected, but the server could not answer just now (with several
        // nodes: Redis away while we moved to another node). The calls still
        // carry media: keep them and ask again.
        if (!this.rejoinRetries) this.hooks.error(roomErr);
        this.retryRejoin(intent);
      } else if (roomErr.code === 'server-unreachable' || roomErr.code === 'timeout') {
        // Keep the intent: the socket keeps retrying and joins when the server is back.
        this.rejoinRetries = 0;
        if (!this.reportedUnreachable) this.fail(roomErr, rejoin ? 'reconnecting' : 'error');
      } else {
        this.rejoinRetries = 0;
        this.intent = null;
        if (rejoin) this.closeAllPeers('connection-lost');
        this.roomid = null;
        if (!reported) {
          this.fail(roomErr);
          if (roomErr.expired) this.hooks.tokenExpired(roomErr.message);
        }
      }
      throw roomErr;
    } finally {
      if (this.joining === attempt) this.joining = null;
    }
  }

  /** Asks again for a room we are rejoining, backing off up to 5 s, while the socket stays connected. */
  private retryRejoin(intent: JoinIntent): void {
    clearTimeout(this.rejoinTimer);
    const delay = Math.min(5000, 500 * 2 ** this.rejoinRetries++) * (0.85 + Math.random() * 0.3);
    this.rejoinTimer = setTimeout(() => {
      this.rejoinTimer = undefined;
      if (this.intent !== intent || this.state !== 'reconnecting' || this.joining || this.destroyed || !this.socket?.connected) return;
      this.enter({ ...intent, mode: 'open-or-join' }).catch(() => {});
    }, delay);
  }

  private onJoined(ack: RoomJoinedPayload, rejoin: boolean): void {
    clearTimeout(this.rejoinTimer);
    this.rejoinTimer = undefined;
    this.rejoinRetries = 0;
    this.lastAck = ack;
    this.roomid = ack.roomid;
    this.userid = ack.userid;
    this.isInitiator = ack.isInitiator;
    this.permissions = ack.permissions ? [...ack.permissions] : null;
    this.publishRefusalReported = false;
    const relay = ack.iceTransportPolicy === 'relay';
    const iceChanged = relay !== this.serverForcesRelay || JSON.stringify(ack.iceServers) !== JSON.stringify(this.serverIceServers);
    this.serverIceServers = ack.iceServers;
    this.serverForcesRelay = relay;
    if (iceChanged) this.reconfigurePeers();
    const listed = new Set(ack.peers.map((p) => p.userid));
    for (const rec of [...this.peers.values()]) {
      if (listed.has(rec.userid)) continue;
      // Not (yet) back: after a server restart everyone rejoins in some order,
      // so a call that still has media waits for its user; anything else goes.
      if (rejoin && this.isAlive(rec.peer)) this.markAway(rec);
      else this.removePeer(rec.userid, 'disconnect');
    }
    const fresh: string[] = [];
    for (const { userid, extra, permissions } of ack.peers) {
      const rec = this.peers.get(userid);
      if (rec) {
        rec.extra = extra;
        rec.permissions = permissions;
        this.clearAway(rec);
        this.heal(rec);
      } else {
        // The joiner negotiates with everyone already there, right away.
        this.addPeer(userid, extra, { activate: true, permissions });
        fresh.push(userid);
      }
    }
    // A rejoin with another token may have gained or lost `publish`.
    for (const { peer } of this.peers.values()) this.syncPublishing(peer);
    this.checkPublishing();
    this.setState('joined');
    this.hooks.joined(ack);
    for (const userid of fresh) {
      const rec = this.peers.get(userid);
      if (rec) this.hooks.peerJoin(userid, rec.extra);
    }
    if (rejoin) {
      // What we said while offline was dropped with the send buffer: say the current state again.
      for (const { peer } of this.peers.values()) peer.announceStreams();
    }
  }

  /** The call to this peer still carries media (or is still being set up). */
  private isAlive(peer: Peer): boolean {
    const state = peer.pc.connectionState;
    return !peer.closed && (state === 'connected' || state === 'connecting' || state === 'new' || state === 'disconnected');
  }

  /** Its socket is gone, its call may not be: drop it after the grace period unless it comes back. */
  private markAway(rec: PeerRecord): void {
    clearTimeout(rec.awayTimer);
    rec.awayTimer = setTimeout(() => this.removePeer(rec.userid, 'disconnect'), this.peerGraceMs);
  }

  /** After a signaling outage: a pair that is not healthy gets an ICE restart (or a rebuild). */
  private heal(rec: PeerRecord): void {
    const pc = rec.peer.pc;
    if (rec.peer.closed) {
      this.rebuildPeer(rec.userid, rec.peer.gen + 1, undefined, !rec.peer.polite);
      return;
    }
    const healthy = pc.connectionState === 'connected' || pc.connectionState === 'connecting' || pc.connectionState === 'new';
    if (!healthy || pc.signalingState !== 'stable') rec.peer.restartIce();
  }

  /** Leaves the room: closes every peer connection and tells the server. */
  async leave(): Promise<void> {
    this.intent = null;
    clearTimeout(this.rejoinTimer);
    this.rejoinRetries = 0;
    const socket = this.socket;
    const wasIn = this.roomid !== null || this.state === 'reconnecting' || this.joining !== null;
    // Tell the server first, so peers hear "left" before they see our connections close.
    const told = wasIn && socket?.connected ? request(socket, 'room:leave', {}, 2000).catch(() => {}) : null;
    this.closeAllPeers('leave');
    this.roomid = null;
    this.isInitiator = false;
    if (!wasIn) return;
    this.setState('left');
    this.hooks.left();
    await told;
  }

  /** Leaves at once, without waiting for an ack (pagehide), and closes the socket. */
  destroy(): void {
    if (this.destroyed) return;
    const socket = this.socket;
    const wasIn = this.roomid !== null;
    this.intent = null;
    if (socket && wasIn && socket.connected) socket.emit('room:leave', {}, () => {});
    this.closeAllPeers('leave');
    this.roomid = null;
    if (socket) {
      socket.removeAllListeners();
      socket.disconnect();
    }
    this.socket = null;
    this.destroyed = true;
    clearTimeout(this.tokenTimer);
    this.tokenTimer = undefined;
    clearTimeout(this.rejoinTimer);
    if (wasIn) {
      this.setState('left');
      this.hooks.left();
    }
  }

  /** The element came back into the page after destroy(): allow a fresh start. */
  revive(): void {
    this.destroyed = false;
  }

  async presence(roomid: string): Promise<RoomPresencePayload> {
    if (!roomid) throw new RoomError('no-room-id', 'No room id given.');
    await this.waitConnected();
    const ack = await request(this.socket!, 'room:presence', { roomid });
    return { exists: ack.exists, isFull: ack.isFull, isPasswordProtected: ack.isPasswordProtected };
  }

  async updateExtra(extra: Extra): Promise<void> {
    this.extra = extra;
    if (this.socket?.connected && this.roomid) await request(this.socket, 'extra:update', { extra });
  }

  // ---------------------------------------------------------------------------
  // Peers

  private rtcConfig(): RTCConfiguration {
    return {
      iceServers: this.iceServers ?? (this.serverIceServers as RTCIceServer[]),
      iceTransportPolicy: this.serverForcesRelay ? 'relay' : this.iceTransportPolicy,
      bundlePolicy: 'max-bundle',
    };
  }

  /** Applies the current ICE servers and policy to every open peer connection. */
  private reconfigurePeers(): void {
    const config = this.rtcConfig();
    for (const { userid, peer } of this.peers.values()) {
      if (peer.closed) continue;
      try {
        peer.pc.setConfiguration(config);
      } catch (err) {
        this.hooks.warn(`setConfiguration for ${userid}`, err);
      }
    }
  }

  private createPeer(userid: string, gen: number, remoteSession: string | undefined): Peer {
    const peer = new Peer(
      {
        localUserid: this.userid,
        remoteUserid: userid,
        config: this.rtcConfig(),
        localStreams: () => this.publishedStreams(),
        gen,
      },
      {
        signal: (data) => this.sendSignal(userid, peer, data),
        remoteStream: (stream, info) => {
          if (this.peers.get(userid)?.peer !== peer) return;
          this.hooks.remoteStream(userid, stream, info, this.peers.get(userid)?.extra ?? null);
        },
        remoteStreamEnded: (streamid, info) => this.hooks.remoteStreamEnded(userid, streamid, info?.kind ?? 'camera'),
        remoteStreamInfo: (info, previous) => {
          if (!!previous?.audioMuted !== !!info.audioMuted) this.hooks.remoteMute(userid, info.streamid, 'audio', !!info.audioMuted);
          if (!!previous?.videoMuted !== !!info.videoMuted) this.hooks.remoteMute(userid, info.streamid, 'video', !!info.videoMuted);
        },
        state: (state) => this.onPeerState(userid, peer, state),
        message: (data) => {
          const rec = this.peers.get(userid);
          if (rec && !grants(rec.permissions, 'data')) {
            // The server cannot see data channels: the receiving side enforces `data`.
            if (!this.dataDropWarned.has(userid)) this.hooks.warn(`dropped data-channel messages from ${userid}: their room token does not allow sending data`);
            this.dataDropWarned.add(userid);
            return;
          }
          this.hooks.message(userid, data, 'data');
        },
        error: (err) => this.hooks.warn(`peer ${userid}`, err),
        channelClosed: () => {
          const rec = this.peers.get(userid);
          if (rec?.peer !== peer) return;
          // While its socket is away, a closed channel means the user is really gone (tab closed).
          if (rec.awayTimer) this.removePeer(userid, 'disconnect');
          // Otherwise its connection died under it: rebuild, unless a leave arrives first.
          else this.scheduleRebuild(userid, peer, 'data channel closed', 1000);
        },
        failed: (reason) => this.scheduleRebuild(userid, peer, reason, 0),
      },
    );
    peer.remoteSession = remoteSession;
    return peer;
  }

  private addPeer(
    userid: string,
    extra: Extra,
    opts: { activate: boolean; gen?: number; session?: string; permissions?: Permission[] | undefined },
  ): PeerRecord {
    const peer = this.createPeer(userid, opts.gen ?? 0, opts.session);
    const rec: PeerRecord = { userid, extra, peer, permissions: opts.permissions };
    this.peers.set(userid, rec);
    if (opts.activate) peer.activate();
    else this.armOfferFallback(rec);
    return rec;
  }

  /**
   * The member already in the room lets the joiner offer first; if no offer
   * comes (a joiner without our protocol version, a lost message), it offers.
   */
  private armOfferFallback(rec: PeerRecord): void {
    clearTimeout(rec.fallbackTimer);
    rec.fallbackTimer = setTimeout(() => {
      if (this.peers.get(rec.userid) === rec && !rec.peer.isActive) rec.peer.activate();
    }, this.offerFallbackMs);
  }

  private rebuildPeer(userid: string, gen: number, session: string | undefined, activate: boolean): Peer | null {
    const rec = this.peers.get(userid);
    if (!rec) return null;
    clearTimeout(rec.fallbackTimer);
    clearTimeout(rec.rebuildTimer);
    rec.rebuildTimer = undefined;
    rec.peer.close();
    rec.peer = this.createPeer(userid, gen, session);
    if (activate) rec.peer.activate();
    else this.armOfferFallback(rec);
    return rec.peer;
  }

  private onPeerState(userid: string, peer: Peer, state: PeerState): void {
    const rec = this.peers.get(userid);
    if (rec?.peer !== peer) return;
    this.hooks.peerState(userid, state);
    if (rec.awayTimer && (state === 'failed' || state === 'closed')) {
      this.removePeer(userid, 'disconnect');
      return;
    }
  }

  /**
   * Replaces a connection that cannot recover with a new one (generation + 1;
   * the remote follows when it sees the higher generation). The polite side
   * waits a little longer, so that usually the impolite side's rebuild wins
   * and only one new connection is made.
   */
  private scheduleRebuild(userid: string, peer: Peer, reason: string, delayMs: number): void {
    const rec = this.peers.get(userid);
    if (rec?.peer !== peer || rec.rebuildTimer) return;
    rec.rebuildTimer = setTimeout(
      () => {
        rec.rebuildTimer = undefined;
        if (this.peers.get(userid) !== rec || rec.peer !== peer || this.destroyed) return;
        this.hooks.warn(`rebuilding the connection to ${userid}: ${reason}`);
        this.rebuildPeer(userid, peer.gen + 1, peer.remoteSession, true);
        this.hooks.peerState(userid, 'rebuilding');
      },
      delayMs + (peer.polite ? 1500 : 0),
    );
  }

  private onPeerJoin(userid: string, extra: Extra, permissions: Permission[] | undefined): void {
    if (!this.roomid || userid === this.userid) return;
    const rec = this.peers.get(userid);
    if (rec) {
      // The same user came back (reconnect or reload): keep the call; a reload re-offers with a new session.
      rec.extra = extra;
      rec.permissions = permissions;
      this.clearAway(rec);
      this.hooks.peerUpdate(userid, extra);
      return;
    }
    this.addPeer(userid, extra, { activate: false, permissions });
    this.hooks.peerJoin(userid, extra);
  }

  private onPeerLeave(userid: string, reason: PeerLeaveReason): void {
    const rec = this.peers.get(userid);
    if (!rec) return;
    if (reason === 'disconnect' && rec.peer.pc.connectionState === 'connected' && rec.peer.channelOpen) {
      // Its signaling dropped, but media may still flow: wait for it to come back.
      this.markAway(rec);
      return;
    }
    this.removePeer(userid, reason);
  }

  private clearAway(rec: PeerRecord): void {
    clearTimeout(rec.awayTimer);
    rec.awayTimer = undefined;
  }

  private removePeer(userid: string, reason: PeerLeaveReason | 'connection-lost'): void {
    const rec = this.peers.get(userid);
    if (!rec) return;
    this.peers.delete(userid);
    this.dataDropWarned.delete(userid);
    clearTimeout(rec.awayTimer);
    clearTimeout(rec.fallbackTimer);
    clearTimeout(rec.rebuildTimer);
    rec.peer.close();
    this.hooks.peerLeave(userid, reason);
  }

  private closeAllPeers(reason: PeerLeaveReason | 'connection-lost'): void {
    for (const userid of [...this.peers.keys()]) this.removePeer(userid, reason);
  }

  private sendSignal(to: string, peer: Peer, data: SignalData): void {
    const socket = this.socket;
    if (!socket || peer.closed) return;
    const payload = { to, data: { ...data, session: this.session, gen: peer.gen } };
    socket.emit('signal', payload, (ack) => {
      if (!ack.ok && ack.error.code !== 'peer-not-found') this.hooks.warn(`signal to ${to}: ${ack.error.code}: ${ack.error.message}`);
    });
  }

  private onSignal({ from, data }: SignalMessage): void {
    if (!this.roomid || from === this.userid) return;
    const gen = data.gen ?? 0;
    const isOffer = data.description?.type === 'offer';
    let rec = this.peers.get(from);
    let peer = rec?.peer;
    if (!rec || !peer) {
      // An offer from someone we have not heard join yet (message order across a reconnect).
      if (!isOffer) return;
      rec = this.addPeer(from, null, { activate: false, gen, session: data.session });
      peer = rec.peer;
      this.hooks.peerJoin(from, null);
    } else if (data.session && peer.remoteSession && data.session !== peer.remoteSession) {
      // The remote is a new instance (it reloaded): only its offer starts the new call.
      if (!isOffer) return;
      peer = this.rebuildPeer(from, gen, data.session, false)!;
    } else if (gen < peer.gen) {
      return; // from a connection since replaced: stale
    } else if (gen > peer.gen) {
      if (!isOffer) return;
      peer = this.rebuildPeer(from, gen, data.session ?? peer.remoteSession, false)!;
    }
    clearTimeout(rec.fallbackTimer);
    this.clearAway(rec);
    peer.remoteSession ??= data.session;
    void peer.handle(data);
  }

  // ---------------------------------------------------------------------------
  // Local media

  /** What this user's room token grants (everything without room tokens). */
  may(permission: Permission): boolean {
    return grants(this.permissions ?? undefined, permission);
  }

  /** The local streams peers get: none when the room token does not allow publishing. */
  private publishedStreams(): LocalStreamEntry[] {
    return this.may('publish') ? [...this.localStreams.values()] : [];
  }

  /** Attaches or detaches the local streams on `peer` to match the `publish` permission. */
  private syncPublishing(peer: Peer): void {
    for (const { stream } of this.localStreams.values()) {
      if (this.may('publish')) peer.addStream(stream);
      else peer.removeStream(stream.id);
    }
  }

  /**
   * Captures without `publish`: the server would refuse the offer and leave
   * negotiation stuck, so they are kept local, and the page is told once.
   */
  private checkPublishing(): void {
    if (this.may('publish') || !this.localStreams.size || !this.roomid || this.publishRefusalReported) return;
    this.publishRefusalReported = true;
    this.hooks.error(new RoomError('forbidden', 'Your room token does not allow publishing media: your camera, microphone and screen stay on this page.'));
  }

  addStream(stream: MediaStream, kind: StreamKind): void {
    if (this.localStreams.has(stream.id)) return;
    const info: StreamInfo = {
      streamid: stream.id,
      kind,
      audioMuted: stream.getAudioTracks().some((t) => !t.enabled),
      videoMuted: stream.getVideoTracks().some((t) => !t.enabled),
    };
    this.localStreams.set(stream.id, { stream, info });
    if (!this.may('publish')) {
      this.checkPublishing();
      return;
    }
    for (const { peer } of this.peers.values()) peer.addStream(stream);
  }

  removeStream(streamid: string): void {
    if (!this.localStreams.delete(streamid)) return;
    for (const { peer } of this.peers.values()) peer.removeStream(streamid);
  }

  replaceTrack(streamid: string, oldTrack: MediaStreamTrack | null, newTrack: MediaStreamTrack): void {
    if (!this.localStreams.has(streamid)) return;
    for (const { userid, peer } of this.peers.values()) {
      peer.replaceTrack(streamid, oldTrack, newTrack).catch((err: unknown) => this.hooks.warn(`replaceTrack for ${userid}`, err));
    }
  }

  setMuted(streamid: string, kind: 'audio' | 'video', muted: boolean): void {
    const entry = this.localStreams.get(streamid);
    if (!entry) return;
    const key = kind === 'audio' ? 'audioMuted' : 'videoMuted';
    if (!!entry.info[key] === muted) return;
    entry.info = { ...entry.info, [key]: muted };
    for (const { peer } of this.peers.values()) peer.announceStreams();
  }

  // ---------------------------------------------------------------------------
  // Room token

  /**
   * Uses `token` from the next handshake on. A connection refused for its
   * token connects again (and rejoins its room); an idle connection is
   * renewed so the next join presents the new token. A call in progress keeps
   * its connection: the server checks tokens when a room is entered.
   */
  setToken(token: string | null): void {
    const value = token || undefined;
    if (value === this.options.token) return;
    this.options.token = value;
    const socket = this.socket;
    if (socket) {
      const auth = { ...(socket.auth as Record<string, unknown>) };
      if (value) auth['token'] = value;
      else delete auth['token'];
      socket.auth = auth;
      if (this.refused && !this.destroyed) {
        this.refused = false;
        socket.io.reconnection(true);
        if (!socket.active) socket.connect();
      }
    }
    this.watchTokenExpiry();
  }

  /** Closes and reopens the signaling connection (not in a room: nothing to rejoin). */
  private async reconnectSocket(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    socket.disconnect();
    socket.connect();
    await this.waitConnected();
  }

  /** Tells the page shortly before the token's `exp` (see expiryWarningDelay). */
  private watchTokenExpiry(): void {
    clearTimeout(this.tokenTimer);
    this.tokenTimer = undefined;
    const expiresAt = tokenExpiry(this.options.token);
    if (expiresAt === null || this.destroyed || !this.socket) return;
    const token = this.options.token;
    const delay = expiryWarningDelay(expiresAt, Date.now());
    // setTimeout holds at most 2^31-1 ms (24.8 days): check again later for longer-lived tokens.
    const max = 2 ** 31 - 1;
    this.tokenTimer = setTimeout(() => {
      this.tokenTimer = undefined;
      if (this.destroyed || this.options.token !== token) return;
      if (delay > max) this.watchTokenExpiry();
      else this.hooks.tokenExpiring(expiresAt);
    }, Math.min(delay, max));
  }

  // ---------------------------------------------------------------------------
  // Messages

  /** Sends over the data channels to everyone, or to one user. */
  send(data: DataPayload, userid?: string): void {
    if (!this.roomid) throw new RoomError('not-joined', 'send(): not in a room.');
    if (!this.may('data')) throw new RoomError('forbidden', 'send(): your room token does not allow sending data.');
    if (userid !== undefined) {
      const rec = this.peers.get(userid);
      if (!rec) throw new RoomError('peer-not-found', `send(): no user "${userid}" in this room.`);
      rec.peer.send(data);
      return;
    }
    for (const { peer } of this.peers.values()) peer.send(data);
  }

  /** The seed's custom socket messages: relayed by the server inside the room. */
  async emit(event: string, data: unknown, userid?: string): Promise<void> {
    if (!this.roomid || !this.socket) throw new RoomError('not-joined', 'emit(): not in a room.');
    await request(this.socket, 'custom', {
      event,
      data: (data === undefined ? null : data) as never,
      ...(userid !== undefined ? { to: userid } : {}),
    });
  }
}

/** Does a permissions list allow `permission`? Absent: everything. */
function grants(permissions: readonly Permission[] | undefined, permission: Permission): boolean {
  return !permissions || permissions.includes(permission);
}
