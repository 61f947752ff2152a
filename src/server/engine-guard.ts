/** The engine-level guard of one connection: every incoming packet counted, protocol violations and stalled readers closed. */
import { RateLimiter, type RateDecision, type RateLimitOptions } from './rate-limit.js';

/** An engine.io packet as engine.io's events hand it over. */
export interface Packet {
  type: string;
  data?: unknown;
}

/** Why the guard closed a connection (the `reason` label of `rtc_protocol_disconnects_total`). */
export type GuardViolation =
  /** More than `maxBufferedBytes` waited to be read by the client. */
  | 'slow-reader'
  /** A pong with no ping outstanding: answers to pings the client never read. */
  | 'unsolicited-pong'
  /** A socket.io ACK: the server never asks a client for one. */
  | 'unsolicited-ack'
  /** A binary socket.io packet or frame: the protocol has none. */
  | 'binary';

export interface GuardOptions {
  /** Bytes the server may hold for one connection before closing it. */
  maxBufferedBytes: number;
  rateLimit: Required<RateLimitOptions>;
}

export interface GuardHooks {
  /** The connection was closed for `reason` (already closed when this runs). */
  violation(reason: GuardViolation, detail: Record<string, number | string>): void;
  /** The connection sent too many packets and was closed. */
  flood(): void;
}

/**
 * The part of an engine.io server socket the guard uses. engine.io's typings
 * keep `writeBuffer` and the transport's socket internal; these members are
 * stable across engine.io 6.
 */
export interface EngineSocketLike {
  readonly readyState: string;
  readonly transport: { readonly name: string; readonly socket?: { readonly bufferedAmount?: number; terminate?(): void } };
  on(event: 'packet', listener: (packet: Packet) => void): unknown;
  on(event: 'packetCreate', listener: (packet: Packet) => void): unknown;
  on(event: 'flush', listener: (packets: Packet[]) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  close(discard?: boolean): unknown;
}

/** A socket.io EVENT of the default namespace (`2`, an optional ack id, the array). */
const EVENT_PACKET = /^2\d*\[/;
/** Far more than the gate can lag behind engine.io; only a client sending to other namespaces fills it. */
const MAX_EVENT_DECISIONS = 1024;

/** socket.io packet types that no client of ours may send (ACK, BINARY_EVENT, BINARY_ACK). */
const REFUSED_SOCKET_IO_TYPES = new Set(['3', '5', '6']);

/**
 * Watches one engine.io connection from its first packet: the rate limit
 * covers every packet (events, ACKs, pongs, noops…), not only socket.io
 * events; what the server holds for the client is capped; a pong must answer a
 * ping; ACKs and binary packets are refused before socket.io decodes them.
 */
export class ConnectionGuard {
  private readonly limiter: RateLimiter;
  private ioSocketRef: { readonly connected: boolean; disconnect(close: boolean): unknown } | null = null;
  /**
   * Rate decisions of socket.io events received and not yet seen by the
   * event gate, in order: socket.io decodes and dispatches a packet after
   * engine.io has already counted the ones behind it.
   */
  private readonly eventDecisions: RateDecision[] = [];
  private queued = 0;
  private pingsOutstanding = 0;
  private closed = false;

  constructor(
    private readonly socket: EngineSocketLike,
    private readonly options: GuardOptions,
    private readonly hooks: GuardHooks,
    now = Date.now(),
  ) {
    this.limiter = new RateLimiter(options.rateLimit, now);
    socket.on('packet', (p) => this.onIncoming(p));
    socket.on('packetCreate', (p) => this.onOutgoing(p));
    socket.on('flush', () => this.onFlush());
    socket.on('close', () => {
      this.closed = true;
    });
  }

  /** The socket.io socket on this connection, once the handshake passed: a flood is disconnected through it. */
  get ioSocket() {
    return this.ioSocketRef;
  }
  set ioSocket(socket: { readonly connected: boolean; disconnect(close: boolean): unknown } | null) {
    this.ioSocketRef = socket;
    // Events sent before the handshake finished never reach the gate.
    this.eventDecisions.length = 0;
  }

  /**
   * The rate decision of the next socket.io event the gate sees; `drop` for
   * events that arrived after the connection was condemned (no ack, no work).
   */
  nextEventDecision(): RateDecision | 'drop' {
    return this.eventDecisions.shift() ?? (this.closed ? 'drop' : 'ok');
  }

  /** Bytes held for this client now: packets not yet handed to the transport plus the websocket's unsent bytes. */
  get bufferedBytes(): number {
    const transport = this.socket.transport;
    return this.queued + (transport.name === 'websocket' ? (transport.socket?.bufferedAmount ?? 0) : 0);
  }

  private onIncoming(packet: Packet): void {
    if (this.closed) return;
    const decision = this.limiter.take(Date.now());
    const isEvent = packet.type === 'message' && typeof packet.data === 'string' && EVENT_PACKET.test(packet.data);
    if (isEvent) {
      // Its decision, for when the gate sees it.
      this.eventDecisions.push(decision);
      if (this.eventDecisions.length > MAX_EVENT_DECISIONS) this.eventDecisions.shift();
    }
    if (decision === 'disconnect') {
      // socket.io's own disconnect tells the client not to reconnect by itself; without a socket, close outright.
      const ioSocket = this.ioSocket;
      if (ioSocket?.connected) {
        this.closed = true;
        // After the events already received are gated (socket.io dispatches them
        // on the next ticks): each one still gets its rate-limited ack.
        setImmediate(() => ioSocket.disconnect(true));
      } else {
        this.close();
      }
      this.hooks.flood();
      return;
    }
    if (packet.type === 'pong') {
      if (this.pingsOutstanding === 0) return this.refuse('unsolicited-pong', {});
      this.pingsOutstanding--;
    } else if (packet.type === 'message') {
      const data = packet.data;
      if (typeof data !== 'string') return this.refuse('binary', { bytes: byteLength(data) });
      if (REFUSED_SOCKET_IO_TYPES.has(data[0] ?? '')) {
        return this.refuse(data[0] === '3' ? 'unsolicited-ack' : 'binary', { type: data[0]! });
      }

    }
  }

  private onOutgoing(packet: Packet): void {
    if (packet.type === 'ping') this.pingsOutstanding = 1;
    this.queued += byteLength(packet.data);
    if (!this.closed && this.bufferedBytes > this.options.maxBufferedBytes) {
      this.refuse('slow-reader', { bufferedBytes: this.bufferedBytes, limit: this.options.maxBufferedBytes });
    }
  }

  /** engine.io hands its whole write buffer to the transport at once: nothing of it is held here any more. */
  private onFlush(): void {
    this.queued = 0;
  }

  private refuse(reason: GuardViolation, detail: Record<string, number | string>): void {
    this.close();
    this.hooks.violation(reason, detail);
  }

  /**
   * Closes at once, dropping whatever is queued: an orderly close would wait
   * for the client to read it, which a stalled reader never does.
   */
  private close(): void {
    if (this.closed) return;
    this.closed = true;
    const transport = this.socket.transport;
    if (transport.name === 'websocket') transport.socket?.terminate?.();
    this.socket.close(true);
  }
}

function byteLength(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

const guards = new WeakMap<object, ConnectionGuard>();

/** Starts guarding an engine.io connection (from engine.io's `connection` event, before socket.io sees it). */
export function attachGuard(socket: EngineSocketLike, options: GuardOptions, hooks: GuardHooks): ConnectionGuard {
  const guard = new ConnectionGuard(socket, options, hooks);
  guards.set(socket, guard);
  return guard;
}

/** The guard of a socket.io socket's engine.io connection. */
export function guardOf(socket: { readonly conn: object }): ConnectionGuard {
  const guard = guards.get(socket.conn);
  if (!guard) throw new Error('connection without a guard');
  return guard;
}
