// One WebSocket to one Janus instance: transactions with timeouts, event routing to sessions, death detection.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { JanusError, type JanusMessage } from './types.js';
import { JanusSession } from './session.js';

export interface JanusConnectionOptions {
  /** Janus' WebSocket API, e.g. `ws://127.0.0.1:8188`. */
  url: string;
  /** Janus' `api_secret`, sent with every request. */
  apiSecret?: string;
  /** How long a request may wait for its answer (default 10 s). */
  requestTimeoutMs?: number;
  /** How long the WebSocket may take to open (default 5 s). */
  connectTimeoutMs?: number;
  /** Keepalive period for sessions; must stay well under Janus' session_timeout (default 15 s). */
  keepaliveMs?: number;
}

interface Pending {
  resolve(msg: JanusMessage): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  /** Resolve on Janus' `ack` (keepalive, trickle), or wait for the result (plugin messages). */
  untilAck: boolean;
}

type ConnectionEvents = {
  /** The instance is gone for this connection (socket closed, keepalive unanswered); all its sessions are dead. */
  dead: [reason: Error];
};

/**
 * A connection to one Janus instance. Open it with `JanusConnection.open()`;
 * it never reconnects by itself: once `dead` fires, open a new one (the pool
 * does).
 */
export class JanusConnection extends EventEmitter<ConnectionEvents> {
  readonly url: string;
  readonly keepaliveMs: number;
  private readonly apiSecret: string | undefined;
  private readonly requestTimeoutMs: number;
  private readonly pending = new Map<string, Pending>();
  private readonly sessions = new Map<number, JanusSession>();
  private deadReason: Error | undefined;

  private constructor(
    private readonly ws: WebSocket,
    options: JanusConnectionOptions,
  ) {
    super();
    this.url = options.url;
    this.apiSecret = options.apiSecret;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10000;
    this.keepaliveMs = options.keepaliveMs ?? 15000;
    ws.on('message', (data: unknown) => this.onMessage(data));
    ws.on('close', (code: number) => this.die(new JanusError(0, `Janus at ${this.url} closed the connection (${code})`)));
    ws.on('error', (err: Error) => this.die(new JanusError(0, `Janus at ${this.url}: ${err.message}`)));
  }

  /** Opens the WebSocket (subprotocol `janus-protocol`). Rejects when Janus does not answer. */
  static open(options: JanusConnectionOptions): Promise<JanusConnection> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(options.url, 'janus-protocol', { handshakeTimeout: options.connectTimeoutMs ?? 5000 });
      const fail = (err: Error) => {
        ws.removeAllListeners();
        ws.on('error', () => {});
        ws.terminate();
        reject(new JanusError(0, `cannot reach Janus at ${options.url}: ${err.message}`));
      };
      ws.once('error', fail);
      ws.once('unexpected-response', () => fail(new Error('unexpected HTTP response')));
      ws.once('open', () => {
        ws.removeAllListeners();
        resolve(new JanusConnection(ws, options));
      });
    });
  }

  /** Whether the connection is still usable. */
  get alive(): boolean {
    return this.deadReason === undefined;
  }

  /** Creates a Janus session (kept alive until destroyed or the connection dies). */
  async createSession(): Promise<JanusSession> {
    const res = await this.request({ janus: 'create' });
    const id = res.data?.id;
    if (typeof id !== 'number') throw new JanusError(0, 'Janus created a session without an id');
    const session = new JanusSession(this, id);
    this.sessions.set(id, session);
    session.once('closed', () => this.sessions.delete(id));
    return session;
  }

  /** Asks Janus for its `info` (version, plugins, transports); also a cheap liveness check. */
  info(): Promise<JanusMessage> {
    return this.request({ janus: 'info' });
  }

  /**
   * Sends one request and resolves with Janus' answer: the `success`/`event`
   * for the transaction, or the `ack` when `untilAck`. Rejects with a
   * JanusError when Janus answers `error`, on timeout, or when the connection dies.
   */
  request(body: Record<string, unknown>, untilAck = false): Promise<JanusMessage> {
    if (this.deadReason) return Promise.reject(this.deadReason);
    const transaction = randomBytes(9).toString('base64url');
    const msg = { ...body, transaction, ...(this.apiSecret !== undefined ? { apisecret: this.apiSecret } : {}) };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(transaction);
        reject(new JanusError(0, `Janus at ${this.url} did not answer ${String(body.janus)} within ${this.requestTimeoutMs} ms`));
      }, this.requestTimeoutMs);
      this.pending.set(transaction, { resolve, reject, timer, untilAck });
      this.ws.send(JSON.stringify(msg), (err) => {
        if (err) this.settle(transaction, undefined, new JanusError(0, `cannot send to Janus at ${this.url}: ${err.message}`));
      });
    });
  }

  /** Closes the socket; Janus then drops our sessions (reclaim_session_timeout = 0). */
  close(): void {
    this.die(new JanusError(0, `connection to Janus at ${this.url} closed by us`));
  }

  /** Marks the connection dead (used by sessions whose keepalive went unanswered). */
  die(reason: Error): void {
    if (this.deadReason) return;
    this.deadReason = reason;
    for (const [transaction] of this.pending) this.settle(transaction, undefined, reason);
    for (const session of [...this.sessions.values()]) session.markClosed(reason);
    this.ws.removeAllListeners();
    this.ws.on('error', () => {});
    this.ws.terminate();
    this.emit('dead', reason);
  }

  private settle(transaction: string, msg: JanusMessage | undefined, err?: Error): void {
    const p = this.pending.get(transaction);
    if (!p) return;
    this.pending.delete(transaction);
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(msg!);
  }

  private onMessage(raw: unknown): void {
    let msg: JanusMessage;
    try {
      const parsed: unknown = JSON.parse(String(raw));
      if (!parsed || typeof parsed !== 'object' || typeof (parsed as JanusMessage).janus !== 'string') return;
      msg = parsed as JanusMessage;
    } catch {
      return; // Janus only sends JSON; anything else is ignored, never fatal.
    }
    const p = msg.transaction !== undefined ? this.pending.get(msg.transaction) : undefined;
    if (p) {
      if (msg.janus === 'error') {
        const e = msg.error ?? { code: 0, reason: 'unknown error' };
        return this.settle(msg.transaction!, undefined, new JanusError(e.code, e.reason));
      }
      if (msg.janus === 'ack' && !p.untilAck) return; // the plugin's result follows with the same transaction
      return this.settle(msg.transaction!, msg);
    }
    if (msg.janus === 'ack' || msg.janus === 'success') return; // late answer to a timed-out request
    if (typeof msg.session_id === 'number') this.sessions.get(msg.session_id)?.onEvent(msg);
  }
}
