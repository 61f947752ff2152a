// Room membership behind a small interface, so a shared store (Redis, for
// several server processes) can replace the in-memory one. Every method is
// one atomic step: the decisions that must not race (does the room exist? is
// it full? who owns this userid?) happen inside a single call, never across
// an await in the caller.
import type { Extra, Permission } from '../protocol.js';

export type Awaitable<T> = T | Promise<T>;

/**
 * Applies `fn` to `value` now, or once it resolves: with a synchronous store
 * (memory) a whole request runs in the tick it arrived in, with no promise hop.
 */
export function andThen<T, R>(value: Awaitable<T>, fn: (value: T) => Awaitable<R>): Awaitable<R> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}

export interface RoomMember {
  userid: string;
  /** The socket.io socket id of the connection that holds this membership. */
  connId: string;
  extra: Extra;
  /** What the member's room token grants; absent without room tokens. Shown to the other members. */
  permissions?: Permission[];
}

export interface RoomInfo {
  roomid: string;
  /**
   * Changes whenever a room with this id is created: a join that verified the
   * password of one incarnation must not land in the next one.
   */
  token: string;
  maxParticipants: number;
  passwordHash: string | null;
  size: number;
}

export interface NewRoom {
  roomid: string;
  maxParticipants: number;
  passwordHash: string | null;
}

/** A previous connection of the same userid that lost its membership to this one. */
export interface Replaced {
  connId: string;
  roomid: string;
}

export type EnterResult =
  | {
      status: 'ok';
      room: RoomInfo;
      /** The other members, in join order. */
      peers: RoomMember[];
      replaced: Replaced | null;
    }
  | { status: 'exists' | 'not-found' | 'full' | 'changed' | 'already-in-room' };

export interface LeaveResult {
  /** False when `connId` no longer held the membership (it was replaced, or left already). */
  left: boolean;
  /** The room was emptied and deleted. */
  deleted: boolean;
}

/** Stream ids a member may keep claimed in one room; older claims lapse (their streams are long gone). */
export const MAX_STREAM_CLAIMS = 32;

export type StreamClaim =
  | { status: 'ok' }
  /** Another member of the room announced `streamid` first. */
  | { status: 'taken'; streamid: string; owner: string }
  /** `connId` does not hold a membership of the room (left, or replaced). */
  | { status: 'not-member' };

export interface RoomStore {
  get(roomid: string): Awaitable<RoomInfo | undefined>;
  /**
   * Creates the room with `member` in it, unless it exists (`exists`). A
   * userid has one membership server-wide: one held by another connection is
   * removed and reported in `replaced`.
   */
  create(room: NewRoom, member: RoomMember): Awaitable<EnterResult>;
  /**
   * Adds `member` unless the room is gone (`not-found`), was re-created since
   * `token` was read (`changed`) or is full (`full`). If the userid is
   * already in this room on another connection, the new connection takes its
   * place (no capacity needed) and the old one is reported in `replaced`.
   */
  join(roomid: string, token: string, member: RoomMember): Awaitable<EnterResult>;
  /** Removes the membership if `connId` still holds it; deletes the room when empty. */
  leave(roomid: string, userid: string, connId: string): Awaitable<LeaveResult>;
  member(roomid: string, userid: string): Awaitable<RoomMember | undefined>;
  /** Sets the extra of the membership if `connId` still holds it. */
  updateExtra(roomid: string, userid: string, connId: string, extra: Extra): Awaitable<boolean>;
  /**
   * Records that `userid` publishes streams with these ids in the room, unless
   * another member claimed one of them first (`taken`): a stream id names one
   * member's stream, so nobody can show their camera under another's tile.
   * Claims go with the membership; each member keeps its latest
   * MAX_STREAM_CLAIMS.
   */
  claimStreams(roomid: string, userid: string, connId: string, streamids: string[]): Awaitable<StreamClaim>;
  stats(): Awaitable<{ rooms: number; members: number }>;
  /**
   * Server shutdown: forgets what this server holds. A private store drops
   * everything; a shared one (RedisRoomStore) removes this node's members only.
   */
  clear(): Awaitable<void>;
}

interface MemoryRoom {
  info: Omit<RoomInfo, 'size'>;
  /** Insertion order = join order. */
  members: Map<string, RoomMember>;
  /** streamid -> the userid that announced it. */
  streams: Map<string, string>;
  /** userid -> its claimed stream ids, oldest first. */
  claims: Map<string, string[]>;
}

/** Single-process store: plain maps, every method synchronous. */
export class MemoryRoomStore implements RoomStore {
  private readonly rooms = new Map<string, MemoryRoom>();
  /** userid -> roomid: a userid is a member of at most one room. */
  private readonly memberships = new Map<string, string>();
  private nextToken = 1;

  get(roomid: string): RoomInfo | undefined {
    const room = this.rooms.get(roomid);
    return room && snapshot(room);
  }

  create(spec: NewRoom, member: RoomMember): EnterResult {
    if (this.holds(member)) return { status: 'already-in-room' };
    if (this.rooms.has(spec.roomid)) return { status: 'exists' };
    const replaced = this.evict(member.userid);
    const room: MemoryRoom = {
      info: { ...spec, token: String(this.nextToken++) },
      members: new Map([[member.userid, { ...member }]]),
      streams: new Map(),
      claims: new Map(),
    };
    this.rooms.set(spec.roomid, room);
    this.memberships.set(member.userid, spec.roomid);
    return { status: 'ok', room: snapshot(room), peers: [], replaced };
  }

  join(roomid: string, token: string, member: RoomMember): EnterResult {
    if (this.holds(member)) return { status: 'already-in-room' };
    const room = this.rooms.get(roomid);
    if (!room) return { status: 'not-found' };
    if (room.info.token !== token) return { status: 'changed' };
    const previous = room.members.get(member.userid);
    let replaced: Replaced | null = null;
    if (previous) {
      // Same userid, newer connection: take the slot over, keep the join order.
      replaced = { connId: previous.connId, roomid };
      room.members.set(member.userid, { ...member });
    } else {
      if (room.members.size >= room.info.maxParticipants) return { status: 'full' };
      replaced = this.evict(member.userid);
      room.members.set(member.userid, { ...member });
      this.memberships.set(member.userid, roomid);
    }
    const peers = [...room.members.values()].filter((m) => m.userid !== member.userid).map((m) => ({ ...m }));
    return { status: 'ok', room: snapshot(room), peers, replaced };
  }

  leave(roomid: string, userid: string, connId: string): LeaveResult {
    const room = this.rooms.get(roomid);
    const current = room?.members.get(userid);
    if (!room || !current || current.connId !== connId) return { left: false, deleted: false };
    room.members.delete(userid);
    this.memberships.delete(userid);
    for (const id of room.claims.get(userid) ?? []) room.streams.delete(id);
    room.claims.delete(userid);
    if (room.members.size === 0) {
      this.rooms.delete(roomid);
      return { left: true, deleted: true };
    }
    return { left: true, deleted: false };
  }

  member(roomid: string, userid: string): RoomMember | undefined {
    const m = this.rooms.get(roomid)?.members.get(userid);
    return m && { ...m };
  }

  updateExtra(roomid: string, userid: string, connId: string, extra: Extra): boolean {
    const m = this.rooms.get(roomid)?.members.get(userid);
    if (!m || m.connId !== connId) return false;
    m.extra = extra;
    return true;
  }

  claimStreams(roomid: string, userid: string, connId: string, streamids: string[]): StreamClaim {
    const room = this.rooms.get(roomid);
    if (room?.members.get(userid)?.connId !== connId) return { status: 'not-member' };
    for (const streamid of streamids) {
      const owner = room.streams.get(streamid);
      if (owner !== undefined && owner !== userid) return { status: 'taken', streamid, owner };
    }
    const mine = room.claims.get(userid) ?? [];
    for (const streamid of streamids) {
      if (room.streams.has(streamid)) continue;
      room.streams.set(streamid, userid);
      mine.push(streamid);
    }
    for (const lapsed of mine.splice(0, Math.max(0, mine.length - MAX_STREAM_CLAIMS))) room.streams.delete(lapsed);
    room.claims.set(userid, mine);
    return { status: 'ok' };
  }

  stats(): { rooms: number; members: number } {
    return { rooms: this.rooms.size, members: this.memberships.size };
  }

  clear(): void {
    this.rooms.clear();
    this.memberships.clear();
  }

  /** True when this very connection already holds a membership. */
  private holds(member: RoomMember): boolean {
    const roomid = this.memberships.get(member.userid);
    return roomid !== undefined && this.rooms.get(roomid)?.members.get(member.userid)?.connId === member.connId;
  }

  /** Removes the userid's membership held by an older connection, if any. */
  private evict(userid: string): Replaced | null {
    const roomid = this.memberships.get(userid);
    if (roomid === undefined) return null;
    const old = this.rooms.get(roomid)?.members.get(userid);
    if (!old) {
      this.memberships.delete(userid);
      return null;
    }
    this.leave(roomid, userid, old.connId);
    return { connId: old.connId, roomid };
  }
}

function snapshot(room: MemoryRoom): RoomInfo {
  return { ...room.info, size: room.members.size };
}
