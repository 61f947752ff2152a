/**
 * RTCMultiConnection's page-facing API (v3) as a thin layer over RoomClient
 * and captureUserMedia(): no rooms or peers of its own. What pages use is
 * mapped; any other name is a no-op that warns once (see README).
 */
import { captureUserMedia } from '../capture/capture.js';
import type { Extra, JsonValue, StreamKind } from '../protocol.js';
import { RoomClient, type RoomHooks } from '../room/room-client.js';
import { RoomError } from '../room/signaling.js';

/** What RTCMultiConnection calls a session: what to capture and how. */
export interface CompatSession {
  audio?: boolean;
  video?: boolean;
  screen?: boolean;
  data?: boolean;
  oneway?: boolean;
  [key: string]: unknown;
}

/** The `onstream` / `onstreamended` event, shaped as RTCMultiConnection's. */
export interface CompatStreamEvent {
  type: 'local' | 'remote';
  stream: MediaStream;
  streamid: string;
  userid: string;
  extra: Extra;
  mediaElement: HTMLVideoElement;
  isScreen: boolean;
  isAudio: boolean;
  isVideo: boolean;
  isAudioMuted: boolean;
}

export interface CompatUserEvent {
  userid: string;
  extra: Extra;
}

export interface CompatMessageEvent extends CompatUserEvent {
  data: unknown;
}

/** `connection.peers[userid]`. */
export interface CompatPeer extends CompatUserEvent {
  readonly peer: RTCPeerConnection;
  streams: MediaStream[];
}

type JoinCallback = (ok: boolean, roomid: string, error?: string) => void;
type Listener = (...args: unknown[]) => void;

/** socket.io's own events: handed to the real socket, never relayed. */
const SOCKET_EVENTS = new Set(['connect', 'disconnect', 'connect_error', 'reconnect', 'reconnect_attempt', 'reconnect_error', 'reconnect_failed']);

/** Our server's error codes in the words RTCMultiConnection's server used (pages compare them). */
const ERROR_TEXT: Record<string, string> = {
  'room-not-found': 'Room not available',
  'room-exists': 'Room not available',
  'invalid-password': 'Invalid password',
  'room-full': 'Room full',
};

const USERID_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomString(length = 16): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => USERID_CHARS[b % USERID_CHARS.length]).join('');
}

/** Names the one-time warnings have already named, per page (not per instance: one line is enough). */
const warned = new Set<string>();
function warnOnce(name: string, what: string): void {
  if (warned.has(name)) return;
  warned.add(name);
  console.warn(`RTCMultiConnection (rtc-elements compat): ${what}`);
}

/**
 * RTCMultiConnection 3.7.1's other methods and event handlers: reading one
 * gives a function that does nothing (a page calling it must not throw).
 */
const OTHER_METHODS = new Set(
  ('acceptParticipationRequest addStream applyConstraints beforeAddingStream beforeRemovingStream changeUserId ' +
    'closeEntireSession connect deletePeer disconnectWith getExtraData getNumberOfBroadcastViewers getRemoteStreams ' +
    'getSocket invokeGetUserMedia invokeSelectFileDialog modifyScreenConstraints processSdp rejoin removeStream ' +
    'replaceTrack resetScreen resetTrack sendCustomMessage setCustomSocketEvent setCustomSocketHandler setPassword ' +
    'setStreamEndHandler setUserPreferences shareFile getChromeExtensionStatus checkIfChromeExtensionAvailable ' +
    'onEntireSessionClosed onFileEnd onFileProgress onFileStart onNewParticipant onNumberOfBroadcastViewersUpdated ' +
    'onPeerStateChanged onReConnecting onReadyForOffer onSettingLocalDescription onSocketDisconnect onSocketError ' +
    'onUserIdAlreadyTaken onUserStatusChanged onbeforeunload onerror onmute onunmute').split(' '),
);
/** Its other settings: accepted and stored, with no effect. */
const OTHER_SETTINGS = new Set(
  ('BandwidthHandler CodecsHandler DetectRTC StreamsHandler autoCloseEntireSession autoCreateMediaElement bundlePolicy ' +
    'chunkSize closeBeforeUnload direction dontAttachStream dontGetRemoteStream enableFileSharing enableScalableBroadcast ' +
    'filesContainer iceCandidatePoolSize iceProtocols iceTransportPolicy isLowBandwidth maxRelayLimitPerUser ' +
    'publicRoomIdentifier rtcpMuxPolicy sdpSemantics socketAutoReConnect socketCustomEvent socketCustomParameters ' +
    'socketMessageEvent trickleIce').split(' '),
);

function errorText(err: unknown): string {
  if (err instanceof RoomError) return ERROR_TEXT[err.code] ?? err.message;
  return err instanceof Error ? err.message : String(err);
}

function createMediaElement(stream: MediaStream, local: boolean): HTMLVideoElement {
  const video = document.createElement('video');
  video.id = stream.id;
  video.autoplay = true;
  video.playsInline = true;
  video.controls = true;
  // Muted before srcObject: autoplay policy lets a muted element start, and a local preview must never echo.
  video.muted = local;
  if (local) video.volume = 0;
  video.srcObject = stream;
  return video;
}

/**
 * Plays a media element; when autoplay rules refuse sound (no user gesture
 * yet), plays it muted and unmutes on the page's next click or key press.
 * RTCMultiConnection left such a video paused.
 */
function playOrMute(el: HTMLMediaElement): void {
  el.play()?.catch((err: unknown) => {
    if ((err as { name?: string })?.name !== 'NotAllowedError' || el.muted) return;
    el.muted = true;
    el.play()?.catch(() => {});
    const unmute = () => {
      document.removeEventListener('pointerdown', unmute, true);
      document.removeEventListener('keydown', unmute, true);
      if (el.isConnected) el.muted = false;
    };
    document.addEventListener('pointerdown', unmute, true);
    document.addEventListener('keydown', unmute, true);
  });
}

/**
 * The socket pages see as `connection.socket`: socket.io's own events go to
 * the real socket; any other event is a room-scoped custom message relayed by
 * our server (`custom`), queued until the connection is in a room.
 */
export class CompatSocket {
  private readonly listeners = new Map<string, Set<Listener>>();
  /** Emitted before joining: sent once joined, to whoever is in the room then. */
  private queue: [event: string, data: unknown, ack?: Listener][] = [];

  constructor(private readonly owner: RTCMultiConnection) {}

  get connected(): boolean {
    return !!this.owner.room?.socket?.connected;
  }

  get id(): string | undefined {
    return this.owner.room?.socket?.id;
  }

  emit(event: string, ...args: unknown[]): this {
    if (typeof event !== 'string' || !event) return this;
    const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as Listener) : undefined;
    const data = args.length > 1 ? args : args[0];
    if (SOCKET_EVENTS.has(event)) {
      this.owner.log(`socket.emit('${event}') is socket.io's own event: ignored`);
      return this;
    }
    if (!this.owner.room?.roomid) this.queue.push([event, data, ack]);
    else this.relay(event, data, ack);
    return this;
  }

  on(event: string, listener: Listener): this {
    if (typeof listener !== 'function') return this;
    if (SOCKET_EVENTS.has(event)) {
      this.owner.room?.socket?.on(event as 'connect', listener as () => void);
      return this;
    }
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener);
    this.listeners.set(event, set);
    return this;
  }

  addEventListener(event: string, listener: Listener): this {
    return this.on(event, listener);
  }

  once(event: string, listener: Listener): this {
    const wrapped: Listener = (...args) => {
      this.off(event, wrapped);
      listener(...args);
    };
    return this.on(event, wrapped);
  }

  off(event?: string, listener?: Listener): this {
    if (event === undefined) {
      this.listeners.clear();
      return this;
    }
    if (SOCKET_EVENTS.has(event)) {
      if (listener) this.owner.room?.socket?.off(event as 'connect', listener as () => void);
      return this;
    }
    if (listener) this.listeners.get(event)?.delete(listener);
    else this.listeners.delete(event);
    return this;
  }

  removeListener(event?: string, listener?: Listener): this {
    return this.off(event, listener);
  }

  removeAllListeners(event?: string): this {
    return this.off(event);
  }

  disconnect(): this {
    this.owner.closeSocket();
    return this;
  }

  /** @internal A custom message from a member of the room. */
  deliver(event: string, data: unknown): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        listener(data);
      } catch (err) {
        console.error(err);
      }
    }
  }

  /** @internal Joined: send what was emitted before. */
  flush(): void {
    const queued = this.queue;
    this.queue = [];
    for (const [event, data, ack] of queued) this.relay(event, data, ack);
  }

  /** @internal */
  reset(): void {
    this.queue = [];
    this.listeners.clear();
  }

  private relay(event: string, data: unknown, ack?: Listener): void {
    const room = this.owner.room;
    if (!room) return;
    room.emit(event, data as JsonValue).then(
      () => ack?.(),
      (err: unknown) => {
        this.owner.log(`socket.emit('${event}') was not relayed: ${errorText(err)}`);
        ack?.(errorText(err));
      },
    );
  }
}

/**
 * `new RTCMultiConnection()`, as pages written for RTCMultiConnection v3 use
 * it, on top of RoomClient. See README ("Coming from RTCMultiConnection").
 */
export class RTCMultiConnection {
  socketURL = '/';
  session: CompatSession = { audio: true, video: true };
  mediaConstraints: MediaStreamConstraints = { audio: true, video: true };
  /** Accepted for compatibility; negotiation always offers to receive what peers send. */
  sdpConstraints: Record<string, unknown> = { mandatory: { OfferToReceiveAudio: true, OfferToReceiveVideo: true }, optional: [] };
  dontCaptureUserMedia = false;
  attachStreams: MediaStream[] = [];
  userid = randomString();
  sessionid = '';
  extra: Extra = {};
  password = '';
  /** Sent with open(); the server caps it at its own maximum. */
  maxParticipantsAllowed = 1000;
  /** Empty: use what the server hands out (our server names none unless configured; no public defaults). */
  iceServers: RTCIceServer[] = [];
  enableLogs = true;
  isInitiator = false;
  socket: CompatSocket | null = null;
  streamEvents: Record<string, CompatStreamEvent> = {};
  /** Accepted; nested writes (connection.bandwidth.audio = 128) have no effect. */
  bandwidth: Record<string, unknown> = { screen: false, audio: false, video: false };
  codecs: Record<string, unknown> = { audio: 'opus', video: 'VP8' };
  candidates: Record<string, unknown> = { host: true, stun: true, turn: true };
  socketOptions: Record<string, unknown> = {};
  peers: Record<string, CompatPeer> = {};
  /** @internal The room this connection drives; null until the socket is needed. */
  room: RoomClient | null = null;

  private explicitContainer: HTMLElement | null = null;
  private readonly facade = new CompatSocket(this);
  private readonly shared = new Set<string>();

  constructor() {
    Object.defineProperty(this.peers, 'getAllParticipants', { value: () => this.getAllParticipants(), enumerable: false });
    // What RTCMultiConnection had and this layer does not: a no-op that names itself once.
    // A page's own properties (connection.recorder = …) stay plain, unset ones undefined.
    return new Proxy(this, {
      get(target, key, receiver) {
        if (typeof key === 'symbol' || key in target) return Reflect.get(target, key, receiver);
        if (OTHER_METHODS.has(key)) {
          warnOnce(key, `connection.${key}() is not supported by this compatibility layer; it does nothing.`);
          return () => undefined;
        }
        if (OTHER_SETTINGS.has(key)) warnOnce(key, `connection.${key} is not supported by this compatibility layer; it has no effect.`);
        return undefined;
      },
      set(target, key, value, receiver) {
        if (typeof key === 'string' && !(key in target) && (OTHER_METHODS.has(key) || OTHER_SETTINGS.has(key))) {
          warnOnce(key, `connection.${key} is not supported by this compatibility layer; setting it has no effect.`);
        }
        return Reflect.set(target, key, value, receiver);
      },
    });
  }

  /** Where the default onstream puts media elements (RTCMultiConnection: document.body). */
  get videosContainer(): HTMLElement {
    return this.explicitContainer ?? document.body ?? document.documentElement;
  }

  set videosContainer(el: HTMLElement) {
    this.explicitContainer = el instanceof HTMLElement ? el : null;
  }

  // ---------------------------------------------------------------------------
  // Events (pages replace these)

  /** Default: puts the media element first in videosContainer and plays it, as RTCMultiConnection does. */
  onstream(event: CompatStreamEvent): void {
    const el = event?.mediaElement;
    if (!(el instanceof HTMLMediaElement)) return;
    const parent = this.videosContainer;
    parent.insertBefore(el, parent.firstChild);
    playOrMute(el);
  }

  /** Default: removes the stream's media element. */
  onstreamended(event: CompatStreamEvent): void {
    const el = event?.mediaElement ?? (event?.streamid ? document.getElementById(event.streamid) : null);
    el?.remove();
  }

  onopen(_event: CompatUserEvent): void {}
  onclose(_event: CompatUserEvent): void {}
  onleave(_event: CompatUserEvent): void {}
  onmessage(_event: CompatMessageEvent): void {}
  onExtraDataUpdated(_event: CompatUserEvent): void {}
  onMediaError(error: unknown, constraints?: unknown): void {
    if (this.enableLogs) console.error(error, constraints);
  }

  // ---------------------------------------------------------------------------
  // Socket

  /** Connects to the signaling server; `callback(socket)` once connected. */
  connectSocket(callback?: (socket: CompatSocket) => void): void {
    const room = this.ensureRoom();
    const socket = room.connect();
    this.socket = this.facade;
    const done = () => {
      try {
        callback?.(this.facade);
      } catch (err) {
        console.error(err);
      }
    };
    if (socket.connected) queueMicrotask(done);
    else socket.once('connect', done);
  }

  /** Leaves the room and closes the signaling connection. */
  closeSocket(): void {
    const room = this.room;
    if (!room) return;
    this.endAllRemote();
    room.destroy();
    this.room = null;
    this.socket = null;
    this.facade.reset();
    this.shared.clear();
    this.isInitiator = false;
  }

  // ---------------------------------------------------------------------------
  // Media

  /**
   * Captures what `session` (or `connection.session`) asks for, with
   * `mediaConstraints`; fires `onstream` (local) and calls `callback(stream)`.
   * With `dontCaptureUserMedia`, calls `callback()` at once, as RTCMultiConnection did.
   */
  captureUserMedia(callback?: (stream?: MediaStream) => void, session?: CompatSession | MediaStreamConstraints): void {
    const cb = typeof callback === 'function' ? callback : () => {};
    const s = (session && typeof session === 'object' ? session : this.session) as CompatSession & MediaStreamConstraints;
    if (this.dontCaptureUserMedia || (!s.audio && !s.video && !s.screen)) {
      cb();
      return;
    }
    void this.capture(s).then((stream) => {
      if (stream) cb(stream);
    });
  }

  /** Aliased as RTCMultiConnection did. */
  getUserMedia(callback?: (stream?: MediaStream) => void, session?: CompatSession): void {
    this.captureUserMedia(callback, session);
  }

  private async capture(s: CompatSession & MediaStreamConstraints): Promise<MediaStream | null> {
    const pick = (want: unknown, base: MediaStreamConstraints['audio']): MediaStreamConstraints['audio'] =>
      want && typeof want === 'object' ? (want as MediaTrackConstraints) : want ? (base ?? true) : false;
    const constraints = s.screen
      ? { screen: true, video: true, audio: false }
      : { audio: pick(s.audio, this.mediaConstraints?.audio), video: pick(s.video, this.mediaConstraints?.video) };
    try {
      const stream = await captureUserMedia(constraints);
      this.adoptLocal(stream, s.screen ? 'screen' : stream.getVideoTracks().length ? 'camera' : 'audio');
      if (s.screen && (s.audio || s.video)) {
        // A screen plus a camera/microphone: two streams, as RTCMultiConnection captured them.
        const rest = await this.capture({ ...s, screen: false });
        return rest ?? stream;
      }
      return stream;
    } catch (err) {
      try {
        this.onMediaError(err, constraints);
      } catch (e) {
        console.error(e);
      }
      return null;
    }
  }

  /** A captured stream: attachStreams, streamEvents, local onstream (once per stream), shared if in a room. */
  private adoptLocal(stream: MediaStream, kind: StreamKind): void {
    try {
      (stream as MediaStream & { streamid?: string }).streamid = stream.id;
    } catch {
      // a frozen stream object: pages fall back to stream.id
    }
    if (!this.attachStreams.includes(stream)) this.attachStreams.push(stream);
    if (!this.streamEvents[stream.id]) {
      const event = this.streamEvent('local', stream, this.userid, this.extra, kind);
      this.streamEvents[stream.id] = event;
      const ended = () => {
        if (stream.getTracks().some((t) => t.readyState !== 'ended')) return;
        this.room?.removeStream(stream.id);
        this.shared.delete(stream.id);
        this.endStream(stream.id);
      };
      for (const track of stream.getTracks()) track.addEventListener('ended', ended);
      this.fire('onstream', event);
    }
    if (this.room) this.shareStreams();
  }

  private streamEvent(type: 'local' | 'remote', stream: MediaStream, userid: string, extra: Extra, kind: StreamKind): CompatStreamEvent {
    const isVideo = kind !== 'audio' && stream.getVideoTracks().length > 0;
    return {
      type,
      stream,
      streamid: stream.id,
      userid,
      extra,
      mediaElement: createMediaElement(stream, type === 'local'),
      isScreen: kind === 'screen',
      isVideo: isVideo && kind !== 'screen',
      isAudio: !isVideo,
      isAudioMuted: stream.getAudioTracks().length > 0 && stream.getAudioTracks().every((t) => !t.enabled),
    };
  }

  /** Sends `attachStreams` to the room: new ones added, removed ones withdrawn. */
  private shareStreams(): void {
    const room = this.room;
    if (!room) return;
    const wanted = new Set(this.attachStreams.filter((s) => s instanceof MediaStream).map((s) => s.id));
    for (const id of [...this.shared]) {
      if (wanted.has(id)) continue;
      room.removeStream(id);
      this.shared.delete(id);
    }
    // One-way: only the opener sends (before the join ack, whoever may become it waits).
    if (this.session?.oneway && !(this.isInitiator && room.roomid)) return;
    for (const stream of this.attachStreams) {
      if (!(stream instanceof MediaStream) || this.shared.has(stream.id)) continue;
      this.shared.add(stream.id);
      const kind = this.streamEvents[stream.id]?.isScreen ? 'screen' : stream.getVideoTracks().length ? 'camera' : 'audio';
      room.addStream(stream, kind);
    }
  }

  /** Re-reads attachStreams (after a page pushed or removed streams). */
  renegotiate(): void {
    if (this.room) this.shareStreams();
  }

  // ---------------------------------------------------------------------------
  // Rooms

  open(roomid?: string, callback?: JoinCallback | boolean): void {
    this.enter('open', roomid, typeof callback === 'function' ? callback : undefined);
  }

  join(roomid?: string | { sessionid?: string }, callback?: JoinCallback | object): void {
    const id = typeof roomid === 'object' && roomid ? roomid.sessionid : roomid;
    this.enter('join', id, typeof callback === 'function' ? (callback as JoinCallback) : undefined);
  }

  /** `callback(isRoomExist, roomid, error)`: isRoomExist is true when the room was there and this connection joined it. */
  openOrJoin(roomid?: string, callback?: (isRoomExist: boolean, roomid: string, error?: string) => void): void {
    this.enter('open-or-join', roomid, callback);
  }

  /** `callback(isRoomExist, roomid, extra)`. */
  checkPresence(roomid?: string, callback?: (isRoomExist: boolean, roomid: string, extra: Extra) => void): void {
    const id = String(roomid || this.sessionid || '');
    this.ensureRoom()
      .presence(id)
      .then(
        (p) => callback?.(p.exists, id, {}),
        (err: unknown) => {
          this.log(`checkPresence(${id}): ${errorText(err)}`);
          callback?.(false, id, {});
        },
      )
      .catch((err: unknown) => console.error(err));
  }

  private enter(mode: 'open' | 'join' | 'open-or-join', roomid: string | undefined, callback: ((ok: boolean, roomid: string, error?: string) => void) | undefined): void {
    const id = String(roomid || this.sessionid || randomString());
    this.sessionid = id;
    const room = this.ensureRoom();
    this.socket = this.facade;
    const reply = (ok: boolean, error?: string) => {
      try {
        callback?.(ok, id, error);
      } catch (err) {
        console.error(err);
      }
    };
    const go = async () => {
      // As RTCMultiConnection: capture first unless told not to, or data-only, or a one-way joiner.
      const oneWayJoiner = this.session?.oneway && mode === 'join';
      if (!this.dontCaptureUserMedia && !this.attachStreams.length && !this.session?.data && !oneWayJoiner) {
        const s = this.session ?? {};
        if (s.audio || s.video || s.screen) await this.capture(s);
      }
      room.iceServers = Array.isArray(this.iceServers) && this.iceServers.length ? this.iceServers : null;
      // connection.extra as it is now, as RTCMultiConnection sent it with the join.
      room.extra = this.extra === undefined ? null : this.extra;
      // Shared before the request, so the first offers already carry them.
      this.shareStreams();
      const max = Math.max(2, Math.floor(Number(this.maxParticipantsAllowed)) || 2);
      const ack = await room.enter({
        mode,
        roomid: id,
        ...(this.password ? { password: String(this.password) } : {}),
        maxParticipants: max,
      });
      if (mode === 'open') reply(true);
      else if (mode === 'join') reply(true);
      else reply(!ack.isInitiator);
    };
    go().catch((err: unknown) => {
      this.log(`${mode}(${id}): ${errorText(err)}`);
      reply(false, errorText(err));
    });
  }

  /** Leaves the room (peers hear it); keeps the socket and the local streams. */
  leave(): void {
    const room = this.room;
    if (!room) return;
    this.endAllRemote();
    this.isInitiator = false;
    room.leave().catch(() => {});
  }

  /** RTCMultiConnection's other names for leave(). */
  close(): void {
    this.leave();
  }

  disconnect(): void {
    this.leave();
  }

  getAllParticipants(): string[] {
    return Object.keys(this.peers);
  }

  /** A random id, as RTCMultiConnection's token(). */
  token(): string {
    return randomString();
  }

  // ---------------------------------------------------------------------------
  // Data

  /** Sends over the data channels to everyone, or to one user. */
  send(data: unknown, remoteUserId?: string): void {
    try {
      this.room?.send(data, remoteUserId);
      if (!this.room) this.log('send(): not in a room');
    } catch (err) {
      this.log(`send(): ${errorText(err)}`);
    }
  }

  /** Tells the room about a changed `connection.extra`. */
  updateExtraData(): void {
    const extra = this.extra === undefined ? null : this.extra;
    for (const event of Object.values(this.streamEvents)) if (event.type === 'local') event.extra = extra;
    if (!this.room) return;
    this.room.updateExtra(extra).catch((err: unknown) => this.log(`updateExtraData(): ${errorText(err)}`));
  }

  // ---------------------------------------------------------------------------
  // Internals

  /** @internal A console line when enableLogs is on. */
  log(message: string, err?: unknown): void {
    if (this.enableLogs) console.warn(`RTCMultiConnection: ${message}`, ...(err === undefined ? [] : [err]));
  }

  private fire<K extends 'onstream' | 'onstreamended' | 'onopen' | 'onclose' | 'onleave' | 'onmessage' | 'onExtraDataUpdated'>(
    name: K,
    event: Parameters<RTCMultiConnection[K]>[0],
  ): void {
    const handler = this[name] as unknown;
    if (typeof handler !== 'function') return;
    try {
      (handler as (e: unknown) => void).call(this, event);
    } catch (err) {
      // A page's handler that throws must not break the room.
      console.error(err);
    }
  }

  private endStream(streamid: string): void {
    const event = this.streamEvents[streamid];
    if (!event) return;
    delete this.streamEvents[streamid];
    if (event.type === 'local') this.attachStreams = this.attachStreams.filter((s) => s !== event.stream);
    else for (const p of Object.values(this.peers)) p.streams = p.streams.filter((s) => s !== event.stream);
    this.fire('onstreamended', event);
  }

  private endAllRemote(userid?: string): void {
    for (const [id, event] of Object.entries(this.streamEvents)) {
      if (event.type === 'remote' && (userid === undefined || event.userid === userid)) this.endStream(id);
    }
  }

  private addPeer(userid: string, extra: Extra): void {
    if (this.peers[userid]) {
      this.peers[userid].extra = extra;
      return;
    }
    const room = () => this.room;
    this.peers[userid] = {
      userid,
      extra,
      streams: [],
      get peer(): RTCPeerConnection {
        // The current connection (RoomClient may rebuild it); undefined once the user left.
        return room()?.connection(userid) as RTCPeerConnection;
      },
    };
  }

  private ensureRoom(): RoomClient {
    if (this.room) return this.room;
    const url = String(this.socketURL ?? '').trim();
    const hooks: RoomHooks = {
      state: () => {},
      joined: (ack) => {
        this.userid = ack.userid;
        this.isInitiator = ack.isInitiator;
        this.sessionid = ack.roomid;
        this.shareStreams();
        this.facade.flush();
      },
      left: () => {},
      error: (err) => this.log(`${err.code}: ${err.message}`),
      peerJoin: (userid, extra) => this.addPeer(userid, extra),
      peerLeave: (userid) => {
        const peer = this.peers[userid];
        if (!peer) return;
        this.endAllRemote(userid);
        delete this.peers[userid];
        const event = { userid, extra: peer.extra };
        this.fire('onclose', event);
        this.fire('onleave', event);
      },
      peerUpdate: (userid, extra) => {
        const peer = this.peers[userid];
        if (!peer) return;
        peer.extra = extra;
        for (const e of Object.values(this.streamEvents)) if (e.userid === userid) e.extra = extra;
        this.fire('onExtraDataUpdated', { userid, extra });
      },
      peerState: (userid, state) => {
        const peer = this.peers[userid];
        if (state === 'connected' && peer && !(peer as CompatPeer & { opened?: boolean }).opened) {
          (peer as CompatPeer & { opened?: boolean }).opened = true;
          this.fire('onopen', { userid, extra: peer.extra });
        }
      },
      remoteStream: (userid, stream, info, extra) => {
        if (this.streamEvents[stream.id]) return;
        this.addPeer(userid, extra);
        this.peers[userid]!.streams.push(stream);
        try {
          (stream as MediaStream & { streamid?: string }).streamid = stream.id;
        } catch {
          // frozen: pages use event.streamid
        }
        const event = this.streamEvent('remote', stream, userid, extra, info.kind);
        event.isAudioMuted = !!info.audioMuted;
        this.streamEvents[stream.id] = event;
        this.fire('onstream', event);
      },
      remoteStreamEnded: (_userid, streamid) => this.endStream(streamid),
      remoteMute: () => {},
      message: (userid, data, via, event) => {
        if (via === 'socket') {
          if (event) this.facade.deliver(event, data);
          return;
        }
        this.fire('onmessage', { data, userid, extra: this.peers[userid]?.extra ?? null });
      },
      tokenExpiring: () => {},
      tokenExpired: () => {},
      warn: (message, err) => this.log(message, err),
    };
    this.room = new RoomClient(
      {
        // '/' (RTCMultiConnection's default) and '' mean this page's origin.
        ...(url && url !== '/' ? { socketUrl: url } : {}),
        userid: String(this.userid),
        extra: this.extra === undefined ? null : this.extra,
      },
      hooks,
    );
    // The socket exists from here on, so connection.socket.on('disconnect', …) has something to attach to.
    this.room.connect();
    return this.room;
  }
}
