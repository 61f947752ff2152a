/** Who else is in the room as the session sees it: joins, leaves, users whose socket is away but whose call may come back. */
import type { Extra, PeerInfo, PeerLeaveReason, Permission } from '../protocol.js';
import type { PeerState, Transport } from './transport.js';

/** One other user in the room. */
export interface PeerRecord {
  userid: string;
  extra: Extra;
  /** What the user's room token grants; undefined: everything (no room tokens, or not known yet). */
  permissions?: Permission[] | undefined;
  /** Set while the user's socket is gone but its call may come back. */
  awayTimer?: ReturnType<typeof setTimeout>;
}

export type LeaveReason = PeerLeaveReason | 'connection-lost';

export interface MembersHooks {
  join(userid: string, extra: Extra): void;
  update(userid: string, extra: Extra): void;
  leave(userid: string, reason: LeaveReason): void;
  warn(message: string): void;
}

/** Does a permissions list allow `permission`? Absent: everything. */
export function grants(permissions: readonly Permission[] | undefined, permission: Permission): boolean {
  return !permissions || permissions.includes(permission);
}

export class Members {
  readonly records = new Map<string, PeerRecord>();
  /** Users whose data messages were dropped (warned once each). */
  private readonly dataDropWarned = new Set<string>();

  constructor(
    private readonly transport: () => Transport,
    private readonly hooks: MembersHooks,
    /** How long a user whose socket dropped keeps its call before it is dropped (ms). */
    private readonly graceMs: number,
  ) {}

  /** The server says `userid` joined. The same user back (reconnect or reload) keeps its call; a reload re-offers. */
  joined(userid: string, extra: Extra, permissions: Permission[] | undefined): void {
    const rec = this.records.get(userid);
    if (rec) {
      this.refresh(rec, extra, permissions);
      this.hooks.update(userid, extra);
      return;
    }
    this.add(userid, extra, permissions, false);
    this.hooks.join(userid, extra);
  }

  updated(userid: string, extra: Extra): void {
    const rec = this.records.get(userid);
    if (!rec) return;
    rec.extra = extra;
    this.hooks.update(userid, extra);
  }

  /** The server says `userid` left. */
  left(userid: string, reason: PeerLeaveReason): void {
    if (!this.records.has(userid)) return;
    // Its signaling dropped, but media may still flow: wait for it to come back.
    if (reason === 'disconnect' && this.transport().carriesMedia(userid)) this.markAway(userid);
    else this.remove(userid, reason);
  }

  /** A call offered by a user we have not heard join yet (message order across a reconnect). */
  stranger(userid: string): void {
    this.add(userid, null, undefined, false);
    this.hooks.join(userid, null);
  }

  /**
   * Matches the members to a join ack's list. On a rejoin, a user not (yet)
   * back whose call still carries media waits for it (after a server restart
   * everyone rejoins in some order); anyone else not listed goes. Listed users
   * we had are healed; new ones are called at once (the joiner calls
   * everyone already there). Returns the new users, announced by the caller
   * after its own `joined`.
   */
  reconcile(listed: readonly PeerInfo[], rejoin: boolean): string[] {
    const ids = new Set(listed.map((p) => p.userid));
    for (const userid of [...this.records.keys()]) {
      if (ids.has(userid)) continue;
      if (rejoin && this.transport().isAlive(userid)) this.markAway(userid);
      else this.remove(userid, 'disconnect');
    }
    const fresh: string[] = [];
    for (const { userid, extra, permissions } of listed) {
      const rec = this.records.get(userid);
      if (rec) {
        this.refresh(rec, extra, permissions);
        this.transport().heal(userid);
      } else {
        this.add(userid, extra, permissions, true);
        fresh.push(userid);
      }
    }
    return fresh;
  }

  /** A signal from the user proves it is back. */
  heard(userid: string): void {
    const rec = this.records.get(userid);
    if (rec) this.clearAway(rec);
  }

  /** The transport lost its path to `userid`: while the user's socket is away too, it is gone (tab closed). */
  lost(userid: string): boolean {
    if (!this.records.get(userid)?.awayTimer) return false;
    this.remove(userid, 'disconnect');
    return true;
  }

  /** The connection to an away user failed or closed: it is not coming back. */
  stateChanged(userid: string, state: PeerState): void {
    if (this.records.get(userid)?.awayTimer && (state === 'failed' || state === 'closed')) this.remove(userid, 'disconnect');
  }

  /** The server cannot see data channels: the receiving side enforces `data`. */
  maySendData(userid: string): boolean {
    const rec = this.records.get(userid);
    if (!rec || grants(rec.permissions, 'data')) return true;
    if (!this.dataDropWarned.has(userid)) {
      this.dataDropWarned.add(userid);
      this.hooks.warn(`dropped data from ${userid}: their room token does not allow sending data`);
    }
    return false;
  }

  remove(userid: string, reason: LeaveReason): void {
    const rec = this.records.get(userid);
    if (!rec) return;
    this.records.delete(userid);
    this.dataDropWarned.delete(userid);
    clearTimeout(rec.awayTimer);
    this.transport().peerLeft(userid);
    this.hooks.leave(userid, reason);
  }

  removeAll(reason: LeaveReason): void {
    for (const userid of [...this.records.keys()]) this.remove(userid, reason);
  }

  private add(userid: string, extra: Extra, permissions: Permission[] | undefined, initiate: boolean): void {
    this.records.set(userid, { userid, extra, permissions });
    this.transport().peerJoined(userid, initiate);
  }

  private refresh(rec: PeerRecord, extra: Extra, permissions: Permission[] | undefined): void {
    rec.extra = extra;
    rec.permissions = permissions;
    this.clearAway(rec);
  }

  /** Its socket is gone, its call may not be: drop it after the grace period unless it comes back. */
  private markAway(userid: string): void {
    const rec = this.records.get(userid)!;
    clearTimeout(rec.awayTimer);
    rec.awayTimer = setTimeout(() => this.remove(userid, 'disconnect'), this.graceMs);
  }

  private clearAway(rec: PeerRecord): void {
    clearTimeout(rec.awayTimer);
    rec.awayTimer = undefined;
  }
}
