/** A room session: the signaling socket, join/leave/rejoin, room tokens and who is in the room; media goes through a Transport. */
// No Lit: <rtc-room> adapts this to attributes and DOM events.
import type {
  ClientToServerEvents,
  Extra,
  IceServerConfig,
  PeerJoinPayload,
  PeerUpdatePayload,
  Permission,
  Role,
  RoomJoinedPayload,
  RoomPresencePayload,
  SignalMessage,
  StreamKind,
  Topology,
} from '../protocol.js';
import { ROOMID_PATTERN } from '../protocol.js';
import type { DataPayload } from './data-messages.js';
import { LocalStreams } from './local-streams.js';
import { grants, Members, type PeerRecord } from './members.js';
import { MeshTransport } from './mesh.js';
import { createSocket, DEFAULT_RECONNECT, pollingPending, request, RoomError, type RoomSocket } from './signaling.js';
import type { TokenExpiryWatch } from './token.js';
import { StreamOwners } from './stream-owners.js';
import type { JoinMode, JoinOptions, RoomClientOptions, RoomHooks, RoomState } from './room-types.js';
import { SFU_DATA, type LocalStreamEntry, type PeerState, type Transport, type TransportContext, type TransportHooks } from './transport.js';

/** The SFU transport's module: in the CDN bundle a chunk of its own, loaded when a room first says `sfu`. */
let sfuModule: typeof import('./sfu.js') | undefined;
const loadSfu = async () => (sfuModule ??= await import('./sfu.js'));

export type { PeerRecord } from './members.js';

export type { JoinMode, JoinOptions, RoomClientOptions, RoomHooks, RoomState } from './room-types.js';

interface JoinIntent extends JoinOptions {
  mode: JoinMode;
  roomid: string;
}

/** How long a move between mesh and SFU lets the old transport carry media while the new one comes up, at most (ms). */
const MOVE_WAIT_MS = 20000;
/** Once every stream the page shows plays the new transport, the old one stays this much longer: the others may still receive through it (ms). */
const MOVE_GRACE_MS = 4000;

/** A remote stream as the page got it; after a move, another transport's tracks play in it. */
interface Shown {
  key: string;
  userid: string;
  kind: StreamKind;
  display: MediaStream;
  /** The remote streams (by transport stream id) of the transport feeding it. */
  from: Map<string, Shown>;
  /** The transport taking it over (a move), once it reported the stream. */
  next?: Map<string, Shown>;
  audio: boolean;
  video: boolean;
}

/** `Shown.from` of a stream the old transport lost during a move before the new one took it over. */
const ORPHAN = new Map<string, Shown>();

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
  /** The other users in the room, by userid. */
  readonly peers: Map<string, PeerRecord>;
  /** The streams this user shares, by stream id. */
  readonly localStreams: Map<string, LocalStreamEntry>;
  /** This user's role in the room. */
  role: Role = 'participant';
  /** The room takes no new members (a host locked it). */
  locked = false;
  /** Every other member's role, by userid. */
  readonly roles = new Map<string, Role>();

  private readonly members: Members;
  private readonly local: LocalStreams;
  private media: Transport;
  /** The transport a move leaves: it carries media until the new one does (or MOVE_WAIT_MS). */
  private outgoing: Transport | null = null;
  private moveTimer: ReturnType<typeof setTimeout> | undefined;
  /** Each transport's remote streams, by its stream id. */
  private readonly owned = new WeakMap<Transport, Map<string, Shown>>();
  /** The remote streams the page got, by `userid source`. */
  private readonly shown = new Map<string, Shown>();
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
  /** A connect_error without a reason is being explained (handshakeRefusal) before it is reported. */
  private probing = false;
  /** The token the current connection's handshake carried. */
  private socketToken: string | undefined;
  /** Loaded with the first room token (in the CDN bundle, a chunk: most pages have none). */
  private tokenWatch: TokenExpiryWatch | undefined;
  private rejoinTimer: ReturnType<typeof setTimeout> | undefined;
  /** Rejoin attempts answered with a server error in a row. */
  private rejoinRetries = 0;
  /** Which member each remote stream id belongs to. */
  private readonly streamOwners = new StreamOwners();
  /** Told the page once per join that its media is not shared. */
  private publishRefusalReported = false;
  /**
   * Membership news (peer:join / leave / update) that came after a join's ack but before the ack was handled:
   * the ack's member list predates it, so it is applied after the list, in order. Null outside that window.
   */
  private early: (() => void)[] | null = null;

  private hold(apply: () => void): void {
    if (this.early) this.early.push(apply);
    else apply();
  }

  /** Settles the wait in a lobby: admitted (no error) or not. */
  private lobbyWait: ((err?: RoomError) => void) | null = null;

  constructor(
    private readonly options: RoomClientOptions,
    private readonly hooks: RoomHooks,
  ) {
    this.userid = options.userid;
    this.extra = options.extra;
    this.members = new Members(
      () => this.media,
      {
        join: (userid, extra) => hooks.peerJoin(userid, extra),
        update: (userid, extra) => hooks.peerUpdate(userid, extra),
        leave: (userid, reason) => {
          this.outgoing?.peerLeft(userid);
          this.streamOwners.releaseUser(userid);
          hooks.peerLeave(userid, reason);
        },
        warn: (message) => hooks.warn(message),
      },
      options.peerGraceMs ?? 8000,
    );
    this.peers = this.members.records;
    this.local = new LocalStreams(() => this.media, () => this.may('publish'));
    this.localStreams = this.local.entries;
    this.media = this.mesh();
    this.media.start();
  }

  private mesh(): Transport {
    return this.create('mesh');
  }

  private create(topology: Topology): Transport {
    const mine = new Map<string, Shown>();
    const hooks = this.transportHooks(mine, () => this.owned.get(this.media) === mine);
    const t =
      topology === 'sfu'
        ? new sfuModule!.SfuTransport(this.transportContext(), hooks, this.socket!)
        : new MeshTransport(this.transportContext(), hooks, { offerFallbackMs: this.options.offerFallbackMs });
    this.owned.set(t, mine);
    return t;
  }

  /**
   * Replaces the transport (the room's topology changed); it learns the members we have.
   * `keep` (an `auto` room moved mid-call): the old one carries media beside
   * the new one until each stream the page shows plays the new one's tracks,
   * and MOVE_GRACE_MS more (MOVE_WAIT_MS at the latest).
   */
  private use(media: Transport, keep?: boolean): void {
    this.finishMove();
    if (keep) {
      this.outgoing = this.media;
      this.moveTimer = setTimeout(() => this.finishMove(), MOVE_WAIT_MS);
    } else this.media.stop();
    this.media = media;
    media.start();
    // Back on a mesh, everyone connects at once: one side of each pair offers.
    for (const userid of this.peers.keys()) media.peerJoined(userid, !keep || media.name === 'sfu' || this.userid < userid);
    this.moved();
  }

  /** Moves, one after the other: one to the SFU waits for its chunk. */
  private moving = Promise.resolve();

  private move(topology: Topology): void {
    const roomid = this.roomid;
    this.moving = this.moving
      .then(async () => void (topology === 'sfu' && (await loadSfu())))
      .then(
        () => {
          if (!roomid || this.roomid !== roomid || this.media.name === topology) return;
          this.use(this.create(topology), true);
          this.hooks.notice?.('topology-change', { topology });
        },
        (err: unknown) => this.hooks.warn('no SFU transport: staying on the mesh', err),
      );
  }

  /** When every stream the page shows plays the new transport's tracks, the old one goes after MOVE_GRACE_MS. */
  private moved(): void {
    if (!this.outgoing || [...this.shown.values()].some((s) => s.from !== this.owned.get(this.media))) return;
    clearTimeout(this.moveTimer);
    this.moveTimer = setTimeout(() => this.finishMove(), MOVE_GRACE_MS);
  }

  private finishMove(): void {
    clearTimeout(this.moveTimer);
    // Stopped while still `outgoing`: the streams it ends wait for the new transport (ORPHAN) instead of ending.
    this.outgoing?.stop();
    this.outgoing = null;
    for (const s of this.shown.values()) {
      if (s.from !== ORPHAN) continue;
      if (s.next) s.from = s.next;
      else {
        this.shown.delete(s.key);
        this.streamOwners.release(s.userid, s.display.id);
        this.hooks.remoteStreamEnded(s.userid, s.display.id, s.kind);
      }
    }
  }

  /** The transport carrying this room's media and data (the mesh, or the SFU in `sfu` rooms). */
  get transport(): Transport {
    return this.media;
  }

  /** The RTCPeerConnection carrying `userid`'s media (the seed's `peers[userid].peer`), if any. */
  connection(userid: string): RTCPeerConnection | null {
    return this.media.connection(userid);
  }

  /** The streams received from `userid`. */
  remoteStreams(userid: string): MediaStream[] {
    // After a move, the page's stream the transport's one plays in.
    return this.media.remoteStreams(userid).map((s) => this.owned.get(this.media)?.get(s.id)?.display ?? s);
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
      this.members.removeAll('connection-lost');
      this.roomid = null;
      this.intent = null;
      this.fail(new RoomError('server-unreachable', `Gave up reconnecting to the signaling server after ${attempts} attempts.`));
    });
    const onJoin = ({ userid, extra, permissions, role }: PeerJoinPayload) => {
      if (!this.roomid || userid === this.userid) return;
      this.roles.set(userid, role);
      this.members.joined(userid, extra, permissions);
    };
    const onUpdate = ({ userid, extra, role }: PeerUpdatePayload) => {
      if (userid === this.userid) {
        // A host made this user a host.
        this.role = role;
        this.hooks.notice?.('role-change', { userid, role });
      } else {
        if (this.roles.get(userid) !== role) this.hooks.notice?.('role-change', { userid, role });
        this.roles.set(userid, role);
        this.members.updated(userid, extra);
      }
    };
    // Between a join's ack and its handling, membership news waits (see `early`).
    socket.on('peer:join', (p) => this.hold(() => onJoin(p)));
    socket.on('peer:leave', (p) => this.hold(() => this.members.left(p.userid, p.reason)));
    socket.on('peer:update', (p) => this.hold(() => onUpdate(p)));
    socket.on('lobby:knock', (p) => this.hooks.notice?.('knock', p));
    socket.on('lobby:resolved', (p) => this.hooks.notice?.('lobby-resolved', p));
    // Admitted: the same join request enters now.
    socket.on('lobby:admitted', () => this.lobbyWait?.());
    socket.on('lobby:denied', ({ reason }) => this.lobbyWait?.(new RoomError('denied', `Not let into the room (${reason}).`)));
    socket.on('room:locked', (p) => {
      this.locked = p.locked;
      this.hooks.notice?.('room-locked', p);
    });
    socket.on('member:muted', ({ kind, by }) => {
      this.local.hostMuted.add(kind);
      this.hooks.notice?.('host-mute', { kind, by });
    });
    socket.on('room:removed', () => this.out('removed', 'A host removed you from the room.'));
    socket.on('room:ended', () => this.out('room-ended', 'A host ended the room.'));
    socket.on('signal', (msg) => this.onSignal(msg));
    // Like membership news, a move waits for a join's ack to be handled (the ack may predate it).
    socket.on('room:topology', ({ topology }) => this.hold(() => this.move(topology)));
    socket.on('custom', ({ from, event, data }) => {
      if (!this.peers.has(from)) return;
      // send() in an SFU room: the server relayed it.
      if (event !== SFU_DATA) this.hooks.message(from, data, 'socket', event);
      else if (this.members.maySendData(from)) this.hooks.message(from, data, 'data');
    });
    socket.on('ice:servers', ({ iceServers }) => {
      // Fresh TURN credentials before the old ones expire: for new peers and later ICE restarts.
      this.serverIceServers = iceServers;
      this.media.configure();
    });
    // Another tab or device took over this userid: do not fight it.
    socket.on('session:replaced', () => this.out('session-replaced', `Another connection joined as "${this.userid}"; this one was disconnected.`));
    return socket;
  }

  /** The server put this connection out of the room and closes it next: do not reconnect. */
  private out(code: 'session-replaced' | 'removed' | 'room-ended', message: string): void {
    this.intent = null;
    this.members.removeAll(code === 'session-replaced' ? 'replaced' : 'removed');
    this.socket?.io.reconnection(false);
    this.media.warm?.(false);
    this.roomid = null;
    this.setState('left');
    this.hooks.error(new RoomError(code, message));
  }

  private readonly onConnect = () => {
    // Connected ahead of a join (see <rtc-room connect>) after the server was unreachable: no longer an error.
    if (this.reportedUnreachable && !this.intent && this.state === 'error') this.setState('idle');
    this.reportedUnreachable = false;
    this.refused = false;
    const socket = this.socket!;
    this.socketToken = this.options.token;
    // Signals queued while offline belong to the outage: peers are re-checked below instead.
    (socket as unknown as { sendBuffer: unknown[] }).sendBuffer = [];
    // Connected ahead of a first join: its first offer is prepared meanwhile.
    if (!this.roomid && this.state !== 'left') this.media.warm?.(true);
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
    // The server forgets a lobby entry with its connection: knock again once back.
    this.lobbyWait?.(new RoomError('timeout', 'Lost the connection while waiting in the lobby.'));
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
    // Only the WebSocket was tried: the next attempt (soon) tries polling too.
    if (this.reportedUnreachable || this.probing || (this.socket && pollingPending(this.socket, err))) return;
    const unreachable = () => {
      if (this.reportedUnreachable) return;
      this.reportedUnreachable = true;
      const target = this.options.socketUrl ?? location.origin;
      this.fail(
        new RoomError('server-unreachable', `Cannot reach the signaling server at ${target} (${err.message}); retrying.`),
        this.roomid ? 'reconnecting' : 'error',
      );
    };
    if (err.data) return unreachable();
    // The transport failed without a reason: a refused origin looks exactly
    // like a dead server from here. Ask the handshake once ourselves.
    this.probing = true;
    void import('./polling.js').then((m) => m.handshakeRefusal(this.options.socketUrl), () => null).then((refusal) => {
      this.probing = false;
      const socket = this.socket;
      if (this.destroyed || !socket || socket.connected) return;
      if (!refusal) return unreachable();
      // Retrying cannot help until the server's configuration changes: stop
      // (a later join() tries again).
      this.refused = true;
      socket.disconnect();
      if (this.roomid) this.members.removeAll('connection-lost');
      this.roomid = null;
      this.intent = null;
      this.fail(refusal);
    });
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
        socket.io.off('reconnect_failed', onGaveUp);
      };
      // An error left to the next attempt (polling on its way) may have been the last one.
      const onGaveUp = () => onErr(new Error('gave up reconnecting'), true);
      const onOk = () => {
        cleanup();
        resolve();
      };
      const onErr = (err: Error & { data?: { code?: string; message?: string; expired?: boolean } }, last = false) => {
        // Only the WebSocket was tried: the next attempt (soon) tries polling too.
        if (!last && pollingPending(socket, err)) return;
        cleanup();
        // The same code onConnectError reports, so enter() can tell it was reported already.
        const code = err.data?.code === 'unauthorized' || err.data?.code === 'invalid-request' ? err.data.code : 'server-unreachable';
        reject(new RoomError(code, err.data?.message ?? `Cannot reach the signaling server: ${err.message}`, err.data?.expired === true));
      };
      socket.on('connect', onOk);
      socket.on('connect_error', onErr);
      socket.io.on('reconnect_failed', onGaveUp);
    });
  }

  // ---------------------------------------------------------------------------
  // Joining and leaving

  /** Opens, joins or opens-or-joins a room; resolves with the server's ack. */
  async enter(intent: JoinIntent): Promise<RoomJoinedPayload> {
    if (this.destroyed) throw new RoomError('aborted', 'The room element was removed.');
    if (!intent.roomid) throw new RoomError('no-room-id', 'No room id: set the room-id attribute or pass one.');
    if (!ROOMID_PATTERN.test(intent.roomid)) {
      // Said before any request, in words (the server's answer would name a pattern).
      throw new RoomError(
        'invalid-request',
        `The room id "${intent.roomid}" cannot be used: room ids are 1 to 128 letters (A-Z, a-z), digits, dots, dashes and underscores, with no spaces (for example "my-team-room").`,
      );
    }
    // Asked again for the room we are in or entering (autojoin and a script both calling): same answer.
    if (this.joining && this.intent?.roomid === intent.roomid) return this.joining;
    if (this.state === 'joined' && this.roomid === intent.roomid && this.lastAck) return this.lastAck;
    if (this.roomid && this.roomid !== intent.roomid && this.state === 'joined') await this.leave();
    this.intent = intent;
    if (this.state !== 'reconnecting') this.setState('connecting');
    const attempt = (async () => {
      // Connected ahead (see <rtc-room connect>): the request leaves within this call, before the state change renders.
      if (!this.socket?.connected) await this.waitConnected();
      if (!this.roomid && this.socketToken !== this.options.token) {
        // The server judges a connection by the token of its handshake: present the new one.
        await this.reconnectSocket();
      }
      const socket = this.socket!;
      // (Keys left undefined are not sent: JSON has no undefined.)
      const payload = {
        roomid: intent.roomid,
        extra: this.extra,
        password: intent.password || undefined,
        ...(intent.mode !== 'join' && { maxParticipants: intent.maxParticipants || undefined, lobby: intent.lobby || undefined, topology: intent.topology }),
      };
      const event = intent.mode === 'open' ? 'room:open' : intent.mode === 'join' ? 'room:join' : 'room:open-or-join';
      const acked = () => void (this.early ??= []);
      this.media.warm?.(true);
      let ack = await request(socket, event, payload, undefined, acked);
      while ('waiting' in ack) {
        // Outside the room until a host admits us (then the same request enters) or not.
        this.setState('waiting');
        this.hooks.notice?.('room-waiting', ack);
        await new Promise<void>((resolve, reject) => {
          this.lobbyWait = (err) => {
            this.lobbyWait = null;
            if (err) reject(err);
            else resolve();
          };
        });
        ack = await request(socket, event, payload, undefined, acked);
      }
      if (ack.topology === 'sfu') await loadSfu();
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
      const early = this.early ?? [];
      this.early = null;
      for (const apply of early) apply();
      return ack;
    } catch (err) {
      this.early = null;
      const roomErr = err instanceof RoomError ? err : new RoomError('internal-error', String(err));
      if (roomErr.code === 'aborted') throw roomErr;
      // A refused handshake was reported (and told the page) by onConnectError already.
      const reported = this.refused && (roomErr.code === 'unauthorized' || roomErr.code === 'invalid-request');
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
        // onConnectError reports it (or, for a refused origin, the real reason).
        if (!this.reportedUnreachable && !this.probing) this.fail(roomErr, rejoin ? 'reconnecting' : 'error');
      } else {
        this.rejoinRetries = 0;
        this.intent = null;
        if (rejoin) this.members.removeAll('connection-lost');
        this.roomid = null;
        if (!reported) {
          this.fail(roomErr);
          if (roomErr.expired) this.hooks.tokenExpired(roomErr.message);
        }
      }
      throw roomErr;
    } finally {
      if (this.joining === attempt) this.joining = null;
      this.media.warm?.(!!this.roomid && 'member');
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
    this.role = ack.role;
    this.locked = ack.locked;
    this.roles.clear();
    for (const p of ack.peers) this.roles.set(p.userid, p.role);
    const relay = ack.iceTransportPolicy === 'relay';
    const iceChanged = relay !== this.serverForcesRelay || JSON.stringify(ack.iceServers) !== JSON.stringify(this.serverIceServers);
    this.serverIceServers = ack.iceServers;
    this.serverForcesRelay = relay;
    if (iceChanged) this.media.configure();
    // An sfu room gets a fresh SFU transport on every (re)join: the server's Janus side starts over too.
    if (ack.topology === 'sfu') this.use(this.create('sfu'));
    else if (this.media.name === 'sfu') this.use(this.mesh());
    const fresh = this.members.reconcile(ack.peers, rejoin);
    // A rejoin with another token may have gained or lost `publish`.
    this.media.syncStreams();
    this.checkPublishing();
    this.setState('joined');
    this.hooks.joined(ack);
    // A host's mute outlives a reload: mute again, until this user unmutes.
    for (const kind of ack.hostMuted ?? []) {
      this.local.hostMuted.add(kind);
      this.hooks.notice?.('host-mute', { kind, by: '' });
    }
    for (const userid of fresh) {
      const rec = this.peers.get(userid);
      if (rec) this.hooks.peerJoin(userid, rec.extra);
    }
    // What we said while offline was dropped with the send buffer: say the current state again.
    if (rejoin) this.media.announceStreams();
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
    this.lobbyWait?.(new RoomError('aborted', 'Left the lobby.'));
    this.members.removeAll('leave');
    this.finishMove();
    if (this.media.name === 'sfu') this.use(this.mesh());
    this.media.warm?.(false);
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
    this.members.removeAll('leave');
    this.finishMove();
    this.media.stop();
    // An SFU transport belongs to this socket's room: a revived element starts from a mesh.
    if (this.media.name === 'sfu') this.media = this.mesh();
    this.roomid = null;
    if (socket) {
      socket.removeAllListeners();
      socket.disconnect();
    }
    this.socket = null;
    this.destroyed = true;
    this.tokenWatch?.stop();
    clearTimeout(this.rejoinTimer);
    if (wasIn) {
      this.setState('left');
      this.hooks.left();
    }
  }

  /** The element came back into the page after destroy(): allow a fresh start. */
  revive(): void {
    this.destroyed = false;
    this.media.start();
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
  // The transport

  private rtcConfig(): RTCConfiguration {
    return {
      iceServers: this.iceServers ?? (this.serverIceServers as RTCIceServer[]),
      iceTransportPolicy: this.serverForcesRelay ? 'relay' : this.iceTransportPolicy,
      bundlePolicy: 'max-bundle',
    };
  }

  private transportContext(): TransportContext {
    return {
      userid: () => this.userid,
      session: randomId(),
      rtcConfig: () => this.rtcConfig(),
      published: () => this.local.published(),
    };
  }

  /** A transport's hooks; `mine`: its remote streams; `current`: it is the room's transport (not one a move leaves). */
  private transportHooks(mine: Map<string, Shown>, current: () => boolean): TransportHooks {
    return {
      signal: (to, data) => {
        this.socket?.emit('signal', { to, data }, (ack) => {
          if (!ack.ok && ack.error.code !== 'peer-not-found') this.hooks.warn(`signal to ${to}: ${ack.error.code}: ${ack.error.message}`);
        });
      },
      remoteStream: (userid, stream, info, source = stream.id) => {
        const key = `${userid} ${source}`;
        const seen = this.shown.get(key);
        if (seen && seen.from !== mine) {
          // A move: the page's stream takes this transport's tracks once they receive media.
          mine.set(stream.id, seen);
          seen.next = mine;
          // (Two transports means a move or a rejoin that involved the SFU: its module is loaded.)
          sfuModule!.follow(seen, mine, stream, info, MOVE_WAIT_MS - 1000, () => this.shown.get(key) === seen && mine.get(stream.id) === seen, () => this.moved(), (kind, muted) =>
            this.hooks.remoteMute(userid, seen.display.id, kind, muted),
          );
          return;
        }
        if (!this.streamOwners.claim(userid, stream.id)) {
          this.hooks.warn(`a stream from ${userid} was refused: its id ${stream.id} belongs to ${this.streamOwners.owner(stream.id)}`);
          return;
        }
        const shown: Shown = { key, userid, kind: info.kind, display: stream, from: mine, audio: !!info.audioMuted, video: !!info.videoMuted };
        this.shown.set(key, shown);
        mine.set(stream.id, shown);
        this.hooks.remoteStream(userid, stream, info, this.peers.get(userid)?.extra ?? null);
      },
      remoteStreamEnded: (userid, streamid, kind) => {
        const shown = mine.get(streamid);
        mine.delete(streamid);
        // The old transport lost it during a move (the other side finished its move first): the new one takes it over, or it ends with the move.
        if (shown?.from === mine && this.outgoing && this.owned.get(this.outgoing) === mine) shown.from = shown.next ?? ORPHAN;
        // Another transport plays in it now (or will: the move is not over).
        if (shown?.from !== mine) return;
        this.shown.delete(shown.key);
        const id = shown.display.id;
        if (!this.streamOwners.owns(userid, id)) return;
        this.streamOwners.release(userid, id);
        this.hooks.remoteStreamEnded(userid, id, kind);
      },
      remoteMute: (userid, streamid, kind, muted) => {
        const shown = mine.get(streamid);
        if (shown?.from !== mine) return;
        shown[kind] = muted;
        if (this.streamOwners.owns(userid, shown.display.id)) this.hooks.remoteMute(userid, shown.display.id, kind, muted);
      },
      peerState: (userid, state: PeerState) => {
        if (!current()) return;
        this.hooks.peerState(userid, state);
        this.members.stateChanged(userid, state);
      },
      message: (userid, data) => {
        if (this.members.maySendData(userid)) this.hooks.message(userid, data, 'data');
      },
      // A connection a move leaves is not rebuilt.
      lost: (userid) => !current() || this.members.lost(userid),
      warn: (message, err) => this.hooks.warn(message, err),
      error: (err) => this.hooks.error(err),
    };
  }

  private onSignal({ from, data }: SignalMessage): void {
    if (!this.roomid || from === this.userid) return;
    if (!this.peers.has(from)) {
      if (!this.media.opensCall(data)) return;
      this.members.stranger(from);
    }
    if (this.media.handleSignal(from, data)) this.members.heard(from);
  }

  // ---------------------------------------------------------------------------
  // Local media

  /** What this user's room token grants (everything without room tokens). */
  may(permission: Permission): boolean {
    return grants(this.permissions ?? undefined, permission);
  }

  /**
   * Captures without `publish`: the server would refuse the offer and leave
   * negotiation stuck, so they are kept local, and the page is told once.
   */
  private checkPublishing(): void {
    if (this.may('publish') || !this.localStreams.size || !this.roomid || this.publishRefusalReported) return;
    this.publishRefusalReported = true;
    this.hooks.error(new RoomError('forbidden', 'Your room token does not allow publishing: your media stays on this page.'));
  }

  /** Shares a stream with everyone in the room (kept local without `publish`). */
  addStream(stream: MediaStream, kind: StreamKind): void {
    if (this.local.add(stream, kind)) this.checkPublishing();
  }

  removeStream(streamid: string): void {
    this.local.remove(streamid);
  }

  /** Swaps a track of a shared stream (another device). */
  replaceTrack(streamid: string, oldTrack: MediaStreamTrack | null, newTrack: MediaStreamTrack): void {
    this.local.replaceTrack(streamid, oldTrack, newTrack);
  }

  /** Tells everyone a shared stream's audio or video was muted or unmuted. */
  setMuted(streamid: string, kind: 'audio' | 'video', muted: boolean): void {
    // Unmuting is this user's own action: it lifts a host's mute (told first: the server refuses the announcement otherwise).
    if (!muted && this.local.hostMuted.delete(kind)) this.socket?.emit('member:unmute', { kind }, () => {});
    this.local.setMuted(streamid, kind, muted);
  }

  // ---------------------------------------------------------------------------
  // Hosts (the server refuses these to participants: `forbidden`)

  async hostRequest<E extends 'host:make' | 'lobby:admit' | 'lobby:deny' | 'member:mute' | 'member:remove' | 'room:lock' | 'room:end'>(
    event: E,
    payload: Parameters<ClientToServerEvents[E]>[0],
  ): Promise<void> {
    if (!this.roomid || !this.socket) throw new RoomError('not-joined', `${event}: not in a room.`);
    await request(this.socket, event, payload);
    if (event === 'room:end') await this.leave();
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
    const token = this.options.token;
    this.tokenWatch?.stop();
    if (this.destroyed || !this.socket || !token) return;
    void import('./token.js').then(({ TokenExpiryWatch }) => {
      if (token === this.options.token && !this.destroyed) (this.tokenWatch ??= new TokenExpiryWatch((at) => this.hooks.tokenExpiring(at))).watch(token);
    });
  }

  // ---------------------------------------------------------------------------
  // Messages

  /** Sends over the data channels to everyone, or to one user. */
  send(data: DataPayload, userid?: string): void {
    if (!this.roomid) throw new RoomError('not-joined', 'send(): not in a room.');
    if (!this.may('data')) throw new RoomError('forbidden', 'send(): your room token does not allow sending data.');
    if (userid !== undefined && !this.peers.has(userid)) throw new RoomError('peer-not-found', `send(): no user "${userid}" in this room.`);
    this.media.send(data, userid);
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

