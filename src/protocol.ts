/**
 * The wire protocol between `<rtc-room>` and the signaling server, shared by
 * both sides so that socket.io's generics turn any mismatch into a compile
 * error (`Server<ClientToServerEvents, ServerToClientEvents, …>` on the
 * server, `Socket<ServerToClientEvents, ClientToServerEvents>` in the
 * browser). PROTOCOL.md is the prose version of this file.
 *
 * Types and small constants only: this module goes into the browser bundle,
 * so it must not import anything from Node or from the validation library
 * (the valibot schemas that enforce these shapes live in src/server/).
 */

/** Bumped on any incompatible change to the events below. */
export const PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------------------
// Limits. The server rejects anything beyond them with `invalid-request`.

/** A userid: 1-64 characters of `[A-Za-z0-9_.-]`. */
export const USERID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
export const MAX_USERID_LENGTH = 64;
/** A roomid: 1-128 characters of `[A-Za-z0-9_.-]` (slugify user input first). */
export const ROOMID_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;
export const MAX_ROOMID_LENGTH = 128;
/** Room passwords, in characters. An empty password means "no password". */
export const MAX_PASSWORD_LENGTH = 256;
/** Handshake `auth.token`, in characters. */
export const MAX_TOKEN_LENGTH = 4096;
/** `extra`, in UTF-8 bytes of its JSON text. */
export const MAX_EXTRA_BYTES = 4 * 1024;
/** `custom` data, in UTF-8 bytes of its JSON text. */
export const MAX_CUSTOM_DATA_BYTES = 16 * 1024;
/** `custom` event names, in characters. */
export const MAX_CUSTOM_EVENT_LENGTH = 64;
/** Nesting depth of `extra` and `custom` data. */
export const MAX_JSON_DEPTH = 16;
/** A session description's `sdp`, in characters. */
export const MAX_SDP_LENGTH = 48 * 1024;
/** An ICE candidate line, in characters. */
export const MAX_CANDIDATE_LENGTH = 1024;
/** `sdpMid` and `usernameFragment`, in characters. */
export const MAX_ICE_FIELD_LENGTH = 256;
/** `signal.data.session` and stream ids, in characters. */
export const MAX_SESSION_LENGTH = 64;
export const MAX_STREAMID_LENGTH = 64;
/** Entries in `signal.data.streams`. */
export const MAX_STREAMS = 16;
/** socket.io `maxHttpBufferSize`: larger packets close the connection. */
export const MAX_PACKET_BYTES = 64 * 1024;
/** Room size when the opener does not ask for one (server default). */
export const DEFAULT_ROOM_SIZE = 8;
/** Largest room a server allows by default: a mesh beyond that hurts. */
export const DEFAULT_MAX_ROOM_SIZE = 8;

/** Keys refused anywhere inside `extra` and `custom` data. */
export const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

// ---------------------------------------------------------------------------
// Errors

/** Every error code an ack (or a handshake `connect_error`) can carry. */
export const ERROR_CODES = [
  /** Malformed payload: wrong types, limits exceeded, unknown event, missing fields. */
  'invalid-request',
  /** `room:open` for a room that already exists. */
  'room-exists',
  /** `room:join` for a room that does not exist. */
  'room-not-found',
  /** The room already holds `maxParticipants` members. */
  'room-full',
  /** Missing or wrong password for a protected room. */
  'invalid-password',
  /** `signal`/`custom`/… while this connection is in no room. */
  'not-in-room',
  /** open/join while this connection is already in a room (`room:leave` first). */
  'already-in-room',
  /** `to` names nobody in the sender's room (other rooms are invisible). */
  'peer-not-found',
  /** Too many messages: slow down (a sustained flood is disconnected). */
  'rate-limited',
  /**
   * Handshake refused: missing, expired, tampered or not-yet-valid token. Also
   * a room request outside the token's `room` claim, or after it expired.
   */
  'unauthorized',
  /** The token does not grant this (`open` to create a room, `publish`, `data`; relay-only: a non-relay candidate). */
  'forbidden',
  /** The server is closing; reconnect later. */
  'shutting-down',
  /** A host denied this lobby entry, the lobby timed out, or this userid was removed from the room (and may not come back yet). */
  'denied',
  /** The room is locked: no new members, not even through the lobby. */
  'room-locked',
  /**
   * The page's origin may not connect (the server's --allowed-origins). Sent as
   * the engine.io handshake's HTTP 403, body `{ code: 4, message: "origin-not-allowed: …" }`,
   * readable by the refused page (CORS); the client stops retrying.
   */
  'origin-not-allowed',
  /** `topology: 'sfu'` (or an `sfu:*` request) on a server without Janus, or a room on Janus that is down. */
  'sfu-unavailable',
  /** A bug on the server, or (shared mode) its Redis is unreachable; the request had no effect. Worth retrying later. */
  'internal-error',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ProtocolError {
  code: ErrorCode;
  /** Human-readable, for logs; not meant to be parsed. */
  message: string;
  /** With `unauthorized`: the room token's `exp` has passed (connect again with a fresh token). */
  expired?: true;
}

/** What every ack callback receives. */
export type Ack<T extends object = {}> = ({ ok: true } & T) | { ok: false; error: ProtocolError };
export type AckCallback<T extends object = {}> = (response: Ack<T>) => void;

// ---------------------------------------------------------------------------
// Values

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Application data attached to a user (a name, an avatar URL …): ≤ 4 KiB of JSON. */
export type Extra = JsonValue;

/** Shaped like the DOM's RTCIceServer (structurally assignable to it). */
export interface IceServerConfig {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/**
 * What a room token may grant (the JWT's `permissions` claim; absent = all):
 * `open` a room, `publish` media, send `data` (socket `custom` messages and
 * data-channel messages). See SECURITY.md for what the server enforces.
 */
export const PERMISSIONS = ['open', 'publish', 'data', 'moderate'] as const;
export type Permission = (typeof PERMISSIONS)[number];
/** What a token without a `permissions` claim grants: everything but `moderate` (being a host is always explicit). */
export const DEFAULT_PERMISSIONS = ['open', 'publish', 'data'] as const satisfies readonly Permission[];

/**
 * A member's role. Hosts admit or deny lobby knocks, mute and remove members,
 * promote members to host, lock and end the room; participants cannot.
 */
export type Role = 'host' | 'participant';
/** The media kinds a host can mute on another member. */
export type MediaKind = 'audio' | 'video';

/** `io(url, { auth })`: everything optional. */
export interface HandshakeAuth {
  /** Requested userid (see USERID_PATTERN); the server assigns one when absent. A room token's `sub` wins over it. */
  userid?: string;
  /** A room token (JWT) or the shared token, when the server requires one. */
  token?: string;
  /** Initial extra for this connection (default `{}`). */
  extra?: Extra;
}

/** Per-connection state the server keeps in `socket.data`. */
export interface SocketData {
  userid: string;
  extra: Extra;
  /** The room this connection is in (at most one), or null. */
  roomid: string | null;
  /** The room whose lobby this connection waits in, or null. */
  waiting?: string | null;
}

// ---------------------------------------------------------------------------
// Client to server payloads

/**
 * How a room carries media: `mesh` (every member sends to every other
 * member), `sfu` (every member sends once to the server's Janus, which
 * forwards to the others), `auto` (the server decides: `sfu` when it has
 * Janus and the requested size exceeds its mesh maximum, else `mesh`).
 */
export type Topology = 'mesh' | 'sfu';
export type TopologyRequest = Topology | 'auto';
export const TOPOLOGIES = ['mesh', 'sfu', 'auto'] as const satisfies readonly TopologyRequest[];

export interface RoomOpenRequest {
  roomid: string;
  password?: string;
  /** Clamped to the server's maximum (the SFU room size for `sfu` rooms); default: the server's room size. At least 2. */
  maxParticipants?: number;
  /** Default `mesh`. Ignored when joining an existing room (its topology wins). */
  topology?: TopologyRequest;
  /** Replaces this connection's extra when given. */
  extra?: Extra;
  /** A new room gets a lobby: joiners wait until a host admits them. Ignored when joining. */
  lobby?: boolean;
}
export interface RoomJoinRequest {
  roomid: string;
  password?: string;
  extra?: Extra;
}
/** Opens the room if nobody has, else joins it: atomic on the server. */
export type RoomOpenOrJoinRequest = RoomOpenRequest;
export interface RoomPresenceRequest {
  roomid: string;
}
export type RoomLeaveRequest = Record<string, never>;

export interface SessionDescriptionData {
  type: 'offer' | 'answer' | 'pranswer' | 'rollback';
  sdp: string;
}
/** Shaped like RTCIceCandidateInit. */
export interface IceCandidateData {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}
export type StreamKind = 'camera' | 'screen' | 'audio';
/** Describes one of the sender's MediaStreams, so the receiver can label it. */
export interface StreamInfo {
  streamid: string;
  kind: StreamKind;
  audioMuted?: boolean;
  videoMuted?: boolean;
}
/**
 * The relayed part of a `signal`. At least one of `description`, `candidate`
 * (null = end of candidates) or `streams` must be present. Unknown keys are
 * stripped by the server.
 */
export interface SignalData {
  /** The sender's session id (changes when it reconnects). */
  session?: string;
  /** Generation of the sender's RTCPeerConnection, a non-negative integer. */
  gen?: number;
  description?: SessionDescriptionData;
  candidate?: IceCandidateData | null;
  streams?: StreamInfo[];
}
export interface SignalRequest {
  /** A userid in the sender's room. */
  to: string;
  data: SignalData;
}
export interface CustomRequest {
  /** 1-64 characters. */
  event: string;
  /** Any JSON, ≤ 16 KiB; relayed as null when absent. */
  data?: JsonValue;
  /** One member of the sender's room; default: everyone else in it. */
  to?: string;
}
export interface ExtraUpdateRequest {
  extra: Extra;
}

/** `host:make`, `lobby:admit`, `lobby:deny`, `member:remove`: the member (or lobby entry) concerned. Hosts only. */
export interface UserRequest {
  userid: string;
}
/** `member:mute` (hosts only): tell `userid` to mute `kind`, and refuse its announcements of `kind` unmuted until it unmutes itself. */
export interface MemberMuteRequest {
  userid: string;
  kind: MediaKind;
}
/** `member:unmute`: the member itself lifts a host's mute of `kind` (its own action). */
export interface MemberUnmuteRequest {
  kind: MediaKind;
}
/** `room:lock` (hosts only): `true` refuses every new member, lobby included; `false` lets them in again. */
export interface RoomLockRequest {
  locked: boolean;
}
export type RoomEndRequest = Record<string, never>;

/** An SDP as Janus exchanges it: offers and answers only. */
export interface SfuJsep {
  type: 'offer' | 'answer';
  sdp: string;
}
/** `sfu:publish`: the publisher connection's offer (first one or a renegotiation). */
export interface SfuPublishRequest {
  jsep: SfuJsep;
}
/** `sfu:subscribe`: receive these members' feeds (default: every member publishing now, but oneself). */
export interface SfuSubscribeRequest {
  feeds?: string[];
}
/** `sfu:start`: the subscriber connection's answer to the server's latest offer. */
export interface SfuStartRequest {
  jsep: SfuJsep;
}
export type SfuTarget = 'publisher' | 'subscriber';
/** `sfu:trickle`: one ICE candidate (null = end of candidates) of the publisher or subscriber connection. */
export interface SfuTrickleRequest {
  target: SfuTarget;
  candidate: IceCandidateData | null;
}
export type SfuUnpublishRequest = Record<string, never>;
/** A simulcast layer of a camera: a quarter, half or all of its capture size. */
export type SfuLayer = 'low' | 'medium' | 'high';
export const SFU_LAYERS = ['low', 'medium', 'high'] as const satisfies readonly SfuLayer[];
/** `sfu:layer`: receive this layer of member `userid`'s stream `streamid` (its publisher's stream id, as in `SfuStreamInfo`). */
export interface SfuLayerRequest {
  userid: string;
  streamid: string;
  layer: SfuLayer;
}

// ---------------------------------------------------------------------------
// Ack payloads

export interface PeerInfo {
  userid: string;
  extra: Extra;
  /**
   * What this member's room token grants, when the server verifies room
   * tokens (absent otherwise: everything). Peers should ignore media and
   * data-channel messages from a member without `publish` / `data`.
   */
  permissions?: Permission[];
  /** `host` or `participant`. */
  role: Role;
}
/** Successful `room:open`, `room:join`, `room:open-or-join`. */
export interface RoomJoinedPayload {
  roomid: string;
  /** This connection's userid (assigned by the server when the handshake had none). */
  userid: string;
  /** True when this call created the room. */
  isInitiator: boolean;
  /** The other members, in join order. */
  peers: PeerInfo[];
  /** Includes time-limited TURN credentials when the server hands them out (renewed by `ice:servers`). */
  iceServers: IceServerConfig[];
  maxParticipants: number;
  /** `relay` when the server forces TURN-only: peers then never learn each other's addresses. */
  iceTransportPolicy?: 'relay';
  /** What this connection's room token grants (absent without room tokens: everything). */
  permissions?: Permission[];
  /** How the room carries media (`sfu`: use the `sfu:*` requests instead of `signal`). */
  topology: Topology;
  /** This connection's role. */
  role: Role;
  /** The room has a lobby / is locked. */
  lobby: boolean;
  locked: boolean;
  /** Kinds a host muted on this userid (kept across a reload) that it must unmute itself. Absent: none. */
  hostMuted?: MediaKind[];
}
/**
 * `room:join` / `room:open-or-join` of a room with a lobby: the connection
 * waits outside (no peers, no media) until a host admits it
 * (`lobby:admitted`, then join again) or denies it (`lobby:denied`).
 */
export interface RoomWaitingPayload {
  roomid: string;
  userid: string;
  waiting: true;
  /** Whether a host is in the room now (if not, the wait lasts until one comes, or the timeout). */
  hostPresent: boolean;
  /** The lobby gives up after this long (`lobby:denied` `timeout`). */
  timeoutMs: number;
}
export interface RoomPresencePayload {
  exists: boolean;
  isFull: boolean;
  isPasswordProtected: boolean;
}

/** One m-line of the subscriber connection: whose media it carries. */
export interface SfuStreamInfo {
  /** The publishing member. */
  userid: string;
  /** The m-line in the subscriber connection's SDP. */
  mid: string;
  /** The m-line in the publisher's own SDP. */
  feedMid?: string;
  /** The publisher's MediaStream id (its SDP's msid) this m-line belongs to. */
  streamid?: string;
  type?: 'audio' | 'video' | 'data';
}
/** Ack of `sfu:publish`. */
export interface SfuPublishPayload {
  jsep: SfuJsep;
}
/** Ack of `sfu:subscribe`: an offer to answer with `sfu:start` (absent when nothing changed), and what each m-line carries. */
export interface SfuSubscribePayload {
  jsep?: SfuJsep;
  streams: SfuStreamInfo[];
}

// ---------------------------------------------------------------------------
// Server to client payloads

export type PeerJoinPayload = PeerInfo;
export type PeerLeaveReason = 'leave' | 'disconnect' | 'replaced' | 'removed';
export interface PeerLeavePayload {
  userid: string;
  /**
   * `leave`: `room:leave`; `disconnect`: its connection closed or timed out;
   * `replaced`: a newer connection with the same userid entered another room;
   * `removed`: a host removed it.
   */
  reason: PeerLeaveReason;
}
export type PeerUpdatePayload = PeerInfo;
export interface SignalMessage {
  /** Stamped by the server: the sender's real userid. */
  from: string;
  data: SignalData;
}
export interface CustomMessage {
  from: string;
  event: string;
  data: JsonValue;
}
export type SessionReplacedPayload = Record<string, never>;
/** Fresh ICE servers (TURN credentials about to expire): replaces the join ack's list. */
export interface IceServersPayload {
  iceServers: IceServerConfig[];
}
export type ServerShutdownPayload = Record<string, never>;
/** Members that started (`added`) or stopped (`removed`) publishing in an `sfu` room. */
export interface SfuFeedsPayload {
  added: string[];
  removed: string[];
}
/** An `auto` room moved (`sfu`: past --mesh-max members; `mesh`: down to 2): carry media the new way, without leaving. */
export interface RoomTopologyPayload {
  topology: Topology;
}
/** The server renegotiates the subscriber connection (a feed went away): answer with `sfu:start`. */
export interface SfuOfferPayload {
  jsep: SfuJsep;
  streams: SfuStreamInfo[];
}
/** One ICE candidate of the SFU's side (null = end of candidates). */
export interface SfuTricklePayload {
  target: SfuTarget;
  candidate: IceCandidateData | null;
}
/**
 * The room's media server was lost (its Janus instance died, or Janus forgot
 * the room) and the room now has a new one: every member closes both SFU
 * connections, publishes its streams again and subscribes again, as on a
 * first join. Members, streams and tiles stay.
 */
export interface SfuResetPayload {
  reason: 'media-server-lost';
}
/** To hosts: someone waits in the lobby. */
export interface LobbyKnockPayload {
  userid: string;
  extra: Extra;
}
/** To hosts: a lobby entry is settled (by any host, by the joiner leaving, or by the timeout). */
export interface LobbyResolvedPayload {
  userid: string;
  outcome: 'admitted' | 'denied' | 'left';
}
/** To the waiting connection: a host admitted it; send the same join again to enter. */
export interface LobbyAdmittedPayload {
  roomid: string;
}
export type LobbyDeniedReason = 'denied' | 'timeout' | 'locked' | 'ended';
/** To the waiting connection: it will not get in. */
export interface LobbyDeniedPayload {
  roomid: string;
  reason: LobbyDeniedReason;
}
/** To the muted member: a host asks it to mute `kind`. */
export interface MemberMutedPayload {
  kind: MediaKind;
  by: string;
}
/** To the removed member, before its connection is closed. */
export interface RoomRemovedPayload {
  by: string;
  /** It may not enter this room again for this long. */
  banMs: number;
}
/** To the room: a host locked or unlocked it. */
export interface RoomLockedPayload {
  locked: boolean;
  by: string;
}
/** To the room (and its lobby), before every connection in it is closed: a host ended the room. */
export interface RoomEndedPayload {
  by: string;
}

// ---------------------------------------------------------------------------
// Events

export interface ClientToServerEvents {
  'room:open': (payload: RoomOpenRequest, ack: AckCallback<RoomJoinedPayload>) => void;
  'room:join': (payload: RoomJoinRequest, ack: AckCallback<RoomJoinedPayload | RoomWaitingPayload>) => void;
  'room:open-or-join': (payload: RoomOpenOrJoinRequest, ack: AckCallback<RoomJoinedPayload | RoomWaitingPayload>) => void;
  'room:presence': (payload: RoomPresenceRequest, ack: AckCallback<RoomPresencePayload>) => void;
  'room:leave': (payload: RoomLeaveRequest, ack: AckCallback) => void;
  signal: (payload: SignalRequest, ack: AckCallback) => void;
  custom: (payload: CustomRequest, ack: AckCallback) => void;
  'extra:update': (payload: ExtraUpdateRequest, ack: AckCallback) => void;
  'sfu:publish': (payload: SfuPublishRequest, ack: AckCallback<SfuPublishPayload>) => void;
  'sfu:subscribe': (payload: SfuSubscribeRequest, ack: AckCallback<SfuSubscribePayload>) => void;
  'sfu:start': (payload: SfuStartRequest, ack: AckCallback) => void;
  'sfu:trickle': (payload: SfuTrickleRequest, ack: AckCallback) => void;
  'sfu:unpublish': (payload: SfuUnpublishRequest, ack: AckCallback) => void;
  'sfu:layer': (payload: SfuLayerRequest, ack: AckCallback) => void;
  'host:make': (payload: UserRequest, ack: AckCallback) => void;
  'lobby:admit': (payload: UserRequest, ack: AckCallback) => void;
  'lobby:deny': (payload: UserRequest, ack: AckCallback) => void;
  'member:mute': (payload: MemberMuteRequest, ack: AckCallback) => void;
  'member:unmute': (payload: MemberUnmuteRequest, ack: AckCallback) => void;
  'member:remove': (payload: UserRequest, ack: AckCallback) => void;
  'room:lock': (payload: RoomLockRequest, ack: AckCallback) => void;
  'room:end': (payload: RoomEndRequest, ack: AckCallback) => void;
}

export interface ServerToClientEvents {
  'peer:join': (payload: PeerJoinPayload) => void;
  'peer:leave': (payload: PeerLeavePayload) => void;
  'peer:update': (payload: PeerUpdatePayload) => void;
  signal: (payload: SignalMessage) => void;
  custom: (payload: CustomMessage) => void;
  /** A newer connection took over this userid; this one is disconnected next. Do not reconnect automatically. */
  'session:replaced': (payload: SessionReplacedPayload) => void;
  /** The server is shutting down; this connection closes next. */
  'server:shutdown': (payload: ServerShutdownPayload) => void;
  /** New ICE servers for this room's connections (`pc.setConfiguration`); sent before TURN credentials expire. */
  'ice:servers': (payload: IceServersPayload) => void;
  'room:topology': (payload: RoomTopologyPayload) => void;
  'sfu:feeds': (payload: SfuFeedsPayload) => void;
  'sfu:offer': (payload: SfuOfferPayload) => void;
  'sfu:trickle': (payload: SfuTricklePayload) => void;
  'sfu:reset': (payload: SfuResetPayload) => void;
  'lobby:knock': (payload: LobbyKnockPayload) => void;
  'lobby:resolved': (payload: LobbyResolvedPayload) => void;
  'lobby:admitted': (payload: LobbyAdmittedPayload) => void;
  'lobby:denied': (payload: LobbyDeniedPayload) => void;
  'member:muted': (payload: MemberMutedPayload) => void;
  'room:removed': (payload: RoomRemovedPayload) => void;
  'room:locked': (payload: RoomLockedPayload) => void;
  'room:ended': (payload: RoomEndedPayload) => void;
}

/** Server-to-server events: none. In shared mode (`redisUrl`) nodes exchange only client events, through the Redis adapter. */
export type InterServerEvents = Record<string, never>;

/** The client events, in the order PROTOCOL.md lists them. */
export const CLIENT_EVENTS = [
  'room:open',
  'room:join',
  'room:open-or-join',
  'room:presence',
  'room:leave',
  'signal',
  'custom',
  'extra:update',
  'sfu:publish',
  'sfu:subscribe',
  'sfu:start',
  'sfu:trickle',
  'sfu:unpublish',
  'sfu:layer',
  'host:make',
  'lobby:admit',
  'lobby:deny',
  'member:mute',
  'member:unmute',
  'member:remove',
  'room:lock',
  'room:end',
] as const satisfies readonly (keyof ClientToServerEvents)[];
export type ClientEventName = (typeof CLIENT_EVENTS)[number];

/** Payload of a `connect_error` raised by the server's handshake checks (`err.data`). */
export interface HandshakeErrorData {
  code: ErrorCode;
  message: string;
  /** With `unauthorized`: the room token's `exp` has passed. */
  expired?: true;
}
