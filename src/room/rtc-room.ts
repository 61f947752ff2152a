/** <rtc-room>: adapts attributes, properties and DOM events to a RoomClient, and renders remote streams as <remote-stream> tiles. */
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import {
  PeerJoinEvent,
  PeerLeaveEvent,
  PeerStateEvent,
  PeerUpdateEvent,
  RoomErrorEvent,
  RoomJoinedEvent,
  RoomLeftEvent,
  RoomMessageEvent,
  RoomNoticeEvent,
  RoomStateEvent,
  StreamEndEvent,
  StreamEvent,
  StreamMuteEvent,
  TokenExpiredEvent,
  TokenExpiringEvent,
  type MuteChangeEvent,
  type RoomErrorCode,
  type StreamEndEvent as StreamEndEventType,
  type StreamKind,
  type TrackChangeEvent,
} from '../events.js';
import type { Extra, MediaKind, Role, RoomJoinedPayload, RoomPresencePayload } from '../protocol.js';
import { RemoteStream } from '../remote/remote-stream.js';
import type { DataPayload } from './data-messages.js';
import { RemoteTiles } from './remote-tiles.js';
import { readIceTransportPolicy, readJoinOptions, readReconnectPolicy, releaseUserid, rememberedUserid } from './room-attributes.js';
import { RoomClient, type JoinMode, type RoomState } from './room-client.js';
import { RoomError, type RoomSocket } from './signaling.js';
import type { RoomControls, RoomPeople, RoomPrejoin, RoomSpeaking, RoomStage } from './room-ui.js';
import { langsLoading, pickLang, translator, type StringOverrides, type Translate } from '../ui/strings.js';

/** What `peers` lists for each remote user. */
export interface RoomPeer {
  userid: string;
  extra: unknown;
  /** The RTCPeerConnection to that user (the seed's `peers[userid].peer`). */
  connection: RTCPeerConnection;
  streams: MediaStream[];
}

/** The strings-table keys of the status line, by state. */
const STATUS_KEY: Partial<Record<RoomState, 'connecting' | 'reconnecting'>> = {
  connecting: 'connecting',
  reconnecting: 'reconnecting',
};

/**
 * "Connecting…" / "Reconnecting…" show only once the state has lasted this long: a join answered
 * sooner (the usual case) neither flashes the line nor shifts the tiles down and back, and spends
 * no layout and paint while its offers are being made.
 */
const STATUS_DELAY_MS = 500;

/**
 * @tag rtc-room
 *
 * Joins a room through the signaling server and shares the streams of its
 * `<media-capture>` elements with every other user (full mesh). Remote
 * streams appear as `<remote-stream>` children unless a `stream` listener
 * calls `preventDefault()`.
 *
 * @slot - `<media-capture>` elements to share, and the `<remote-stream>` elements the room adds.
 * @fires room-joined - `{ roomid, userid, isInitiator, peers }`.
 * @fires room-left - `{ roomid }`.
 * @fires room-error - `{ code, message }`: a failed operation, or the server cannot be reached.
 * @fires room-state - `{ state, previous }` on every change of `state`.
 * @fires token-expiring - `{ expiresAt }`: the room token runs out soon; set a fresh `token`.
 * @fires token-expired - `{ message }`: the server refused the token as expired; setting a fresh `token` reconnects and rejoins.
 * @fires peer-join - `{ userid, extra }`.
 * @fires peer-update - `{ userid, extra }`: a user changed its extra.
 * @fires peer-leave - `{ userid, reason }`.
 * @fires peer-state - `{ userid, state }`: connection state to one user.
 * @fires stream - `{ type: 'remote', stream, streamid, userid, extra, kind, mediaElement }` (cancelable); local ones bubble from nested captures.
 * @fires stream-end - `{ type: 'remote', streamid, userid, kind, reason }`.
 * @fires stream-mute - `{ userid, streamid, kind, muted }`.
 * @fires room-message - `{ userid, data, via, event? }`.
 * @fires speaking-change - `{ userid, streamid, speaking }`: a stream's sound started or stopped counting as speech (this user's capture too, with its own userid). Measured only in a call, with `controls` or `layout`, or once a `speaking-change`/`active-speaker` listener is added on the room; `<remote-stream>` and `<media-capture>` tiles get a `speaking` attribute (a ring).
 * @fires active-speaker - `{ userid }`: the loudest recent speaker changed (someone else must stay the loudest for a second: no flapping).
 * @fires room-waiting - `{ roomid, userid, hostPresent, timeoutMs }`: waiting in the lobby (`state="waiting"`).
 * @fires knock - to hosts: `{ userid, extra }` waits in the lobby (`admit()` / `deny()`).
 * @fires lobby-resolved - to hosts: `{ userid, outcome }` (admitted, denied, left).
 * @fires role-change - `{ userid, role }`: a member (or this user) became host.
 * @fires room-locked - `{ locked, by }`.
 * @fires host-mute - `{ kind, by }`: a host muted this user's microphone or camera (its captures are muted; unmuting is up to the user).
 * @fires topology-change - `{ topology }`: an `auto` room moved its media to the SFU (it grew past the server's `--mesh-max`) or back to the mesh (down to 2); the same tiles and streams keep playing (`mediaTopology`).
 * @csspart status - The line that says "Connecting…", "Reconnecting…" or an error.
 * @csspart stage - With `controls` or `layout`: the box the tiles fill. Attributes `layout` (`grid` or `speaker`) and `direction` (`column` in a portrait box); it carries `--rtc-cols`, `--rtc-tile-w`, `--rtc-tile-h`, the grid it was sized with.
 * @csspart main - The large tile's area (speaker layout, a pinned tile, a screen share).
 * @csspart strip - The other tiles, beside the large one (below it in a portrait box); it scrolls when they do not fit.
 * @csspart waiting - The "Waiting for others to join" tile (with `controls`, alone in the room); inside: `waiting-title`, `invite-text`, `invite` (holding `invite-link` and `copy-button`).
 * @csspart waiting-title - "Waiting for others to join".
 * @csspart invite-text - "Share this link to invite others".
 * @csspart invite - The invite link and its copy button.
 * @csspart invite-link - The read-only field with the page's address.
 * @csspart copy-button - Copies the link; says "Copied" for 2 s (where the clipboard refuses, it selects the link instead).
 * @slot main - The large tile. The room moves a tile there itself (`slot="main"`); pages do not set it.
 * @csspart participants-toggle - With `controls`: the bar's Participants button (`aria-expanded`), with the member count (part `participants-count`).
 * @csspart participants-count - The number of people in the call, on the Participants button.
 * @csspart participants - The participants panel (a non-modal dialog; Escape or its `participants-close` button closes it): `participant-list` of `participant` rows, each with `participant-name`, `host-label` for hosts, `mic-state` and `camera-state` (with `off` while muted or off); hosts also see `member-actions` per member (`mute-mic`, `mute-camera`, `make-host`, `remove-button`), the `lobby` queue of `knock` rows (`admit-button`, `deny-button`) and `host-actions` (`lock-button`, pressed while locked; `end-button`).
 * @csspart participants-close - Closes the participants panel.
 * @csspart participant-list - The list of everyone in the call (in the panel).
 * @csspart participant - One person's row: `participant-name`, `host-label`, `mic-state`, `camera-state`, and for hosts `member-actions`.
 * @csspart participant-name - A name, always text ("Ada (You)" for oneself); also in `knock` rows.
 * @csspart host-label - "Host" beside a host's name.
 * @csspart mic-state - The microphone icon (named "Microphone" or "Muted"); part `off` too while muted.
 * @csspart camera-state - The camera icon (named "Camera" or "Camera off"); part `off` too while off.
 * @csspart off - Added to `mic-state` / `camera-state` while that is off.
 * @csspart member-actions - A host's buttons on another member's row.
 * @csspart mute-mic - Turns off that member's microphone (disabled while it is off).
 * @csspart mute-camera - Turns off that member's camera (disabled while it is off).
 * @csspart make-host - Makes that member a host (not on hosts).
 * @csspart remove-button - Removes that member from the room.
 * @csspart lobby - Hosts: the queue of people waiting to join, `knock` rows with `participant-name`, `admit-button` and `deny-button`.
 * @csspart knock - One waiting person.
 * @csspart admit-button - Lets that person in.
 * @csspart deny-button - Turns that person away.
 * @csspart host-actions - Hosts: `lock-button` and `end-button`.
 * @csspart lock-button - Lock room (`aria-pressed` while locked; pressing it again unlocks).
 * @csspart end-button - Ends the room for everyone.
 * @csspart notice - With `controls`: "A host muted your microphone" / "…turned off your camera" (until you unmute), or to hosts "{name} wants to join" while the panel is closed.
 * @csspart prejoin - With `prejoin`, before joining: the pre-join panel (a form); inside it `preview-tile`, `preview` (the camera `<video>`), `avatar` (initials while the camera is off), `level` (the microphone `<meter>`), `prejoin-side`, `prejoin-title`, `prejoin-error` (why the camera or microphone could not start), `name-field`, `name-input`, `device-field`, `device-select`, `preview-toggles` with `mic-toggle` and `camera-toggle`, and `join-button`.
 * @cssproperty --rtc-room-tile-min - Smallest tile width of the default grid (default 240px).
 * @cssproperty --rtc-room-gap - Gap between tiles (default 8px).
 * @cssproperty --rtc-strip - Width of the speaker layout's strip, or its height when it is below (default min(33%, max(20%, 170px)); below: min(25%, max(16%, 96px)), and two tiles fit its width).
 */
export class RtcRoom extends LitElement {
  static override properties = {
    socketUrl: { attribute: 'socket-url' },
    roomId: { attribute: 'room-id' },
    userid: {},
    password: {},
    maxParticipants: { attribute: 'max-participants', converter: (value: string | null) => (value === null || value.trim() === '' ? null : Number(value)) },
    topology: {},
    extra: {
      converter: {
        fromAttribute: (value: string | null): unknown => {
          if (value === null) return null;
          try {
            return JSON.parse(value) as unknown;
          } catch {
            return new InvalidJson(value);
          }
        },
      },
    },
    token: {},
    name: {},
    strings: { attribute: false },
    controls: {},
    layout: {},
    pinned: { attribute: false },
    prejoin: { type: Boolean },
    autojoin: { type: Boolean },
    lobby: { type: Boolean },
    connect: {},
    capture: {},
    noRender: { type: Boolean, attribute: 'no-render' },
    iceTransportPolicy: { attribute: 'ice-transport-policy' },
    iceServers: { attribute: false },
    reconnectAttempts: { attribute: 'reconnect-attempts' },
    reconnectDelay: { attribute: 'reconnect-delay' },
    reconnectDelayMax: { attribute: 'reconnect-delay-max' },
    state: { reflect: true },
    statusMessage: { state: true },
  };

  static override styles = css`
    :host {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(var(--rtc-room-tile-min, 240px), 1fr));
      gap: var(--rtc-room-gap, 8px);
      align-items: start;
    }
    :host([hidden]) {
      display: none;
    }
    [part='status'] {
      grid-column: 1 / -1;
      font: 14px/1.4 system-ui, sans-serif;
      padding: 6px 10px;
      border-radius: 6px;
      background: #fff3cd;
      color: #5c4400;
    }
    [part~='prejoin'] {
      grid-column: 1 / -1;
    }
    :host([state='error']) [part='status'] {
      background: #fde2e1;
      color: #7a1712;
    }
  `;

  /** Signaling server URL; default: the page's own origin. */
  socketUrl: string | null = null;
  /** The room to open or join. */
  roomId: string | null = null;
  /** This user's id (1-64 of A-Z a-z 0-9 _ . -); default: a random one. */
  userid: string | null = null;
  /** Room password (asked for when opening; required to join a protected room). */
  password: string | null = null;
  /** Room size asked for when this client opens the room (the server may allow fewer). */
  maxParticipants: number | null = null;
  /** How a room this element opens carries media: `mesh`, `sfu` (through the server's Janus) or `auto` (a mesh that moves to the SFU as it grows; the default on a server with Janus). Joining keeps the room's own. */
  topology: 'mesh' | 'sfu' | 'auto' | null = null;
  /** Application data shared with peers (JSON in the attribute; any JSON-able value as a property). */
  extra: unknown = null;
  /**
   * Room token (JWT) or shared token, for servers that require one. Changing
   * it applies at the next connection; after a refusal it reconnects and
   * rejoins at once.
   */
  token: string | null = null;
  /** This user's display name, shared with peers as `extra.name` (their tiles show it). */
  name: string | null = null;
  /** Show the control bar: present (`controls`) for every control, or a subset in order (`controls="mic camera leave"`). */
  controls: string | null = null;
  /**
   * `grid` (the default with `controls`): the tiles fill the room's box; `speaker`: the active speaker (or the
   * pinned tile) large, the others in a strip. Setting it (or `controls`) turns the stage on; a screen share or a
   * pinned tile is shown large in either layout.
   */
  layout: string | null = null;
  /** The userid whose tile is shown large (set by `pin()`, `unpin()` or a click on a tile's pin button), or null. */
  pinned: string | null = null;
  /**
   * Before joining, show the pre-join panel instead of the tiles: camera
   * preview, microphone meter, device menus, name, mic/camera on or off, and
   * Join (which sets `name` and calls `openOrJoin()`; with `autojoin`, joining
   * waits for it). Choices are remembered per origin. Gone once joined.
   */
  prejoin = false;
  /** Overrides of any UI string, by key of the strings table (see README); the language comes from `lang`. */
  strings: StringOverrides | null = null;
  /** Open-or-join as soon as the element is connected and has a room id. */
  autojoin = false;
  /** A room this element opens gets a lobby: joiners wait until a host admits them. */
  lobby = false;
  /**
   * `auto` (default): connect to the signaling server as soon as the element
   * is in the page with a `room-id`, so that joining costs one round trip;
   * `manual`: only when joining or checking presence.
   */
  connect: string | null = null;
  /** Space-separated ids of `<media-capture>` elements elsewhere in the same document or shadow root. */
  capture: string | null = null;
  /** Do not create `<remote-stream>` elements. */
  noRender = false;
  /** `all` (default) or `relay` (TURN only: peers never see this user's addresses). */
  iceTransportPolicy: string | null = null;
  /** ICE servers for the peer connections; overrides what the signaling server hands out. */
  iceServers: RTCIceServer[] | null = null;
  /** How many times to try reconnecting to the signaling server before giving up (default: forever). */
  reconnectAttempts: string | number | null = null;
  /** First reconnect delay in ms (default 500), doubled each attempt with ±30 % jitter... */
  reconnectDelay: string | number | null = null;
  /** ...up to this many ms (default 2000). */
  reconnectDelayMax: string | number | null = null;
  /** `idle`, `connecting`, `joined`, `reconnecting`, `left` or `error` (reflected for CSS). */
  state: RoomState = 'idle';
  private statusMessage: string | null = null;
  private statusTimer: ReturnType<typeof setTimeout> | undefined;

  private client: RoomClient | null = null;
  private generatedUserid: string | null = null;
  /** Local stream id -> the element that captured it (for cleanup). */
  private readonly localSources = new Map<string, EventTarget>();
  /** The <remote-stream> elements we rendered. */
  private readonly tiles = new RemoteTiles<RemoteStream>();
  /** Each tile's rendered size picks the layer an SFU room forwards to it (removed tiles report 0×0 once). */
  private readonly sizes = new ResizeObserver((entries) => {
    for (const { target, contentRect } of entries) {
      if (!target.isConnected) this.sizes.unobserve(target);
      this.client?.transport.fit?.((target as RemoteStream).stream, contentRect);
    }
  });
  private readonly captureTargets = new Set<Element>();
  private teardownTimer: ReturnType<typeof setTimeout> | undefined;
  private listening = false;
  /** The call UI, once its module is loaded (see needUi()). */
  private ui: { stage: RoomStage; pre: RoomPrejoin; speak: RoomSpeaking; bar: RoomControls; people: RoomPeople; adopt: (root: ShadowRoot) => void } | null = null;
  private uiLoad: Promise<void> | null = null;
  /** The UI's module could not be fetched: the room goes on without it (plain tiles, no pre-join hold). */
  private uiFailed = false;
  /** A speaking-change / active-speaker listener was added before the UI module was in. */
  private speakWanted: string[] = [];

  /** The RoomClient: the room logic without the element (created on first use). */
  get room(): RoomClient {
    if (!this.client) this.client = this.createClient();
    return this.client;
  }

  /** The socket.io client socket (the seed's `connection.socket`), once connected. */
  get socket(): RoomSocket | null {
    return this.client?.socket ?? null;
  }

  /** The other users in the room, by userid. */
  get peers(): Map<string, RoomPeer> {
    const out = new Map<string, RoomPeer>();
    const client = this.client;
    for (const [userid, rec] of client?.peers ?? []) {
      const connection = client!.connection(userid);
      if (connection) out.set(userid, { userid, extra: rec.extra, connection, streams: client!.remoteStreams(userid) });
    }
    return out;
  }

  /** True when this user is a host of the room (opened it, holds `moderate`, or was made host). */
  get isHost(): boolean {
    return this.client?.role === 'host';
  }

  /** How the room carries media now (`topology` is what was asked for): `sfu` or `mesh`; an `auto` room moves as it grows and shrinks (`topology-change`). */
  get mediaTopology(): 'mesh' | 'sfu' {
    return this.client?.transport.name === 'sfu' ? 'sfu' : 'mesh';
  }

  /** True when this user opened the room. */
  get isInitiator(): boolean {
    return this.client?.isInitiator ?? false;
  }

  /** The streams this room shares. */
  get localStreams(): MediaStream[] {
    return [...(this.client?.localStreams.values() ?? [])].map((e) => e.stream);
  }

  private createClient(): RoomClient {
    const client = new RoomClient(
      {
        ...(this.socketUrl ? { socketUrl: this.socketUrl } : {}),
        userid: this.userid || (this.generatedUserid ??= rememberedUserid(this.roomId)),
        extra: this.validExtra(),
        ...(this.token ? { token: this.token } : {}),
        reconnect: readReconnectPolicy(this, (message) => this.reportLater(message)),
      },
      {
        state: (state, previous) => {
          this.state = state;
          if (state !== 'error') this.showStatus(STATUS_KEY[state]);
          this.dispatchEvent(new RoomStateEvent({ state, previous }));
        },
        // (The `joined` state, set just before, has cleared the status line.)
        joined: (ack) => this.dispatchEvent(new RoomJoinedEvent({ roomid: ack.roomid, userid: ack.userid, isInitiator: ack.isInitiator, peers: ack.peers })),
        left: () => this.dispatchEvent(new RoomLeftEvent({ roomid: this.roomId })),
        error: (err) => this.reportError(err.code, err.message),
        peerJoin: (userid, extra) => this.dispatchEvent(new PeerJoinEvent({ userid, extra, role: this.roleOf(userid) })),
        peerUpdate: (userid, extra) => {
          this.tiles.userUpdated(userid, extra);
          this.dispatchEvent(new PeerUpdateEvent({ userid, extra, role: this.roleOf(userid) }));
        },
        notice: (type, detail) => {
          if (type === 'host-mute') {
            for (const cap of this.localSources.values()) (cap as { setMuted?(k: MediaKind, m: boolean): void }).setMuted?.((detail as { kind: MediaKind }).kind, true);
          }
          this.dispatchEvent(new RoomNoticeEvent(type, detail));
        },
        peerLeave: (userid, reason) => {
          this.tiles.userLeft(userid);
          this.dispatchEvent(new PeerLeaveEvent({ userid, reason }));
        },
        peerState: (userid, state) => this.dispatchEvent(new PeerStateEvent({ userid, state })),
        remoteStream: (userid, stream, info, extra) => this.onRemoteStream(userid, stream, info.kind, extra, info),
        remoteStreamEnded: (userid, streamid, kind) => {
          this.tiles.ended(userid, streamid);
          this.dispatchEvent(new StreamEndEvent({ type: 'remote', streamid, userid, kind, reason: 'removed' }));
        },
        remoteMute: (userid, streamid, kind, muted) => {
          this.tiles.muted(userid, streamid, kind, muted);
          this.dispatchEvent(new StreamMuteEvent({ userid, streamid, kind, muted }));
        },
        message: (userid, data, via, event) =>
          this.dispatchEvent(new RoomMessageEvent({ userid, data, via, ...(event !== undefined ? { event } : {}) })),
        tokenExpiring: (expiresAt) => this.dispatchEvent(new TokenExpiringEvent({ expiresAt })),
        tokenExpired: (message) => this.dispatchEvent(new TokenExpiredEvent({ message })),
        warn: (message, err) => console.warn(`<rtc-room> ${message}`, err ?? ''),
      },
    );
    client.iceServers = this.iceServers;
    client.iceTransportPolicy = this.transportPolicy();
    return client;
  }

  /** `relay` or `all`; anything else is reported (after this call) and treated as `all`. */
  private transportPolicy(): RTCIceTransportPolicy {
    return readIceTransportPolicy(this.iceTransportPolicy, (message) => this.reportLater(message));
  }

  /** Configuration errors found while creating the client are reported once the caller has returned. */
  private reportLater(message: string): void {
    queueMicrotask(() => this.reportError('invalid-attribute', message));
  }

  /** The status line for a state: none at once, or the state's words after STATUS_DELAY_MS. */
  private showStatus(key: 'connecting' | 'reconnecting' | undefined): void {
    clearTimeout(this.statusTimer);
    this.statusMessage = null;
    if (key) this.statusTimer = setTimeout(() => (this.statusMessage = this.t(key)), STATUS_DELAY_MS);
  }

  private reportError(code: RoomErrorCode, message: string): void {
    clearTimeout(this.statusTimer);
    this.statusMessage = message;
    this.dispatchEvent(new RoomErrorEvent({ code, message }));
  }

  /** `extra`, with `name` as `extra.name` when the name attribute is set (and extra is an object or unset). */
  private validExtra(): Extra {
    if (this.extra instanceof InvalidJson) return null;
    const extra = (this.extra ?? {}) as Extra;
    const name = this.name?.trim();
    if (!name || typeof extra !== 'object' || extra === null || Array.isArray(extra)) return extra;
    return { ...extra, name };
  }

  /** Looks up a UI string in the room's language (`lang` here or above, the document's, the browser's). */
  private t: Translate = (key, vars) =>
    translator(pickLang(this.closest('[lang]')?.getAttribute('lang'), null, navigator.languages), this.strings, this.relabel)(key, vars);

  /** The UI's language came in: render again, with the local tiles. */
  private readonly relabel = () => {
    this.requestUpdate();
    this.labelLocalTiles();
  };

  private onRemoteStream(userid: string, stream: MediaStream, kind: StreamKind, extra: unknown, info: { audioMuted?: boolean; videoMuted?: boolean }): void {
    let el: RemoteStream | null = null;
    if (!this.noRender) {
      el = document.createElement('remote-stream') as RemoteStream;
      el.stream = stream;
      el.userid = userid;
      el.streamid = stream.id;
      el.kind = kind;
      el.extra = extra;
      el.audioMuted = !!info.audioMuted;
      el.videoMuted = !!info.videoMuted;
      el.strings = this.strings;
    }
    const event = new StreamEvent({ type: 'remote', stream, streamid: stream.id, kind, userid, extra, mediaElement: el });
    this.dispatchEvent(event);
    if (el && !event.defaultPrevented && this.client?.peers.has(userid)) {
      this.tiles.show(userid, stream.id, el);
      this.append(el);
      this.sizes.observe(el);
    }
  }

  // ---------------------------------------------------------------------------
  // Local streams: from nested captures (bubbling events), `capture` references, addStream().

  private readonly onLocalStream = (e: StreamEvent) => {
    if (e.detail.type !== 'local') return;
    this.localSources.set(e.detail.streamid, e.target!);
    this.room.addStream(e.detail.stream, e.detail.kind);
    this.labelLocalTiles();
  };

  /** Local camera tiles say "You" (in the room's language); camera off shows the name's initials. */
  private labelLocalTiles(): void {
    const t = this.t;
    const name = this.name?.trim() || ((this.extra as { name?: unknown } | null)?.name as string | undefined) || '';
    for (const source of this.localSources.values()) {
      const cap = source as Element & { tileLabel?: unknown; kind?: StreamKind | null };
      if (cap.localName !== 'media-capture' || cap.kind === 'screen') continue;
      cap.tileLabel = { label: t('you'), name: typeof name === 'string' ? name : '', t, host: this.controls !== null && this.isHost };
    }
  }

  private readonly onLocalStreamEnd = (e: StreamEndEventType) => {
    if (e.detail.type !== 'local') return;
    this.localSources.delete(e.detail.streamid);
    this.client?.removeStream(e.detail.streamid);
  };

  private readonly onTrackChange = (e: TrackChangeEvent) => {
    this.client?.replaceTrack(e.detail.streamid, e.detail.oldTrack, e.detail.newTrack);
  };

  private readonly onMuteChange = (e: MuteChangeEvent) => {
    this.client?.setMuted(e.detail.streamid, e.detail.kind, e.detail.muted);
    if (this.controls !== null) this.requestUpdate();
  };

  private listen(target: EventTarget, on: boolean): void {
    const method = on ? 'addEventListener' : 'removeEventListener';
    target[method]('stream', this.onLocalStream as EventListener);
    target[method]('stream-end', this.onLocalStreamEnd as EventListener);
    target[method]('track-change', this.onTrackChange as EventListener);
    target[method]('mute-change', this.onMuteChange as EventListener);
    for (const type of ['stream', 'track-change']) target[method](type, this.onSpeakInput);
  }

  private readonly onSpeakInput = () => this.ui?.speak.schedule();

  /**
   * Loads the call UI's module on first need (`controls`, `layout`, `prejoin` or a speaking listener), so a page
   * without the UI never fetches or runs it; the element renders it as soon as it is in.
   */
  private needUi(): void {
    this.uiLoad ??= import('./room-ui.js').then(
      (m) => {
        const speak = new m.RoomSpeaking(this, () => [this.client?.userid, this.localSources.values()]);
        this.ui = { stage: new m.RoomStage(this), pre: new m.RoomPrejoin(this), speak, bar: new m.RoomControls(this), people: new m.RoomPeople(this), adopt: m.adoptUi };
        for (const type of this.speakWanted) speak.listener(type);
        this.requestUpdate();
      },
      (err: unknown) => {
        this.uiFailed = true;
        this.reportError('ui-unavailable', `The call UI could not be loaded (${String(err)}): serve the chunk files next to rtc-elements.js.`);
        this.maybeAutojoin();
      },
    );
  }

  /** The call UI's module and the UI's language, when wanted, are in before the element counts as updated. */
  protected override async getUpdateComplete(): Promise<boolean> {
    let done = await super.getUpdateComplete();
    // Bounded: the UI's first render may ask for the language.
    for (let i = 0, wait; i < 3 && (wait = (this.ui ? null : this.uiLoad) ?? langsLoading()); i++) {
      await wait;
      done = await super.getUpdateComplete();
    }
    return done;
  }

  /** Picks up captures that were live before the room was connected or upgraded. */
  private adoptLiveCaptures(roots: Iterable<Element>): void {
    for (const root of roots) {
      const captures = root.localName === 'media-capture' ? [root] : [...root.querySelectorAll('media-capture')];
      for (const el of captures) {
        const cap = el as Element & { stream?: MediaStream | null; kind?: StreamKind | null };
        if (cap.stream && cap.kind) {
          this.localSources.set(cap.stream.id, cap);
          this.room.addStream(cap.stream, cap.kind);
        }
      }
    }
    this.labelLocalTiles();
  }

  private resolveCaptureRefs(): void {
    for (const el of this.captureTargets) this.listen(el, false);
    this.captureTargets.clear();
    if (!this.capture || !this.isConnected) return;
    const root = this.getRootNode() as Document | ShadowRoot;
    for (const id of this.capture.split(/\s+/).filter(Boolean)) {
      const el = root.getElementById?.(id);
      if (!el) {
        this.reportError('invalid-attribute', `capture="${this.capture}": no element with id "${id}" in this document or shadow root.`);
        continue;
      }
      if (this.contains(el)) continue; // nested: its events bubble to us anyway
      this.captureTargets.add(el);
      this.listen(el, true);
    }
    this.adoptLiveCaptures(this.captureTargets);
  }

  /** Shares a stream you captured yourself (kind defaults to camera, or audio without video). */
  addStream(stream: MediaStream, kind?: StreamKind): void {
    this.room.addStream(stream, kind ?? (stream.getVideoTracks().length ? 'camera' : 'audio'));
  }

  /** Stops sharing a stream (its tracks are not stopped: they belong to whoever captured them). */
  removeStream(stream: MediaStream | string): void {
    this.client?.removeStream(typeof stream === 'string' ? stream : stream.id);
  }

  // ---------------------------------------------------------------------------
  // Room operations

  private async enter(mode: JoinMode, roomid?: string): Promise<RoomJoinedPayload> {
    try {
      if (this.extra instanceof InvalidJson) {
        throw new RoomError('invalid-request', `extra='${this.extra.text}' is not valid JSON.`);
      }
      if (roomid !== undefined) this.roomId = roomid;
      // A token set just before this call has not reached the client through updated() yet.
      this.client?.setToken(this.token);
      const options = readJoinOptions(this.password, this.getAttribute('max-participants') ?? this.maxParticipants, this.topology);
      const id = roomid ?? this.roomId ?? '';
      return await this.room.enter({ mode, roomid: id, ...options, lobby: this.lobby });
    } catch (err) {
      if (err instanceof RoomError && (err.code === 'invalid-request' || err.code === 'no-room-id') && this.state !== 'error' && this.statusMessage !== err.message) {
        // Errors found before any request: report them like server errors.
        this.reportError(err.code, err.message);
      }
      throw err;
    }
  }

  /** Opens a new room (fails with `room-exists` if it is open). */
  open(roomid?: string): Promise<RoomJoinedPayload> {
    return this.enter('open', roomid);
  }

  /** Joins an open room (fails with `room-not-found`, `room-full`, `invalid-password`). */
  join(roomid?: string): Promise<RoomJoinedPayload> {
    return this.enter('join', roomid);
  }

  /** Opens the room, or joins it if it is open: atomic on the server. */
  openOrJoin(roomid?: string): Promise<RoomJoinedPayload> {
    return this.enter('open-or-join', roomid);
  }

  /** Whether a room exists, is full, or needs a password. */
  checkPresence(roomid?: string): Promise<RoomPresencePayload> {
    return this.room.presence(roomid ?? this.roomId ?? '');
  }

  /** Leaves the room: closes every peer connection and tells the server. */
  leave(): Promise<void> {
    return this.client?.leave() ?? Promise.resolve();
  }

  // Hosts only (the server answers `forbidden` to anyone else).

  /** Makes another member a host. */
  makeHost(userid: string): Promise<void> {
    return this.room.hostRequest('host:make', { userid });
  }

  /** Lets a knocking user in. */
  admit(userid: string): Promise<void> {
    return this.room.hostRequest('lobby:admit', { userid });
  }

  /** Turns a knocking user away (it gets `room-error` `denied`). */
  deny(userid: string): Promise<void> {
    return this.room.hostRequest('lobby:deny', { userid });
  }

  /** Mutes a member's microphone (`audio`) or camera (`video`) until that member unmutes itself. */
  muteParticipant(userid: string, kind: MediaKind): Promise<void> {
    return this.room.hostRequest('member:mute', { userid, kind });
  }

  /** Puts a member out of the room; it cannot come back for the server's ban time. */
  removeParticipant(userid: string): Promise<void> {
    return this.room.hostRequest('member:remove', { userid });
  }

  /** No new members, not even through the lobby. */
  lock(): Promise<void> {
    return this.room.hostRequest('room:lock', { locked: true });
  }

  unlock(): Promise<void> {
    return this.room.hostRequest('room:lock', { locked: false });
  }

  /** Ends the room for everyone. */
  endRoom(): Promise<void> {
    return this.room.hostRequest('room:end', {});
  }

  private roleOf(userid: string): Role {
    return this.client?.roles.get(userid) ?? 'participant';
  }

  /** Shows this user's tile large (its screen share first), until `unpin()`; a click on a tile's pin button does the same. */
  pin(userid: string): void {
    this.pinned = userid;
  }

  /** Back to the layout's own choice of the large tile. */
  unpin(): void {
    this.pinned = null;
  }

  /** Sends data over the data channels: a string, a JSON-able value or binary, to everyone or to one user. */
  send(data: DataPayload, userid?: string): void {
    this.room.send(data, userid);
  }

  /** Sends a custom message through the server to the room (or one user), like the seed's `socket.emit`. */
  emit(event: string, data?: unknown, userid?: string): Promise<void> {
    return this.room.emit(event, data, userid);
  }

  // ---------------------------------------------------------------------------
  // Lifecycle

  private readonly onPageHide = (e: PageTransitionEvent) => {
    this.teardown();
    if (e.persisted) window.addEventListener('pageshow', this.onPageShow, { once: true });
  };

  private readonly onPageShow = () => {
    if (!this.isConnected) return;
    this.maybeAutojoin();
    this.preconnect();
  };

  /** Opens the signaling socket ahead of a join (see `connect`). */
  private preconnect(): void {
    if (this.connect !== 'manual' && this.roomId && this.isConnected && !this.client?.socket) this.room.connect();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // The typo check is a chunk of its own, fetched only for an attribute that is not ours (or autojoin without room-id).
    const ours = RtcRoom.observedAttributes;
    if ([...this.attributes].some(({ name }) => !ours.includes(name) && !/^(data-|aria-|(id|class|style|slot|lang|state)$)/.test(name)) || (this.hasAttribute('autojoin') && !this.getAttribute('room-id'))) {
      void import('./attribute-check.js').then(
        (m) => m.checkAttributes(this, RtcRoom.elementProperties, (message) => this.reportLater(message)),
        () => {},
      );
    }
    clearTimeout(this.teardownTimer);
    if (!this.listening) {
      this.listening = true;
      this.listen(this, true);
      window.addEventListener('pagehide', this.onPageHide);
    }
    this.client?.revive();
    this.resolveCaptureRefs();
    this.adoptLiveCaptures([this]);
    this.maybeAutojoin();
    // Back in the page after a removal (the first connection waits for the first update).
    if (this.hasUpdated) this.preconnect();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.teardownTimer);
    // A move within the page (remove + append in one task) keeps the call.
    this.teardownTimer = setTimeout(() => {
      if (!this.isConnected) this.teardown();
    }, 0);
  }

  /** Leaves, closes the socket and releases every listener and peer connection. */
  private teardown(): void {
    if (this.listening) {
      this.listening = false;
      this.listen(this, false);
      window.removeEventListener('pagehide', this.onPageHide);
    }
    for (const el of this.captureTargets) this.listen(el, false);
    this.captureTargets.clear();
    const client = this.client;
    this.client = null;
    client?.destroy();
    if (this.generatedUserid) releaseUserid(this.generatedUserid);
    this.generatedUserid = null;
    this.tiles.clear();
    this.sizes.disconnect();
    this.localSources.clear();
    this.ui?.bar.stop();
    this.ui?.speak.stop();
    this.ui?.pre.stop();
    clearTimeout(this.statusTimer);
  }

  /** Audio levels are measured for speaking events once someone listens for them on the room. */
  override addEventListener<K extends keyof HTMLElementEventMap>(type: K, listener: (this: HTMLElement, ev: HTMLElementEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  override addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  override addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void {
    super.addEventListener(type, listener, options);
    // The stage's own listener (it follows active-speaker only while `controls`/`layout` already ask for levels) does not count.
    if ((type === 'speaking-change' || type === 'active-speaker') && !(typeof listener === 'object' && 'hostConnected' in listener)) {
      if (this.ui) this.ui.speak.listener(type);
      else {
        this.speakWanted?.push(type);
        this.needUi();
      }
    }
  }

  private maybeAutojoin(): void {
    if (!this.autojoin || !this.roomId || !this.isConnected || (this.prejoin && (this.ui?.pre.holds ?? !this.uiFailed))) return;
    const state = this.client?.state ?? 'idle';
    if (state === 'joined' || state === 'connecting' || state === 'reconnecting') return;
    this.openOrJoin().catch(() => {
      /* reported as room-error */
    });
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('name') || changed.has('strings') || changed.has('extra')) this.labelLocalTiles();
    if (changed.has('capture') && this.hasUpdated) this.resolveCaptureRefs();
    if (changed.has('iceServers') && this.client) this.client.iceServers = this.iceServers;
    if (changed.has('token') && this.client) {
      this.client.setToken(this.token);
      // An autojoin refused for its token tries again with the new one.
      if (this.client.state === 'error' && !this.client.roomid) this.maybeAutojoin();
    }
    if (changed.has('iceTransportPolicy') && this.client) this.client.iceTransportPolicy = this.transportPolicy();
    const extraChanged = (changed.has('extra') && changed.get('extra') !== undefined) || (changed.has('name') && changed.get('name') !== undefined);
    if (extraChanged && this.client && !(this.extra instanceof InvalidJson)) {
      this.client.updateExtra(this.validExtra()).catch((err: unknown) => {
        if (err instanceof RoomError) this.reportError(err.code, err.message);
      });
    }
    // After the first update: properties set right after insertion are in by then.
    if (changed.has('roomId') || changed.has('connect')) this.preconnect();
    if (changed.has('roomId') || changed.has('autojoin')) {
      const inOther = this.client?.state === 'joined' && this.client.roomid !== this.roomId;
      // With autojoin, a new room-id moves the user to that room (enter() leaves the old one).
      if (this.client?.state !== 'joined' || (inOther && this.autojoin && this.roomId)) {
        if (inOther) this.openOrJoin().catch(() => {});
        else this.maybeAutojoin();
      }
    }
  }

  /**
   * The pre-join panel, else the stage and the bar (with `controls` / `layout`: the UI's styles are adopted then,
   * so pages without it see no change); the plain slot while the UI is not wanted, or not in yet.
   */
  private renderBody() {
    const ui = this.ui;
    const wanted = this.prejoin || this.controls !== null || this.layout !== null;
    if (!ui) {
      if (wanted) this.needUi();
      return this.prejoin && !this.uiFailed ? nothing : html`<slot></slot>`;
    }
    if (wanted) ui.adopt(this.renderRoot as ShadowRoot);
    return ui.pre.render(this.t) ?? html`${ui.stage.render(this.t)}${this.controls === null ? nothing : html`${ui.bar.render(this.controls, this.t, ui.people.button(this.t))}${ui.people.render(this.t)}`}`;
  }

  protected override render() {
    return html`${this.statusMessage ? html`<div part="status" role="status">${this.statusMessage}</div>` : nothing}${this.renderBody()}`;
  }
}

/** An `extra` attribute that is not JSON; reported when joining. */
class InvalidJson {
  constructor(readonly text: string) {}
}

declare global {
  interface HTMLElementTagNameMap {
    'rtc-room': RtcRoom;
  }
}
