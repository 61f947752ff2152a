// SfuRooms: this server's `sfu` rooms on the Janus pool: one Janus room per room (its placement kept in the room store), one publisher and one subscriber handle per member, failover.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { SFU_LAYERS, type IceCandidateData, type SfuJsep, type SfuLayerRequest, type SfuStreamInfo, type SfuTarget, type Topology } from '../protocol.js';
import {
  JanusError,
  JanusErrorCode,
  JanusPool,
  VideoRoomPublisherHandle,
  VideoRoomSubscriberHandle,
  type JanusSession,
  type SubscribedStream,
  type TrickleCandidate,
} from './janus/index.js';
import type { Relay } from './relay.js';
import { samePlacement, type RoomStore, type SfuPlacement } from './rooms.js';

/** A refusal the handlers turn into an ack error (anything else thrown is a server fault). */
export class SfuRefusal extends Error {
  constructor(
    readonly code: 'sfu-unavailable' | 'peer-not-found' | 'invalid-request' | 'room-not-found',
    message: string,
  ) {
    super(message);
  }
}

/** One member's Janus side. Its requests arrive one at a time (the connection's request queue). */
interface SfuMember {
  readonly userid: string;
  readonly connId: string;
  /** The placement its handles live on: after a move they are stale. */
  readonly at: SfuPlacement;
  session: JanusSession | undefined;
  publisher: VideoRoomPublisherHandle | undefined;
  publishing: boolean;
  /** The m-lines the member's last offer sends: mid -> its MediaStream id (msid; '' without one). */
  sent: Map<string, string>;
  subscriber: VideoRoomSubscriberHandle | undefined;
}

interface SfuRoom {
  readonly roomid: string;
  readonly publishers: number;
  /** The Janus room it is on; replaced when the room moves; rejects when it could not be placed. */
  placed: Promise<SfuPlacement>;
  /** What `placed` resolved to; undefined while (re-)placing or after placing failed. */
  at: SfuPlacement | undefined;
  /** Placing it again failed (no instance answered): the placement to replace once one comes up. */
  homeless: SfuPlacement | undefined;
  /** Members with a Janus side on this node. */
  readonly members: Map<string, SfuMember>;
  /** This node's connections in the room: without any, a room other nodes still use is forgotten here. */
  readonly local: Set<string>;
}

/**
 * The `sfu` rooms of this server. Janus secrets (api_secret, admin_key, the
 * rooms' own random secrets) stay in here, in the pool and in the room store:
 * what reaches a browser is SDP, candidates and userids.
 *
 * A room's placement (instance, Janus room, secret) is in the room store, so
 * the signaling nodes sharing a Redis put its members in one Janus room. When
 * the instance dies or Janus loses the room, the room is placed again (the
 * store lets one node win) and its members are told `sfu:reset`.
 */
export class SfuRooms {
  private readonly rooms = new Map<string, SfuRoom>();

  constructor(
    private readonly pool: JanusPool,
    private readonly relay: Relay,
    private readonly log: Logger,
    /** Where placements live (shared by the nodes in shared mode). */
    private readonly store: RoomStore,
    /** Other nodes share the rooms: members may publish elsewhere, and shutdown leaves the Janus rooms. */
    private readonly shared = false,
  ) {
    pool.on('down', (url, rooms, reason) => {
      log.warn({ url, rooms: rooms.length, err: reason }, 'a Janus instance went down: moving its rooms');
      for (const room of this.rooms.values()) if (room.at?.url === url) this.move(room, room.at);
    });
    pool.on('up', (url) => {
      log.info({ url }, 'a Janus instance answers');
      for (const room of this.rooms.values()) if (room.homeless) this.move(room, room.homeless);
    });
  }

  /** `sfu` for a room placed on Janus (by this node or another), else `mesh`. */
  async topology(roomid: string): Promise<Topology> {
    return this.rooms.has(roomid) || (await this.store.sfuPlacement(roomid)) ? 'sfu' : 'mesh';
  }

  /** A connection of this node entered the room: its topology; an `sfu` room another node placed is known here from now on. */
  async entered(roomid: string, connId: string): Promise<Topology> {
    let room = this.rooms.get(roomid);
    if (!room) {
      const placed = await this.store.sfuPlacement(roomid);
      if (!placed) return 'mesh';
      room = this.rooms.get(roomid) ?? this.adopt(roomid, placed);
    }
    room.local.add(connId);
    return 'sfu';
  }

  /** This node's connections `connIds` are in the sfu room `roomid` (an `auto` room moved here with them). */
  hold(roomid: string, connIds: Iterable<string>): void {
    const room = this.rooms.get(roomid);
    if (room) for (const id of connIds) room.local.add(id);
  }

  /**
   * An `auto` room went back to the mesh: it is no sfu room any more (its
   * placement goes from the store now), though its Janus room carries media
   * a few seconds longer, until `retire`.
   */
  async unplace(roomid: string): Promise<void> {
    const at = this.rooms.get(roomid)?.at;
    if (at) await Promise.resolve(this.store.placeSfu(roomid, null, at)).catch((err: unknown) => this.log.warn({ err, roomid }, 'could not drop the room\'s placement'));
  }

  /** Ends the Janus side an `unplace`d room kept: its members' handles and its Janus room. Whether there was one. */
  retire(roomid: string): boolean {
    const room = this.rooms.get(roomid);
    if (!room) return false;
    this.rooms.delete(roomid);
    void (async () => {
      for (const m of room.members.values()) await this.release(m);
      await room.placed.then(
        (p) => this.pool.destroyRoom(p.room).catch((err: unknown) => this.log.warn({ err, roomid }, 'could not destroy the Janus room')),
        () => {},
      );
    })();
    return true;
  }

  /** Whether some Janus instance answers now. */
  get available(): boolean {
    return this.pool.liveUrls.length > 0;
  }

  /**
   * Records `roomid` as an `sfu` room at once (members joining meanwhile see
   * it), creates its Janus room (private, with a random secret) and records
   * the placement in the store, unless another node placed the room first.
   */
  async open(roomid: string, publishers: number, unique = false): Promise<void> {
    const room = this.newRoom(roomid, publishers);
    room.placed = this.place(room, undefined, unique).then(({ placement }) => placement);
    room.placed.catch(() => {
      if (this.rooms.get(roomid) === room) this.rooms.delete(roomid);
    });
    this.rooms.set(roomid, room);
    room.at = await room.placed;
  }

  /** Sends the member's offer to Janus as its publisher; resolves with Janus' answer. Tells the room on the first one. */
  async publish(roomid: string, userid: string, connId: string, offer: SfuJsep): Promise<SfuJsep> {
    const member = await this.member(roomid, userid, connId, true);
    if (!member.publisher) {
      const publisher = await this.janus(member, async () =>
        VideoRoomPublisherHandle.join(await this.sessionOf(member), { room: member.at.room, id: userid, display: userid }),
      );
      member.publisher = publisher;
      publisher.handle.on('trickle', (c) => this.trickleOut(member, 'publisher', c));
    }
    const publisher = member.publisher;
    if (!member.publishing) {
      // Janus refuses subscriptions to a feed whose media is not flowing yet: announce it once it is.
      publisher.handle.once('webrtcup', () => {
        if (member.publisher !== publisher || member.publishing) return;
        member.publishing = true;
        this.relay.toRoom(roomid, 'sfu:feeds', { added: [userid], removed: [] }, connId);
      });
    }
    // (Describing each m-line to Janus with its stream id would tell other nodes too, but a changed
    // description makes Janus renegotiate every subscriber on its own, racing ours: calls broke under load.)
    const answer = await this.janus(member, () => publisher.publish(offer));
    const had = member.sent;
    member.sent = sentStreams(offer.sdp);
    // A renegotiation that sends new m-lines (a screen share): subscribers ask for them.
    if (member.publishing && [...member.sent.keys()].some((mid) => !had.has(mid))) {
      this.relay.toRoom(roomid, 'sfu:feeds', { added: [userid], removed: [] }, connId);
    }
    return answer;
  }

  /** Stops publishing (Janus renegotiates every subscriber without this member's feeds). */
  async unpublish(roomid: string, userid: string, connId: string): Promise<void> {
    const member = await this.member(roomid, userid, connId);
    if (!member.publisher) return;
    const was = member.publishing;
    member.publishing = false;
    member.publisher.handle.removeAllListeners('webrtcup');
    await member.publisher.unpublish().catch((err: unknown) => this.log.debug({ err, roomid, userid }, 'unpublish'));
    if (was) this.relay.toRoom(roomid, 'sfu:feeds', { added: [], removed: [userid] }, connId);
  }

  /**
   * Adds `feeds` (default: every other member publishing now) to the
   * member's subscriber connection; resolves with Janus' offer (absent when
   * nothing changed) and what each m-line carries.
   */
  async subscribe(roomid: string, userid: string, connId: string, feeds: string[] | undefined): Promise<{ jsep?: SfuJsep; streams: SfuStreamInfo[] }> {
    const member = await this.member(roomid, userid, connId, true);
    const room = this.rooms.get(roomid)!;
    let publishing = [...room.members.values()].filter((m) => m.publishing && m.userid !== userid).map((m) => m.userid);
    // Shared mode: members of other nodes publish too, and only Janus knows them all. It refuses a feed it does not have.
    if (this.shared) publishing = [...new Set([...publishing, ...(await this.janus(member, () => this.pool.publishers(member.at.room)))])].filter((f) => f !== userid);
    const wanted = feeds === undefined ? publishing : [...new Set(feeds)];
    const missing = wanted.filter((f) => !publishing.includes(f));
    if (missing.length) throw new SfuRefusal('peer-not-found', `not publishing in this room: ${missing.join(', ')}`);
    if (!member.subscriber) {
      if (wanted.length === 0) throw new SfuRefusal('peer-not-found', 'nobody else publishes yet: wait for sfu:feeds');
      const { subscriber, offer } = await this.janus(member, async () =>
        VideoRoomSubscriberHandle.join(await this.sessionOf(member), { room: member.at.room, streams: wanted.map((feed) => ({ feed })) }),
      );
      member.subscriber = subscriber;
      subscriber.handle.on('trickle', (c) => this.trickleOut(member, 'subscriber', c));
      subscriber.handle.on('event', (_data, jsep) => {
        // Janus renegotiates on its own when a feed goes away.
        if (jsep?.type === 'offer') this.relay.toConnection(member.connId, 'sfu:offer', { jsep, streams: this.streamInfo(room, subscriber.streams) });
      });
      return { jsep: offer, streams: this.streamInfo(room, subscriber.streams) };
    }
    // Whole feeds we do not have yet, and the new m-lines of feeds we have (a publisher added a stream).
    const subscriber = member.subscriber;
    const active = subscriber.streams.filter((s) => s.active);
    const added = wanted.flatMap((feed) => {
      const have = active.filter((s) => s.feed === feed).map((s) => s.feedMid);
      if (!have.length) return [{ feed }];
      return [...(room.members.get(feed)?.sent.keys() ?? [])].filter((mid) => !have.includes(mid)).map((mid) => ({ feed, mid }));
    });
    const jsep = added.length ? await this.janus(member, () => subscriber.update({ subscribe: added })) : undefined;
    return { ...(jsep ? { jsep } : {}), streams: this.streamInfo(room, subscriber.streams) };
  }

  /** The member's answer to the subscriber connection's latest offer. */
  async start(roomid: string, userid: string, connId: string, answer: SfuJsep): Promise<void> {
    const member = await this.member(roomid, userid, connId);
    const subscriber = member.subscriber;
    if (!subscriber) throw new SfuRefusal('invalid-request', 'sfu:subscribe first');
    await this.janus(member, () => subscriber.start(answer));
  }

  /**
   * The simulcast layer the member receives of member `p.userid`'s stream
   * `p.streamid`: Janus forwards that substream on the video m-line(s) carrying it.
   */
  async layer(roomid: string, userid: string, connId: string, p: SfuLayerRequest): Promise<void> {
    const member = await this.member(roomid, userid, connId);
    const room = this.rooms.get(roomid)!;
    const mids = (member.subscriber?.streams ?? [])
      .filter((s) => s.active && s.type === 'video' && s.feed === p.userid && s.feedMid !== undefined && room.members.get(s.feed)?.sent.get(s.feedMid) === p.streamid)
      .map((s) => s.mid);
    if (!mids.length) throw new SfuRefusal('peer-not-found', `you receive no video of ${p.userid}'s stream ${p.streamid}`);
    await member.subscriber!.configure(mids.map((mid) => ({ mid, substream: SFU_LAYERS.indexOf(p.layer) })));
  }

  /** One of the member's ICE candidates (null: the end of them) to Janus. */
  async trickle(roomid: string, userid: string, connId: string, target: SfuTarget, candidate: IceCandidateData | null): Promise<void> {
    const member = await this.member(roomid, userid, connId);
    const handle = target === 'publisher' ? member.publisher?.handle : member.subscriber?.handle;
    if (!handle) throw new SfuRefusal('invalid-request', `no ${target} connection yet: sfu:${target === 'publisher' ? 'publish' : 'subscribe'} first`);
    await this.janus(member, () =>
      handle.trickle(
        candidate && {
          candidate: candidate.candidate,
          ...(candidate.sdpMid !== undefined ? { sdpMid: candidate.sdpMid } : {}),
          ...(candidate.sdpMLineIndex !== undefined ? { sdpMLineIndex: candidate.sdpMLineIndex } : {}),
        },
      ),
    );
  }

  /**
   * The member left the room (or disconnected, or was replaced): its handles
   * and Janus session are released. `empty`: the room is gone (whichever node
   * saw the last leave) or no longer an sfu room: so is its Janus room.
   */
  async leave(roomid: string, userid: string, connId: string, empty: boolean): Promise<void> {
    const room = this.rooms.get(roomid);
    if (!room) return;
    room.local.delete(connId);
    const member = room.members.get(userid);
    if (member && member.connId === connId) {
      room.members.delete(userid);
      await this.release(member);
      if (member.publishing) this.relay.toRoom(roomid, 'sfu:feeds', { added: [], removed: [userid] }, connId);
    }
    // Not empty, but none of this node's connections are in it: other nodes' members still use the Janus room.
    if (!empty && (room.local.size || room.members.size)) return;
    if (this.rooms.get(roomid) === room) this.rooms.delete(roomid);
    for (const m of room.members.values()) await this.release(m);
    await room.placed.then(async (p) => {
      if (!empty) return this.pool.forgetRoom(p.room);
      await this.pool.destroyRoom(p.room).catch((err: unknown) => this.log.warn({ err, roomid }, 'could not destroy the Janus room'));
      // A room that lives on (going back to a mesh) is no sfu room any more; a deleted one took its placement along.
      await Promise.resolve(this.store.placeSfu(roomid, null, p)).catch((err: unknown) => this.log.warn({ err, roomid }, 'could not drop the room\'s placement'));
    }, () => {});
  }

  /** Releases every member and room (shutdown); the Janus rooms too, unless other nodes share them. */
  async close(): Promise<void> {
    const rooms = [...this.rooms.values()];
    this.rooms.clear();
    for (const room of rooms) {
      for (const m of room.members.values()) await this.release(m);
      if (!this.shared) await room.placed.then((p) => this.pool.destroyRoom(p.room).catch(() => {}), () => {});
    }
    await this.pool.close();
  }

  // ---------------------------------------------------------------------------
  // Placement and failover

  private newRoom(roomid: string, publishers: number): SfuRoom {
    const placed = Promise.reject(new Error('not placed yet'));
    placed.catch(() => {});
    return { roomid, publishers, placed, at: undefined, homeless: undefined, members: new Map(), local: new Set() };
  }

  /** A room another node placed: known here from now on. */
  private adopt(roomid: string, placement: SfuPlacement): SfuRoom {
    const room = this.newRoom(roomid, 0);
    this.settle(room, placement);
    this.rooms.set(roomid, room);
    return room;
  }

  /** The room is on `placement` now (another node placed or moved it). */
  private settle(room: SfuRoom, placement: SfuPlacement): void {
    try {
      this.pool.adoptRoom(placement);
    } catch (err) {
      this.log.warn({ err, roomid: room.roomid, url: placement.url }, 'a room is placed on a Janus instance this node was not given');
    }
    room.at = placement;
    room.homeless = undefined;
    room.placed = Promise.resolve(placement);
  }

  /**
   * Creates a Janus room for `room` on the live instance with the fewest
   * rooms, and records it in the store if the room's placement is still
   * `previous`: of several nodes placing a room at once, one wins; the others
   * drop the Janus room they made and take the winner's.
   */
  private async place(room: SfuRoom, previous: SfuPlacement | undefined, unique = false): Promise<{ placement: SfuPlacement; won: boolean }> {
    // A room adopted from another node: its size from the store.
    const publishers = room.publishers || (await this.store.get(room.roomid))?.maxParticipants;
    const options = publishers ? { publishers } : {};
    // Another node made one of this id on the same instance meanwhile (or `unique`: an old one may still be going): ours gets an id of its own, the store decides.
    const renamed = () => this.pool.createRoom({ room: `${room.roomid}~${randomBytes(6).toString('base64url')}`, ...options });
    const mine = unique
      ? await renamed()
      : await this.pool.createRoom({ room: room.roomid, ...options }).catch((err: unknown) => {
          if (!(err instanceof JanusError && err.code === JanusErrorCode.videoroomRoomExists)) throw err;
          return renamed();
        });
    const won = await this.store.placeSfu(room.roomid, mine, previous ?? null);
    if (won && samePlacement(won, mine)) return { placement: mine, won: true };
    await this.pool.destroyRoom(mine.room).catch((err: unknown) => this.log.debug({ err, roomid: room.roomid }, 'dropping a Janus room that lost'));
    if (!won) throw new SfuRefusal('room-not-found', 'the room is gone');
    this.pool.adoptRoom(won);
    return { placement: won, won: false };
  }

  /**
   * The room's Janus room is lost (its instance died, or Janus forgot it):
   * members' Janus sides go, the room is placed again (another instance, or
   * the same once it answers again) and the node that wins the store tells
   * every member, on every node, `sfu:reset`: they publish and subscribe anew.
   */
  private move(room: SfuRoom, from: SfuPlacement): void {
    if (room.at ? !samePlacement(room.at, from) : !room.homeless) return; // moved already, or moving
    room.at = undefined;
    room.homeless = undefined;
    for (const m of [...room.members.values()]) {
      room.members.delete(m.userid);
      void this.release(m);
    }
    this.pool.forgetRoom(from.room); // or the pool would hand the lost one back
    const placing = this.place(room, from);
    const placed = placing.then(({ placement }) => placement);
    placed.catch(() => {});
    room.placed = placed;
    placing.then(
      ({ placement, won }) => {
        if (room.placed !== placed) return;
        room.at = placement;
        this.log.info({ roomid: room.roomid, url: placement.url, won }, 'room moved to another Janus room');
        if (won) this.relay.toRoom(room.roomid, 'sfu:reset', { reason: 'media-server-lost' });
      },
      (err: unknown) => {
        if (room.placed !== placed || err instanceof SfuRefusal) return; // superseded, or the room is gone
        room.homeless = from;
        this.log.warn({ err, roomid: room.roomid }, 'no Janus instance to move the room to yet: it moves when one answers');
      },
    );
  }

  /**
   * Runs a request on the member's Janus side. A lost Janus room (426) moves
   * the room; Janus faults become refusals a client acts upon
   * (`sfu-unavailable`: wait for `sfu:reset`; `peer-not-found`: no such feed).
   */
  private async janus<T>(member: SfuMember, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (!(err instanceof JanusError)) throw err;
      if (err.code === JanusErrorCode.videoroomNoSuchFeed) throw new SfuRefusal('peer-not-found', `Janus: ${err.message}`);
      if (err.code === JanusErrorCode.videoroomNoSuchRoom) {
        const room = [...this.rooms.values()].find((r) => r.members.get(member.userid) === member);
        if (room) this.move(room, member.at);
      }
      // Gone (the instance, the room, or our session in it), or Janus refused what the member sent (an SDP it cannot take).
      const gone = ([JanusErrorCode.transport, JanusErrorCode.videoroomNoSuchRoom, JanusErrorCode.sessionNotFound, JanusErrorCode.handleNotFound] as number[]).includes(err.code);
      if (gone) throw new SfuRefusal('sfu-unavailable', `the room's media server failed (${err.message}): wait for sfu:reset`);
      throw new SfuRefusal('invalid-request', `Janus refused it (${err.code}): ${err.message}`);
    }
  }

  // ---------------------------------------------------------------------------
  // Members

  /**
   * The member's Janus side on the room's current placement (made anew after
   * a move). `fresh`: look at the store first, in case another node moved the room.
   */
  private async member(roomid: string, userid: string, connId: string, fresh = false): Promise<SfuMember> {
    const room = this.rooms.get(roomid);
    if (!room) throw new SfuRefusal('invalid-request', 'this room is not an sfu room: use signal');
    let at: SfuPlacement;
    try {
      at = await room.placed;
    } catch {
      throw new SfuRefusal('sfu-unavailable', 'the room has no media server now: it gets one when a Janus instance answers');
    }
    if (fresh && room.at) {
      const stored = await this.store.sfuPlacement(roomid);
      if (stored && !samePlacement(stored, room.at)) {
        this.settle(room, stored);
        at = stored;
      }
    }
    let member = room.members.get(userid);
    if (member && (member.connId !== connId || !samePlacement(member.at, at))) {
      // A newer connection of the same userid (Janus ids are userids), or handles in a room that moved: they go first.
      room.members.delete(userid);
      await this.release(member);
      member = undefined;
    }
    if (!member) {
      member = { userid, connId, at, session: undefined, publisher: undefined, publishing: false, sent: new Map(), subscriber: undefined };
      room.members.set(userid, member);
    }
    return member;
  }

  private async sessionOf(member: SfuMember): Promise<JanusSession> {
    if (member.session && !member.session.closed) return member.session;
    member.session = await this.pool.sessionFor(member.at.room);
    return member.session;
  }

  private trickleOut(member: SfuMember, target: SfuTarget, c: TrickleCandidate | { completed: true }): void {
    const candidate = 'completed' in c ? null : { candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null };
    this.relay.toConnection(member.connId, 'sfu:trickle', { target, candidate });
  }

  private async release(member: SfuMember): Promise<void> {
    const { publisher, subscriber, session } = member;
    member.publisher = undefined;
    member.subscriber = undefined;
    member.session = undefined;
    await Promise.all([publisher?.leave(), subscriber?.leave()]);
    await session?.destroy().catch(() => {});
  }

  /** What each active m-line of a subscriber connection carries, with the publisher's stream id when its offer named one. */
  private streamInfo(room: SfuRoom, streams: SubscribedStream[]): SfuStreamInfo[] {
    // Known for publishers of this node; a publisher on another node (shared mode) has its m-lines grouped by member.
    const sent = (s: SubscribedStream) => (s.feedMid === undefined ? undefined : room.members.get(s.feed)?.sent.get(s.feedMid));
    // Janus keeps forwarding-slots for m-lines a publisher stopped (until the subscriber renegotiates): not media anymore.
    return streams
      .filter((s) => s.active && s.type !== 'data' && (sent(s) !== undefined || !room.members.get(s.feed)?.publishing))
      .map((s) => {
        const streamid = sent(s);
        return {
          userid: s.feed,
          mid: s.mid,
          ...(s.feedMid !== undefined ? { feedMid: s.feedMid } : {}),
          ...(s.type ? { type: s.type } : {}),
          ...(streamid ? { streamid } : {}),
        };
      });
  }
}

/** The m-lines an offer sends media on (not inactive, recvonly, rejected or data): mid -> msid stream id ('' without one). */
export function sentStreams(sdp: string): Map<string, string> {
  const sent = new Map<string, string>();
  for (const section of sdp.split(/\r?\nm=/).slice(1)) {
    if (/^(application|\S+ 0 )/.test(section) || /\na=(inactive|recvonly)/.test(section)) continue;
    const mid = /\na=mid:(\S+)/.exec(section)?.[1];
    if (mid) sent.set(mid, /\na=msid:(\S+)/.exec(section)?.[1] ?? '');
  }
  return sent;
}
