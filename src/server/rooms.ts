// Room membership behind a small interface, so a shared store (Redis, for
// several server processes) can replace the in-memory one. Every method is
// one atomic step: the decisions that must not race (does the room exist? is
// it full? who owns this userid?) happen inside a single call, never across
// an await in the caller.
import type { Extra, MediaKind, Permission, Role } from '../protocol.js';

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
  /** `host` or `participant` (the default); a newer connection of the same member keeps `host`. Stores always report it. */
  role?: Role;
  /**
   * Kinds a host muted on this member that it has not unmuted itself (store
   * output; absent: none). They go with the membership, and survive a newer
   * connection of the same member (a reload does not undo a host's mute).
   */
  hostMuted?: MediaKind[];
}

/** Someone waiting in a room's lobby. */
export interface LobbyEntry {
  userid: string;
  connId: string;
  extra: Extra;
  /** A host admitted it: its next join from `connId` enters without waiting. */
  admitted: boolean;
}

/** How long a lobby entry lasts unless the server says otherwise. */
export const DEFAULT_LOBBY_MS = 5 * 60_000;

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
  /** Joiners wait in the lobby until a host admits them. */
  lobby: boolean;
  /** No new members, not even through the lobby. */
  locked: boolean;
}

export interface NewRoom {
  roomid: string;
  maxParticipants: number;
  passwordHash: string | null;
  lobby?: boolean;
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
  /** The room has a lobby: `member` now waits in it; `hosts` are the connections to knock on. */
  | { status: 'waiting'; hosts: string[] }
  /** `banned`: a host removed this userid recently; `locked`: the room takes nobody new. */
  | { status: 'exists' | 'not-found' | 'full' | 'changed' | 'already-in-room' | 'banned' | 'locked' };

/** What `remove` took out: a member, or a lobby entry. */
export interface Removed {
  connId: string;
  wasMember: boolean;
}

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

/**
 * Where an `sfu` room's media goes: a Janus instance, the Janus room on it and
 * the secret that destroys it (server-side only: never sent to a browser).
 */
export interface SfuPlacement {
  url: string;
  room: string;
  secret: string;
}

export interface RoomStore {
  get(roomid: string): Awaitable<RoomInfo | undefined>;
  /** The room's Janus placement; null for a mesh room or a room that does not exist. It goes with the room. */
  sfuPlacement(roomid: string): Awaitable<SfuPlacement | null>;
  /**
   * Records `placement` (null: none, the room is a mesh again) for the room
   * if its current one is `previous` (same url and Janus room; null: none
   * yet), in one atomic step: of several nodes placing (or re-placing) a room
   * at once, the first wins. Returns the placement the room has afterwards
   * (the winner's), null when it has none or does not exist.
   */
  placeSfu(roomid: string, placement: SfuPlacement | null, previous: SfuPlacement | null): Awaitable<SfuPlacement | null>;
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
   * place (no capacity needed, its `host` role and host mutes kept) and the
   * old one is reported in `replaced`.
   * Else, in this order: a banned userid gets `banned`; a locked room
   * `locked` (unless `member` enters as host); a room with a lobby puts a
   * member that is no host and holds no admission of this connection in its
   * queue for `lobbyMs` (`waiting`, again for a connection already waiting).
   */
  join(roomid: string, token: string, member: RoomMember, lobbyMs?: number): Awaitable<EnterResult>;
  /** Removes the membership if `connId` still holds it; deletes the room when empty. */
  leave(roomid: string, userid: string, connId: string): Awaitable<LeaveResult>;
  member(roomid: string, userid: string): Awaitable<RoomMember | undefined>;
  /** The connection holding membership `userid` of `roomid`: `member(…)?.connId` without the copy (the relay's hot path). */
  connection(roomid: string, userid: string): Awaitable<string | undefined>;
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
  /** The members, in join order (empty when the room does not exist). */
  members(roomid: string): Awaitable<RoomMember[]>;
  /** Who waits in the lobby (expired entries left out), in arrival order. */
  lobby(roomid: string): Awaitable<LobbyEntry[]>;
  /** Admits a waiting, not yet admitted entry: its connection id, or null (nobody waiting under that userid). */
  admit(roomid: string, userid: string): Awaitable<string | null>;
  /** Removes a lobby entry (only the one of `connId` when given): its connection id, or null. */
  deny(roomid: string, userid: string, connId?: string): Awaitable<string | null>;
  /** Sets a member's role: the member after the change, or undefined (no such member). */
  setRole(roomid: string, userid: string, role: Role): Awaitable<RoomMember | undefined>;
  /** Sets or lifts a host's mute of `kind` on a member; false when there is no such member. */
  setHostMuted(roomid: string, userid: string, kind: MediaKind, muted: boolean): Awaitable<boolean>;
  /**
   * Takes `userid` out of the room (its membership, whatever connection holds
   * it, or its lobby entry) and bans it from entering again until `banUntil`
   * (ms since the epoch). Null when it was neither member nor waiting.
   */
  remove(roomid: string, userid: string, banUntil: number): Awaitable<Removed | null>;
  /** Locks or unlocks the room. Locking empties the lobby: the entries dropped. Null when the room does not exist. */
  setLocked(roomid: string, locked: boolean): Awaitable<LobbyEntry[] | null>;
  /** Deletes the room with everyone in it and its lobby: who was there. Null when it did not exist. */
  end(roomid: string): Awaitable<{ members: RoomMember[]; lobby: LobbyEntry[] } | null>;
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
  /** userid -> its lobby entry and when it lapses, in arrival order. */
  queue: Map<string, LobbyEntry & { until: number }>;
  /** userid -> until when it may not enter (ms since the epoch). */
  bans: Map<string, number>;
  sfu?: SfuPlacement;
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

  sfuPlacement(roomid: string): SfuPlacement | null {
    const p = this.rooms.get(roomid)?.sfu;
    return p ? { ...p } : null;
  }

  placeSfu(roomid: string, placement: SfuPlacement | null, previous: SfuPlacement | null): SfuPlacement | null {
    const room = this.rooms.get(roomid);
    if (!room) return null;
    if (samePlacement(room.sfu ?? null, previous)) {
      delete room.sfu;
      if (placement) room.sfu = { ...placement };
    }
    return this.sfuPlacement(roomid);
  }

  create(spec: NewRoom, member: RoomMember): EnterResult {
    if (this.holds(member)) return { status: 'already-in-room' };
    if (this.rooms.has(spec.roomid)) return { status: 'exists' };
    const replaced = this.evict(member.userid);
    const room: MemoryRoom = {
      info: { roomid: spec.roomid, maxParticipants: spec.maxParticipants, passwordHash: spec.passwordHash, lobby: !!spec.lobby, locked: false, token: String(this.nextToken++) },
      members: new Map([[member.userid, copy(member)]]),
      streams: new Map(),
      claims: new Map(),
      queue: new Map(),
      bans: new Map(),
    };
    this.rooms.set(spec.roomid, room);
    this.memberships.set(member.userid, spec.roomid);
    return { status: 'ok', room: snapshot(room), peers: [], replaced };
  }

  join(roomid: string, token: string, member: RoomMember, lobbyMs = DEFAULT_LOBBY_MS): EnterResult {
    if (this.holds(member)) return { status: 'already-in-room' };
    const room = this.rooms.get(roomid);
    if (!room) return { status: 'not-found' };
    if (room.info.token !== token) return { status: 'changed' };
    const previous = room.members.get(member.userid);
    let replaced: Replaced | null = null;
    if (previous) {
      // Same userid, newer connection: take the slot over, keep the join order, the host role and the host's mutes.
      replaced = { connId: previous.connId, roomid };
      room.members.set(member.userid, { ...copy(member), role: previous.role === 'host' ? 'host' : member.role, ...mutes(previous.hostMuted) });
    } else {
      const now = Date.now();
      if ((room.bans.get(member.userid) ?? 0) > now) return { status: 'banned' };
      const host = member.role === 'host';
      if (room.info.locked && !host) return { status: 'locked' };
      const waiting = room.queue.get(member.userid);
      const admitted = waiting?.admitted && waiting.connId === member.connId && waiting.until > now;
      if (room.info.lobby && !host && !admitted) {
        if (waiting?.connId !== member.connId || !waiting.admitted) {
          room.queue.delete(member.userid);
          room.queue.set(member.userid, { userid: member.userid, connId: member.connId, extra: member.extra, admitted: false, until: now + lobbyMs });
        }
        return { status: 'waiting', hosts: [...room.members.values()].filter((m) => m.role === 'host').map((m) => m.connId) };
      }
      if (room.members.size >= room.info.maxParticipants) return { status: 'full' };
      room.queue.delete(member.userid);
      replaced = this.evict(member.userid);
      room.members.set(member.userid, copy(member));
      this.memberships.set(member.userid, roomid);
    }
    const peers = [...room.members.values()].filter((m) => m.userid !== member.userid).map(copy);
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
    return m && copy(m);
  }

  connection(roomid: string, userid: string): string | undefined {
    return this.rooms.get(roomid)?.members.get(userid)?.connId;
  }

  members(roomid: string): RoomMember[] {
    return [...(this.rooms.get(roomid)?.members.values() ?? [])].map(copy);
  }

  lobby(roomid: string): LobbyEntry[] {
    const now = Date.now();
    return [...(this.rooms.get(roomid)?.queue.values() ?? [])].filter((e) => e.until > now).map(entry);
  }

  admit(roomid: string, userid: string): string | null {
    const e = this.rooms.get(roomid)?.queue.get(userid);
    if (!e || e.admitted || e.until <= Date.now()) return null;
    e.admitted = true;
    return e.connId;
  }

  deny(roomid: string, userid: string, connId?: string): string | null {
    const queue = this.rooms.get(roomid)?.queue;
    const e = queue?.get(userid);
    if (!e || (connId !== undefined && e.connId !== connId)) return null;
    queue!.delete(userid);
    return e.connId;
  }

  setRole(roomid: string, userid: string, role: Role): RoomMember | undefined {
    const m = this.rooms.get(roomid)?.members.get(userid);
    if (!m) return undefined;
    m.role = role;
    return copy(m);
  }

  setHostMuted(roomid: string, userid: string, kind: MediaKind, muted: boolean): boolean {
    const m = this.rooms.get(roomid)?.members.get(userid);
    if (!m) return false;
    const kinds = new Set(m.hostMuted);
    if (muted) kinds.add(kind);
    else kinds.delete(kind);
    delete m.hostMuted;
    Object.assign(m, mutes([...kinds]));
    return true;
  }

  remove(roomid: string, userid: string, banUntil: number): Removed | null {
    const room = this.rooms.get(roomid);
    if (!room) return null;
    const m = room.members.get(userid);
    const waiting = room.queue.get(userid);
    if (!m && !waiting) return null;
    room.bans.set(userid, banUntil);
    if (m) {
      this.leave(roomid, userid, m.connId);
      return { connId: m.connId, wasMember: true };
    }
    room.queue.delete(userid);
    return { connId: waiting!.connId, wasMember: false };
  }

  setLocked(roomid: string, locked: boolean): LobbyEntry[] | null {
    const room = this.rooms.get(roomid);
    if (!room) return null;
    room.info.locked = locked;
    if (!locked) return [];
    const dropped = [...room.queue.values()].map(entry);
    room.queue.clear();
    return dropped;
  }

  end(roomid: string): { members: RoomMember[]; lobby: LobbyEntry[] } | null {
    const room = this.rooms.get(roomid);
    if (!room) return null;
    const result = { members: this.members(roomid), lobby: [...room.queue.values()].map(entry) };
    for (const userid of room.members.keys()) this.memberships.delete(userid);
    this.rooms.delete(roomid);
    return result;
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

/** The same Janus room on the same instance (null: none). */
export function samePlacement(a: SfuPlacement | null, b: SfuPlacement | null): boolean {
  return a === b || (!!a && !!b && a.url === b.url && a.room === b.room);
}

/** Written out as one literal: a spread gave nearly every room its own object shape, so the join path's reads of it were megamorphic. */
function snapshot(room: MemoryRoom): RoomInfo {
  const i = room.info;
  return { roomid: i.roomid, token: i.token, maxParticipants: i.maxParticipants, passwordHash: i.passwordHash, size: room.members.size, lobby: i.lobby, locked: i.locked };
}

/** `hostMuted` as stores report it: present only when non-empty, audio before video. */
export function mutes(kinds: readonly MediaKind[] | undefined): { hostMuted?: MediaKind[] } {
  const list = (['audio', 'video'] as const).filter((k) => kinds?.includes(k));
  return list.length ? { hostMuted: list } : {};
}

function copy(m: RoomMember): RoomMember {
  const { hostMuted, ...rest } = m;
  return { ...rest, ...(rest.permissions ? { permissions: [...rest.permissions] } : {}), role: rest.role ?? 'participant', ...mutes(hostMuted) };
}

function entry(e: LobbyEntry): LobbyEntry {
  return { userid: e.userid, connId: e.connId, extra: e.extra, admitted: e.admitted };
}
