// SfuRooms: this server's `sfu` rooms on the Janus pool: one Janus room per room, one publisher and one subscriber handle per member.
import type { Logger } from 'pino';
import { SFU_LAYERS, type IceCandidateData, type SfuJsep, type SfuLayerRequest, type SfuStreamInfo, type SfuTarget } from '../protocol.js';
import {
  JanusError,
  JanusPool,
  VideoRoomPublisherHandle,
  VideoRoomSubscriberHandle,
  type JanusSession,
  type SubscribedStream,
  type TrickleCandidate,
} from './janus/index.js';
import type { Relay } from './relay.js';

/** A refusal the handlers turn into an ack error (anything else thrown is a server or Janus fault). */
export class SfuRefusal extends Error {
  constructor(
    readonly code: 'sfu-unavailable' | 'peer-not-found' | 'invalid-request',
    message: string,
  ) {
    super(message);
  }
}

/** One member's Janus side. Its requests arrive one at a time (the connection's request queue). */
interface SfuMember {
  readonly userid: string;
  readonly connId: string;
  session: JanusSession | undefined;
  publisher: VideoRoomPublisherHandle | undefined;
  publishing: boolean;
  /** The m-lines the member's last offer sends: mid -> its MediaStream id (msid; '' without one). */
  sent: Map<string, string>;
  subscriber: VideoRoomSubscriberHandle | undefined;
}

interface SfuRoom {
  readonly roomid: string;
  /** Settles when the Janus room exists (rejects when it could not be created). */
  readonly ready: Promise<void>;
  readonly members: Map<string, SfuMember>;
}

/**
 * The `sfu` rooms of this server. Janus secrets (api_secret, admin_key, the
 * rooms' own random secrets) stay in here and in the pool: what reaches a
 * browser is SDP, candidates and userids.
 */
export class SfuRooms {
  private readonly rooms = new Map<string, SfuRoom>();

  constructor(
    private readonly pool: JanusPool,
    private readonly relay: Relay,
    private readonly log: Logger,
  ) {
    pool.on('down', (url, rooms, reason) => {
      // Janus lost the rooms and every member's PeerConnections; members see
      // their connections fail. Re-placing a room is future work (issue #17).
      log.warn({ url, rooms: rooms.length, err: reason }, 'a Janus instance went down');
    });
  }

  /** `sfu` for a room of ours placed on Janus, else `mesh`. */
  topology(roomid: string): 'mesh' | 'sfu' {
    return this.rooms.has(roomid) ? 'sfu' : 'mesh';
  }

  /** Whether some Janus instance answers now. */
  get available(): boolean {
    return this.pool.liveUrls.length > 0;
  }

  /**
   * Records `roomid` as an `sfu` room at once (members joining meanwhile see
   * it) and creates its Janus room: private, with a random secret.
   */
  open(roomid: string, publishers: number): Promise<void> {
    const ready = this.pool.createRoom({ room: roomid, publishers }).then(() => undefined);
    const room: SfuRoom = { roomid, ready, members: new Map() };
    ready.catch(() => {
      if (this.rooms.get(roomid) === room) this.rooms.delete(roomid);
    });
    this.rooms.set(roomid, room);
    return ready;
  }

  /** Sends the member's offer to Janus as its publisher; resolves with Janus' answer. Tells the room on the first one. */
  async publish(roomid: string, userid: string, connId: string, offer: SfuJsep): Promise<SfuJsep> {
    const member = await this.member(roomid, userid, connId);
    if (!member.publisher) {
      const publisher = await VideoRoomPublisherHandle.join(await this.sessionOf(roomid, member), { room: roomid, id: userid, display: userid });
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
    const answer = await publisher.publish(offer);
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
    const member = await this.member(roomid, userid, connId);
    const room = this.rooms.get(roomid)!;
    const publishing = [...room.members.values()].filter((m) => m.publishing && m.userid !== userid).map((m) => m.userid);
    const wanted = feeds === undefined ? publishing : [...new Set(feeds)];
    const missing = wanted.filter((f) => !publishing.includes(f));
    if (missing.length) throw new SfuRefusal('peer-not-found', `not publishing in this room: ${missing.join(', ')}`);
    if (!member.subscriber) {
      if (wanted.length === 0) throw new SfuRefusal('peer-not-found', 'nobody else publishes yet: wait for sfu:feeds');
      const { subscriber, offer } = await VideoRoomSubscriberHandle.join(await this.sessionOf(roomid, member), {
        room: roomid,
        streams: wanted.map((feed) => ({ feed })),
      });
      member.subscriber = subscriber;
      subscriber.handle.on('trickle', (c) => this.trickleOut(member, 'subscriber', c));
      subscriber.handle.on('event', (_data, jsep) => {
        // Janus renegotiates on its own when a feed goes away.
        if (jsep?.type === 'offer') this.relay.toConnection(member.connId, 'sfu:offer', { jsep, streams: this.streamInfo(room, subscriber.streams) });
      });
      return { jsep: offer, streams: this.streamInfo(room, subscriber.streams) };
    }
    // Whole feeds we do not have yet, and the new m-lines of feeds we have (a publisher added a stream).
    const active = member.subscriber.streams.filter((s) => s.active);
    const added = wanted.flatMap((feed) => {
      const have = active.filter((s) => s.feed === feed).map((s) => s.feedMid);
      if (!have.length) return [{ feed }];
      return [...(room.members.get(feed)?.sent.keys() ?? [])].filter((mid) => !have.includes(mid)).map((mid) => ({ feed, mid }));
    });
    const jsep = added.length ? await member.subscriber.update({ subscribe: added }) : undefined;
    return { ...(jsep ? { jsep } : {}), streams: this.streamInfo(room, member.subscriber.streams) };
  }

  /** The member's answer to the subscriber connection's latest offer. */
  async start(roomid: string, userid: string, connId: string, answer: SfuJsep): Promise<void> {
    const member = await this.member(roomid, userid, connId);
    if (!member.subscriber) throw new SfuRefusal('invalid-request', 'sfu:subscribe first');
    await member.subscriber.start(answer);
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
    await handle.trickle(
      candidate && {
        candidate: candidate.candidate,
        ...(candidate.sdpMid !== undefined ? { sdpMid: candidate.sdpMid } : {}),
        ...(candidate.sdpMLineIndex !== undefined ? { sdpMLineIndex: candidate.sdpMLineIndex } : {}),
      },
    );
  }

  /**
   * The member left the room (or disconnected, or was replaced): its handles
   * and Janus session are released; `empty`: our room is gone, so is the Janus room.
   */
  async leave(roomid: string, userid: string, connId: string, empty: boolean): Promise<void> {
    const room = this.rooms.get(roomid);
    if (!room) return;
    const member = room.members.get(userid);
    if (member && member.connId === connId) {
      room.members.delete(userid);
      await this.release(member);
      if (member.publishing) this.relay.toRoom(roomid, 'sfu:feeds', { added: [], removed: [userid] }, connId);
    }
    if (empty) {
      this.rooms.delete(roomid);
      for (const m of room.members.values()) await this.release(m);
      await room.ready.then(
        () => this.pool.destroyRoom(roomid).catch((err: unknown) => this.log.warn({ err, roomid }, 'could not destroy the Janus room')),
        () => {},
      );
    }
  }

  /** Releases every member and room (shutdown). */
  async close(): Promise<void> {
    const rooms = [...this.rooms.values()];
    this.rooms.clear();
    for (const room of rooms) {
      for (const m of room.members.values()) await this.release(m);
      await room.ready.then(
        () => this.pool.destroyRoom(room.roomid).catch(() => {}),
        () => {},
      );
    }
    await this.pool.close();
  }

  private async member(roomid: string, userid: string, connId: string): Promise<SfuMember> {
    const room = this.rooms.get(roomid);
    if (!room) throw new SfuRefusal('invalid-request', 'this room is not an sfu room: use signal');
    try {
      await room.ready;
    } catch {
      throw new SfuRefusal('sfu-unavailable', 'the room could not be placed on Janus');
    }
    let member = room.members.get(userid);
    if (member && member.connId !== connId) {
      // A newer connection of the same userid: the old one's handles go first (Janus ids are userids).
      room.members.delete(userid);
      await this.release(member);
      member = undefined;
    }
    if (!member) {
      member = { userid, connId, session: undefined, publisher: undefined, publishing: false, sent: new Map(), subscriber: undefined };
      room.members.set(userid, member);
    }
    return member;
  }

  private async sessionOf(roomid: string, member: SfuMember): Promise<JanusSession> {
    if (member.session && !member.session.closed) return member.session;
    try {
      member.session = await this.pool.sessionFor(roomid);
    } catch (err) {
      if (err instanceof JanusError && err.code === 0) throw new SfuRefusal('sfu-unavailable', 'the Janus instance of this room is down');
      throw err;
    }
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
