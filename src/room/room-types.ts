/** The public types of RoomClient: its states, the hooks it calls, its options and join options. */
import type { Extra, LobbyKnockPayload, LobbyResolvedPayload, MediaKind, PeerLeaveReason, Role, RoomJoinedPayload, RoomLockedPayload, RoomWaitingPayload, StreamInfo, StreamKind, Topology, TopologyRequest } from '../protocol.js';
import type { PeerState } from './transport.js';
import type { ReconnectPolicy, RoomError } from './signaling.js';

export type RoomState = 'idle' | 'connecting' | 'waiting' | 'joined' | 'reconnecting' | 'left' | 'error';

/** What the room's hosts and lobby tell the page, by event name. */
export interface RoomNotices {
  /** This connection waits in the room's lobby. */
  'room-waiting': RoomWaitingPayload;
  /** To hosts: someone waits in the lobby. */
  knock: LobbyKnockPayload;
  /** To hosts: a lobby entry was settled. */
  'lobby-resolved': LobbyResolvedPayload;
  /** A member (or this user) became host. */
  'role-change': { userid: string; role: Role };
  'room-locked': RoomLockedPayload;
  /** A host muted this user's `kind` (`by`: the host; empty after a reload). */
  'host-mute': { kind: MediaKind; by: string };
  /** The room moved its media to the SFU or back to the mesh (an `auto` room grew or shrank), without anyone leaving. */
  'topology-change': { topology: Topology };
}
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
  notice?<K extends keyof RoomNotices>(type: K, detail: RoomNotices[K]): void;
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
  /** A room this opens gets a lobby. */
  lobby?: boolean;
  /** How a room opened by this join carries media (the server's default: `auto` with Janus, else `mesh`). */
  topology?: TopologyRequest;
}
