// VideoRoom operations over a Janus handle: rooms (create/exists/list/destroy), publishers and subscribers.
import { randomBytes } from 'node:crypto';
import type { JanusSession, JanusHandle } from './session.js';
import { JanusError, type Jsep, type PluginData } from './types.js';

export const VIDEOROOM = 'janus.plugin.videoroom';

/** A room as we create it in Janus. */
export interface VideoRoomOptions {
  /** Our room id (string ids: Janus runs with `string_ids = true`). */
  room: string;
  /** Most concurrent publishers (default 16). */
  publishers?: number;
  /** Max video bitrate per publisher, bits/s (default: Janus' own, unlimited). */
  bitrate?: number;
  description?: string;
}

/** A participant as `listparticipants` reports it. */
export interface VideoRoomParticipant {
  id: string;
  display?: string;
  publisher: boolean;
}

/** A publisher's stream as the room announces it. */
export interface VideoRoomPublisher {
  id: string;
  display?: string;
  streams?: Array<{ type?: string; mid?: string; disabled?: boolean }>;
}

/** One stream to subscribe to: a feed (publisher id), optionally one of its m-lines. */
export interface FeedStream {
  feed: string;
  mid?: string;
}

/** One m-line of a subscriber's PeerConnection, as Janus reports it. */
export interface SubscribedStream {
  mid: string;
  feed: string;
  feedMid?: string;
  type?: 'audio' | 'video' | 'data';
  active: boolean;
}

/** The `streams` list of a subscriber's join/update/updated reply, if it holds one. */
export function subscribedStreams(data: PluginData): SubscribedStream[] | undefined {
  if (!Array.isArray(data.streams)) return undefined;
  return (data.streams as PluginData[])
    .filter((s) => s.mid !== undefined && s.feed_id !== undefined)
    .map((s) => ({
      mid: String(s.mid),
      feed: String(s.feed_id),
      ...(s.feed_mid !== undefined ? { feedMid: String(s.feed_mid) } : {}),
      ...(s.type === 'audio' || s.type === 'video' || s.type === 'data' ? { type: s.type } : {}),
      active: s.active !== false,
    }));
}

/** A random room secret: required to destroy the room, never sent to browsers. */
export function newRoomSecret(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * Room administration on one VideoRoom handle (the pool keeps one per
 * instance). `adminKey` is the plugin's `admin_key`, needed to create rooms.
 */
export class VideoRoomAdmin {
  constructor(
    readonly handle: JanusHandle,
    private readonly adminKey: string | undefined,
  ) {}

  static async attach(session: JanusSession, adminKey: string | undefined): Promise<VideoRoomAdmin> {
    return new VideoRoomAdmin(await session.attach(VIDEOROOM), adminKey);
  }

  /**
   * Creates a private room with a fresh random secret and returns that secret.
   * Rejects with code 427 when the room exists already.
   */
  async create(options: VideoRoomOptions): Promise<{ room: string; secret: string }> {
    const secret = newRoomSecret();
    await this.handle.message({
      request: 'create',
      room: options.room,
      ...(this.adminKey !== undefined ? { admin_key: this.adminKey } : {}),
      secret,
      is_private: true,
      permanent: false,
      publishers: options.publishers ?? 16,
      ...(options.bitrate !== undefined ? { bitrate: options.bitrate } : {}),
      ...(options.description !== undefined ? { description: options.description } : {}),
    });
    return { room: options.room, secret };
  }

  /** Whether Janus has this room. */
  async exists(room: string): Promise<boolean> {
    const { data } = await this.handle.message({ request: 'exists', room });
    return data.exists === true;
  }

  /** Ids of every room on this instance (private ones included: the admin_key shows them). */
  async list(): Promise<string[]> {
    const { data } = await this.handle.message({
      request: 'list',
      ...(this.adminKey !== undefined ? { admin_key: this.adminKey } : {}),
    });
    const list = Array.isArray(data.list) ? (data.list as PluginData[]) : [];
    return list.map((r) => String(r.room));
  }

  /** Who is in the room, as Janus sees it. */
  async participants(room: string): Promise<VideoRoomParticipant[]> {
    const { data } = await this.handle.message({ request: 'listparticipants', room });
    const list = Array.isArray(data.participants) ? (data.participants as PluginData[]) : [];
    return list.map((p) => ({
      id: String(p.id),
      ...(typeof p.display === 'string' ? { display: p.display } : {}),
      publisher: p.publisher === true,
    }));
  }

  /** Destroys the room (every participant is dropped). A room already gone is not an error. */
  async destroy(room: string, secret: string): Promise<void> {
    try {
      await this.handle.message({ request: 'destroy', room, secret, permanent: false });
    } catch (err) {
      if (err instanceof JanusError && err.code === 426) return;
      throw err;
    }
  }
}

function publishersOf(data: PluginData): VideoRoomPublisher[] {
  const list = Array.isArray(data.publishers) ? (data.publishers as PluginData[]) : [];
  return list.map((p) => ({
    id: String(p.id),
    ...(typeof p.display === 'string' ? { display: p.display } : {}),
    ...(Array.isArray(p.streams) ? { streams: p.streams as VideoRoomPublisher['streams'] } : {}),
  }));
}

/** One member's sending side: a publisher handle in a room. */
export class VideoRoomPublisherHandle {
  private constructor(
    readonly handle: JanusHandle,
    readonly room: string,
    readonly id: string,
    /** Publishers already in the room when this one joined. */
    readonly publishers: VideoRoomPublisher[],
  ) {}

  /** Attaches a handle on `session` and joins `room` as publisher `id`. */
  static async join(session: JanusSession, options: { room: string; id: string; display?: string }): Promise<VideoRoomPublisherHandle> {
    const handle = await session.attach(VIDEOROOM);
    try {
      const { data } = await handle.message({
        request: 'join',
        ptype: 'publisher',
        room: options.room,
        id: options.id,
        ...(options.display !== undefined ? { display: options.display } : {}),
      });
      return new VideoRoomPublisherHandle(handle, options.room, String(data.id), publishersOf(data));
    } catch (err) {
      await handle.detach();
      throw err;
    }
  }

  /** Sends the browser's offer; resolves with Janus' answer. Also used to renegotiate. */
  async publish(offer: Jsep, options: { audio?: boolean; video?: boolean } = {}): Promise<Jsep> {
    const { jsep } = await this.handle.message({ request: 'configure', ...options }, offer);
    if (!jsep || jsep.type !== 'answer') throw new JanusError(0, 'Janus accepted the offer without an answer');
    return jsep;
  }

  /** Stops publishing, staying in the room. */
  async unpublish(): Promise<void> {
    await this.handle.message({ request: 'unpublish' });
  }

  /** Leaves the room and detaches the handle. Never throws. */
  async leave(): Promise<void> {
    await this.handle.message({ request: 'leave' }).catch(() => {});
    await this.handle.detach();
  }
}

/** One member's receiving side: one subscriber handle (one PeerConnection) carrying many feeds. */
export class VideoRoomSubscriberHandle {
  private constructor(
    readonly handle: JanusHandle,
    readonly room: string,
    /** The m-lines of the latest offer (kept current by `update` and Janus' own `updated` events). */
    public streams: SubscribedStream[],
  ) {
    handle.on('event', (data) => {
      const streams = subscribedStreams(data);
      if (streams) this.streams = streams;
    });
  }

  /**
   * Attaches a handle and subscribes to `streams`; resolves with Janus' offer,
   * which the browser answers (`start`).
   */
  static async join(
    session: JanusSession,
    options: { room: string; streams: FeedStream[]; privateId?: number },
  ): Promise<{ subscriber: VideoRoomSubscriberHandle; offer: Jsep }> {
    const handle = await session.attach(VIDEOROOM);
    try {
      const { data, jsep } = await handle.message({
        request: 'join',
        ptype: 'subscriber',
        room: options.room,
        streams: options.streams,
        ...(options.privateId !== undefined ? { private_id: options.privateId } : {}),
      });
      if (!jsep || jsep.type !== 'offer') throw new JanusError(0, 'Janus subscribed without an offer');
      return { subscriber: new VideoRoomSubscriberHandle(handle, options.room, subscribedStreams(data) ?? []), offer: jsep };
    } catch (err) {
      await handle.detach();
      throw err;
    }
  }

  /** Sends the browser's answer to Janus' latest offer. */
  async start(answer: Jsep): Promise<void> {
    await this.handle.message({ request: 'start' }, answer);
  }

  /**
   * Adds and/or removes feeds on this subscription; resolves with Janus' new
   * offer (answer it with `start`), or undefined when nothing changed.
   */
  async update(changes: { subscribe?: FeedStream[]; unsubscribe?: FeedStream[] }): Promise<Jsep | undefined> {
    const { data, jsep } = await this.handle.message({
      request: 'update',
      ...(changes.subscribe?.length ? { subscribe: changes.subscribe } : {}),
      ...(changes.unsubscribe?.length ? { unsubscribe: changes.unsubscribe } : {}),
    });
    this.streams = subscribedStreams(data) ?? this.streams;
    return jsep;
  }

  /** Changes what Janus forwards on these m-lines (`substream`: 0 the lowest simulcast layer … 2 the highest). No renegotiation. */
  async configure(streams: Array<{ mid: string; substream?: number }>): Promise<void> {
    await this.handle.message({ request: 'configure', streams });
  }

  /** Leaves and detaches the handle. Never throws. */
  async leave(): Promise<void> {
    await this.handle.message({ request: 'leave' }).catch(() => {});
    await this.handle.detach();
  }
}
