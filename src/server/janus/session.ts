// A Janus session (kept alive) and its plugin handles: plugin messages with JSEP, trickle, events routed per handle.
import { EventEmitter } from 'node:events';
import type { JanusConnection } from './connection.js';
import {
  JanusError,
  type JanusMessage,
  type Jsep,
  type PluginData,
  type PluginResult,
  type TrickleCandidate,
  type TrickleCompleted,
} from './types.js';

type SessionEvents = {
  /** The session is gone: destroyed, timed out in Janus, or its connection died. */
  closed: [reason: Error];
};

/** One Janus session. Created by `JanusConnection.createSession()`. */
export class JanusSession extends EventEmitter<SessionEvents> {
  private readonly handles = new Map<number, JanusHandle>();
  private keepalive: NodeJS.Timeout | undefined;
  private closedReason: Error | undefined;

  constructor(
    readonly connection: JanusConnection,
    readonly id: number,
  ) {
    super();
    this.keepalive = setInterval(() => {
      connection.request({ janus: 'keepalive', session_id: id }, true).catch((err: unknown) => {
        if (this.closedReason) return;
        // An unanswered keepalive means the instance hangs or the link is gone:
        // the whole connection is unusable. A refused one means Janus forgot us.
        if (err instanceof JanusError && err.code !== 0) this.markClosed(err);
        else connection.die(err instanceof Error ? err : new JanusError(0, String(err)));
      });
    }, connection.keepaliveMs);
    this.keepalive.unref();
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  /** Attaches a handle to `plugin` (e.g. `janus.plugin.videoroom`). */
  async attach(plugin: string): Promise<JanusHandle> {
    this.assertOpen();
    const res = await this.connection.request({ janus: 'attach', session_id: this.id, plugin });
    const handleId = res.data?.id;
    if (typeof handleId !== 'number') throw new JanusError(0, 'Janus attached a handle without an id');
    const handle = new JanusHandle(this, handleId, plugin);
    this.handles.set(handleId, handle);
    handle.once('detached', () => this.handles.delete(handleId));
    return handle;
  }

  /** Destroys the session in Janus (its handles go with it). Never throws. */
  async destroy(): Promise<void> {
    if (this.closedReason) return;
    const reason = new JanusError(0, 'session destroyed');
    try {
      await this.connection.request({ janus: 'destroy', session_id: this.id });
    } catch {
      // Already gone in Janus, or the connection died: nothing left to release there.
    }
    this.markClosed(reason);
  }

  /** Ends the session locally (no request to Janus). */
  markClosed(reason: Error): void {
    if (this.closedReason) return;
    this.closedReason = reason;
    clearInterval(this.keepalive);
    this.keepalive = undefined;
    for (const handle of [...this.handles.values()]) handle.markDetached(reason);
    this.emit('closed', reason);
  }

  /** An event without a pending transaction, for this session. */
  onEvent(msg: JanusMessage): void {
    if (msg.janus === 'timeout') return this.markClosed(new JanusError(458, 'Janus timed the session out'));
    if (typeof msg.sender === 'number') this.handles.get(msg.sender)?.onEvent(msg);
  }

  assertOpen(): void {
    if (this.closedReason) throw this.closedReason;
  }
}

type HandleEvents = {
  /** A plugin event not answering one of our requests (e.g. new publishers in the room). */
  event: [data: PluginData, jsep: Jsep | undefined];
  /** Janus' ICE candidate (only with full trickle; half trickle puts them in the SDP). */
  trickle: [candidate: TrickleCandidate | TrickleCompleted];
  /** DTLS is up: media can flow. */
  webrtcup: [];
  /** The PeerConnection in Janus went down (`reason` from Janus). */
  hangup: [reason: string];
  /** Janus started or stopped receiving a kind of media on this handle. */
  media: [info: { type?: string; mid?: string; receiving?: boolean }];
  /** The handle is gone (detached by us or Janus, session closed). */
  detached: [reason: Error];
};

/** A handle attached to one plugin within a session. */
export class JanusHandle extends EventEmitter<HandleEvents> {
  private detachedReason: Error | undefined;

  constructor(
    readonly session: JanusSession,
    readonly id: number,
    readonly plugin: string,
  ) {
    super();
  }

  get detached(): boolean {
    return this.detachedReason !== undefined;
  }

  /**
   * Sends `body` (and an SDP) to the plugin; resolves with its reply or, for
   * asynchronous requests (join, configure, start...), its event. A reply
   * carrying `error_code` rejects with a JanusError holding that code.
   */
  async message(body: Record<string, unknown>, jsep?: Jsep): Promise<PluginResult> {
    this.assertAttached();
    const res = await this.session.connection.request({
      janus: 'message',
      session_id: this.session.id,
      handle_id: this.id,
      body,
      ...(jsep ? { jsep } : {}),
    });
    const data = res.plugindata?.data;
    if (!data) throw new JanusError(0, `${this.plugin} answered ${String(body.request)} without data`);
    if (typeof data.error_code === 'number') throw new JanusError(data.error_code, String(data.error ?? 'plugin error'));
    return res.jsep ? { data, jsep: res.jsep } : { data };
  }

  /** Trickles one browser candidate to Janus, or the end of candidates (`null`). */
  async trickle(candidate: TrickleCandidate | null): Promise<void> {
    this.assertAttached();
    await this.session.connection.request(
      {
        janus: 'trickle',
        session_id: this.session.id,
        handle_id: this.id,
        candidate: candidate ?? { completed: true },
      },
      true,
    );
  }

  /** Closes the handle's PeerConnection in Janus, keeping the handle. */
  async hangup(): Promise<void> {
    this.assertAttached();
    await this.session.connection.request({ janus: 'hangup', session_id: this.session.id, handle_id: this.id });
  }

  /** Detaches the handle in Janus. Never throws. */
  async detach(): Promise<void> {
    if (this.detachedReason) return;
    try {
      await this.session.connection.request({ janus: 'detach', session_id: this.session.id, handle_id: this.id });
    } catch {
      // Gone already (session or connection closed): nothing left to release.
    }
    this.markDetached(new JanusError(0, 'handle detached'));
  }

  markDetached(reason: Error): void {
    if (this.detachedReason) return;
    this.detachedReason = reason;
    this.emit('detached', reason);
  }

  onEvent(msg: JanusMessage): void {
    switch (msg.janus) {
      case 'event':
        if (msg.plugindata?.data) this.emit('event', msg.plugindata.data, msg.jsep);
        break;
      case 'trickle':
        if (msg.candidate) this.emit('trickle', msg.candidate);
        break;
      case 'webrtcup':
        this.emit('webrtcup');
        break;
      case 'hangup':
        this.emit('hangup', msg.reason ?? '');
        break;
      case 'media':
        this.emit('media', {
          ...(msg.type !== undefined ? { type: msg.type } : {}),
          ...(msg.mid !== undefined ? { mid: msg.mid } : {}),
          ...(msg.receiving !== undefined ? { receiving: msg.receiving } : {}),
        });
        break;
      case 'detached':
        this.markDetached(new JanusError(0, 'Janus detached the handle'));
        break;
      default:
        break; // slowlink and others: not needed yet
    }
  }

  private assertAttached(): void {
    this.session.assertOpen();
    if (this.detachedReason) throw this.detachedReason;
  }
}
