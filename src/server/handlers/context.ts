// What every request handler gets (HandlerContext) and shares: refusals, token permissions, how a member is shown.
import type { Logger } from 'pino';
import type { ErrorCode, IceServerConfig, Permission, PeerInfo, ProtocolError, Role } from '../../protocol.js';
import type { ResolvedConfig } from '../config.js';
import type { ServerSocketData } from '../io.js';
import type { Metrics } from '../metrics.js';
import type { WorkLimiter } from '../rate-limit.js';
import type { Relay } from '../relay.js';
import type { RoomInfo, RoomMember, RoomStore } from '../rooms.js';
import type { SfuRooms } from '../sfu-rooms.js';
import type { TopologyMoves } from '../topology.js';
import { grantAllows } from '../tokens.js';

/** The connection a request came from, as handlers see it. */
export interface Session {
  /** The connection id (socket.io's socket id), as the store records it. */
  readonly id: string;
  /** False once the connection closed (a request may outlive it). */
  readonly connected: boolean;
  /** userid, extra, the room it is in, what its token grants; handlers update roomid and extra. */
  readonly data: ServerSocketData;
  /** It entered `room`: receive the room's broadcasts, keep its TURN credentials fresh. */
  joined(room: RoomInfo): void;
  /** It left `roomid`: no more of its broadcasts, no more TURN refreshes. */
  left(roomid: string): void;
}

/** Everything a handler may touch: one per connection, built by the server (or a test). */
export interface HandlerContext {
  readonly session: Session;
  readonly store: RoomStore;
  readonly relay: Relay;
  readonly config: Pick<ResolvedConfig, 'defaultRoomSize' | 'maxRoomSize' | 'scryptCost' | 'relayOnly' | 'sfuRoomSize' | 'meshMax' | 'lobbyTimeoutMs' | 'removeBanMs'>;
  /** The `sfu` rooms on Janus; null without Janus (`sfu` is refused). */
  readonly sfu?: SfuRooms | null;
  /** The `auto` rooms' moves between mesh and SFU; null without Janus. */
  readonly moves?: TopologyMoves | null;
  /** Password hashing, a few at a time (throws BusyError when too many wait). */
  readonly hashing: WorkLimiter;
  readonly metrics: Pick<Metrics, 'countRelayed' | 'roomsOpened'>;
  readonly log: Logger;
  /** Several nodes share the rooms (a room outlives this process). */
  readonly shared: boolean;
  /** The server is shutting down. */
  closing(): boolean;
  /** The ICE servers for `userid`: the configured ones plus fresh TURN credentials. */
  iceServersFor(userid: string): IceServerConfig[];
}

export type Refusal = { ok: false; error: ProtocolError };

export function fail(code: ErrorCode, message: string): Refusal {
  return { ok: false, error: { code, message } };
}

/** What the session's token grants (everything without room tokens). */
export function may(session: Session, permission: Permission): boolean {
  const grant = session.data.grant;
  return !grant || grant.permissions.includes(permission);
}

/** A refusal when the session's room token does not cover `roomid` (now). */
export function authorize(session: Session, roomid: string): Refusal | null {
  const grant = session.data.grant;
  if (!grant) return null;
  switch (grantAllows(grant, roomid, Date.now())) {
    case 'expired':
      return { ok: false, error: { code: 'unauthorized', message: 'your token expired: reconnect with a fresh one', expired: true } };
    case 'wrong-room':
      return fail('unauthorized', `your token does not cover room ${roomid}`);
    default:
      return null;
  }
}

/** A member as other members see it. */
export function peerInfo(m: RoomMember): PeerInfo {
  return { userid: m.userid, extra: m.extra, ...(m.permissions ? { permissions: [...m.permissions] } : {}), role: m.role ?? 'participant' };
}

/**
 * The session as a room member (what the store records and other members
 * see). With room tokens `moderate` makes a host; without them the opener is.
 */
export function memberOf(session: Session, extra = session.data.extra, opener = false): RoomMember {
  const grant = session.data.grant;
  const role: Role = (grant ? grant.permissions.includes('moderate') : opener) ? 'host' : 'participant';
  return { userid: session.data.userid, connId: session.id, extra, ...(grant ? { permissions: [...grant.permissions] } : {}), role };
}

/** How many members `roomid` has now (0: gone), for when it is needed. */
export const roomSize = (ctx: HandlerContext, roomid: string) => async (): Promise<number> => (await ctx.store.get(roomid))?.size ?? 0;
