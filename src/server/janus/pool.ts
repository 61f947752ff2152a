// Several Janus instances: rooms spread least-rooms-first, dead instances noticed, reconnected and reused.
import { EventEmitter } from 'node:events';
import { JanusConnection } from './connection.js';
import type { JanusSession } from './session.js';
import { JanusError } from './types.js';
import { VideoRoomAdmin, type VideoRoomOptions } from './videoroom.js';

export interface JanusPoolOptions {
  /** Janus WebSocket URLs (`--janus-url`, repeatable). */
  urls: string[];
  /** Janus' `api_secret` (`--janus-api-secret`). */
  apiSecret?: string;
  /** The VideoRoom `admin_key` (`--janus-admin-key`). */
  adminKey?: string;
  requestTimeoutMs?: number;
  keepaliveMs?: number;
  /** First delay before reconnecting a dead instance; doubles up to `maxRetryMs` (default 500 ms). */
  retryMs?: number;
  /** Longest delay between reconnection attempts (default 5 s). */
  maxRetryMs?: number;
}

/** A room placed on an instance, with the secret that destroys it. */
export interface PlacedRoom {
  room: string;
  url: string;
  secret: string;
}

/** One Janus instance as the pool sees it. */
export class JanusInstance {
  connection: JanusConnection | undefined;
  /** The session holding the admin handle (room create/destroy/exists). */
  session: JanusSession | undefined;
  admin: VideoRoomAdmin | undefined;
  /** Rooms the pool placed here (our room id -> secret). */
  readonly rooms = new Map<string, string>();
  retryDelay = 0;
  retryTimer: NodeJS.Timeout | undefined;
  connecting: Promise<void> | undefined;

  constructor(readonly url: string) {}

  get up(): boolean {
    return this.connection?.alive === true && this.admin !== undefined && this.session?.closed === false;
  }
}

type PoolEvents = {
  /** An instance answers (at start or after a restart). */
  up: [url: string];
  /** An instance died: `rooms` were on it and must be placed again (their members re-publish). */
  down: [url: string, rooms: string[], reason: Error];
};

/**
 * A pool of Janus instances. `start()` connects to every instance that
 * answers; `createRoom()` places a room on the live instance with the fewest
 * rooms. A dead instance fires `down` with the rooms it held, and is retried
 * with backoff until it answers again (`up`).
 */
export class JanusPool extends EventEmitter<PoolEvents> {
  private readonly instances: JanusInstance[];
  private readonly roomsById = new Map<string, JanusInstance>();
  private closed = false;

  constructor(private readonly options: JanusPoolOptions) {
    super();
    if (options.urls.length === 0) throw new Error('JanusPool needs at least one Janus URL');
    this.instances = [...new Set(options.urls)].map((url) => new JanusInstance(url));
  }

  /** Connects every instance; resolves once each answered or failed once (failed ones keep retrying). */
  async start(): Promise<void> {
    await Promise.all(this.instances.map((i) => this.connect(i)));
  }

  /** URLs of the instances currently answering. */
  get liveUrls(): string[] {
    return this.instances.filter((i) => i.up).map((i) => i.url);
  }

  /** The instance a room is placed on, if any. */
  instanceOf(room: string): string | undefined {
    return this.roomsById.get(room)?.url;
  }

  /** How many rooms each instance holds. */
  load(): Map<string, number> {
    return new Map(this.instances.map((i) => [i.url, i.rooms.size]));
  }

  /** A new session on the instance holding `room` (one per member: publisher and subscriber handles). */
  async sessionFor(room: string): Promise<JanusSession> {
    const instance = this.roomsById.get(room);
    if (!instance?.up) throw new JanusError(0, `room ${room} has no live Janus instance`);
    return instance.connection!.createSession();
  }

  /**
   * Creates `room` on the live instance with the fewest rooms (trying the next
   * one when an instance fails) with a fresh random secret.
   */
  async createRoom(options: VideoRoomOptions): Promise<PlacedRoom> {
    const existing = this.roomsById.get(options.room);
    if (existing?.up) return { room: options.room, url: existing.url, secret: existing.rooms.get(options.room)! };
    const tried = new Set<JanusInstance>();
    let lastError: Error = new JanusError(0, 'no Janus instance is up');
    for (;;) {
      const candidates = this.instances.filter((i) => i.up && !tried.has(i));
      if (candidates.length === 0) throw lastError;
      const instance = candidates.reduce((a, b) => (b.rooms.size < a.rooms.size ? b : a));
      tried.add(instance);
      try {
        const { secret } = await instance.admin!.create(options);
        instance.rooms.set(options.room, secret);
        this.roomsById.set(options.room, instance);
        return { room: options.room, url: instance.url, secret };
      } catch (err) {
        lastError = err instanceof Error ? err : new Error(String(err));
        if (err instanceof JanusError && err.code !== 0) throw err; // Janus refused: another instance would too
      }
    }
  }

  /**
   * Records a room placed earlier (e.g. read back from the room store after a
   * restart of our server), so the counts and `destroyRoom` know it.
   */
  adoptRoom(placed: PlacedRoom): void {
    const instance = this.instances.find((i) => i.url === placed.url);
    if (!instance) throw new Error(`unknown Janus instance ${placed.url}`);
    this.forgetRoom(placed.room);
    instance.rooms.set(placed.room, placed.secret);
    this.roomsById.set(placed.room, instance);
  }

  /** Forgets a room without destroying it in Janus (other signaling nodes still use it). */
  forgetRoom(room: string): void {
    this.roomsById.get(room)?.rooms.delete(room);
    this.roomsById.delete(room);
  }

  /** The ids of the room's publishers, as Janus lists them (members on other signaling nodes included). */
  async publishers(room: string): Promise<string[]> {
    const instance = this.roomsById.get(room);
    if (!instance?.up) throw new JanusError(0, `room ${room} has no live Janus instance`);
    return (await instance.admin!.participants(room)).filter((p) => p.publisher).map((p) => p.id);
  }

  /** Whether Janus itself still has the room (through its `exists` request). */
  async roomExists(room: string): Promise<boolean> {
    const instance = this.roomsById.get(room);
    if (!instance?.up) return false;
    return instance.admin!.exists(room);
  }

  /** Destroys the room in Janus and forgets it. An instance that is down already lost it. */
  async destroyRoom(room: string): Promise<void> {
    const instance = this.roomsById.get(room);
    if (!instance) return;
    const secret = instance.rooms.get(room)!;
    this.forgetRoom(room);
    if (instance.up) await instance.admin!.destroy(room, secret);
  }

  /** Closes every connection (Janus drops our sessions and their PeerConnections). */
  async close(): Promise<void> {
    this.closed = true;
    for (const i of this.instances) {
      clearTimeout(i.retryTimer);
      i.connection?.close();
    }
  }

  private connect(instance: JanusInstance): Promise<void> {
    instance.connecting ??= this.tryConnect(instance).finally(() => {
      instance.connecting = undefined;
    });
    return instance.connecting;
  }

  private async tryConnect(instance: JanusInstance): Promise<void> {
    if (this.closed) return;
    let connection: JanusConnection | undefined;
    try {
      connection = await JanusConnection.open({
        url: instance.url,
        ...(this.options.apiSecret !== undefined ? { apiSecret: this.options.apiSecret } : {}),
        ...(this.options.requestTimeoutMs !== undefined ? { requestTimeoutMs: this.options.requestTimeoutMs } : {}),
        ...(this.options.keepaliveMs !== undefined ? { keepaliveMs: this.options.keepaliveMs } : {}),
      });
      const session = await connection.createSession();
      const admin = await VideoRoomAdmin.attach(session, this.options.adminKey);
      if (this.closed) return connection.close();
      instance.connection = connection;
      instance.session = session;
      instance.admin = admin;
      instance.retryDelay = 0;
      connection.once('dead', (reason) => this.onDead(instance, connection!, reason));
      this.emit('up', instance.url);
    } catch {
      // A refused api_secret is as fatal as a closed port: retry, the operator sees it in the logs of both.
      connection?.close();
      this.scheduleRetry(instance);
    }
  }

  private onDead(instance: JanusInstance, connection: JanusConnection, reason: Error): void {
    if (instance.connection !== connection) return;
    instance.connection = undefined;
    instance.session = undefined;
    instance.admin = undefined;
    // Janus keeps no rooms across a restart (permanent = false) and every
    // member's session died with the connection: the rooms must move.
    const rooms = [...instance.rooms.keys()];
    for (const room of rooms) this.forgetRoom(room);
    if (!this.closed) {
      this.emit('down', instance.url, rooms, reason);
      this.scheduleRetry(instance);
    }
  }

  private scheduleRetry(instance: JanusInstance): void {
    if (this.closed || instance.retryTimer) return;
    const base = this.options.retryMs ?? 500;
    instance.retryDelay = Math.min(instance.retryDelay ? instance.retryDelay * 2 : base, this.options.maxRetryMs ?? 5000);
    instance.retryTimer = setTimeout(() => {
      instance.retryTimer = undefined;
      void this.connect(instance);
    }, instance.retryDelay);
    instance.retryTimer.unref();
  }
}
