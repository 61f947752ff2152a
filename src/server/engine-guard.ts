/** The engine-level guard of one connection: every incoming packet counted, protocol violations and stalled readers closed, each batch written out in one system call. */
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
  readonly transport: {
    readonly name: string;
    /** engine.io's: the transport has handed every earlier batch over (websocket: written to the OS), so a flush writes at once. */
    readonly writable?: boolean;
    readonly socket?: { readonly bufferedAmount?: number; terminate?(): void; readonly _socket?: Corkable };
  };
  on(event: 'packet', listener: (packet: Packet) => void): unknown;
  on(event: 'packetCreate', listener: (packet: Packet) => void): unknown;
  on(event: 'flush', listener: (packets: Packet[]) => void): unknown;
  on(event: 'drain', listener: () => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  close(discard?: boolean): unknown;
}

/** The OS socket under a websocket (ws keeps it as `_socket`, stable across ws 8). */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/** Far more than the gate can lag behind engine.io. */
const MAX_REFUSALS = 1024;

// socket.io packet types, as the first character of an engine.io message.
const EVENT = 0x32; // '2'
const ACK = 0x33; // '3'
const BINARY_EVENT = 0x35; // '5'
const BINARY_ACK = 0x36; // '6'
const OPEN_BRACKET = 0x5b; // '['
const SLASH = 0x2f; // '/'
const COMMA = 0x2c; // ','
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/**
 * A socket.io EVENT of the default namespace: `2`, the namespace written out
 * or not (`/,`), an optional ack id, then the array. socket.io dispatches both
 * spellings to the same socket, so both count.
 */
function isDefaultNamespaceEvent(data: string): boolean {
  if (data.charCodeAt(0) !== EVENT) return false;
  let i = 1;
  if (data.charCodeAt(1) === SLASH) {
    if (data.charCodeAt(2) !== COMMA) return false;
    i = 3;
  }
  let c = data.charCodeAt(i);
  while (c >= DIGIT_0 && c <= DIGIT_9) c = data.charCodeAt(++i);
  return c === OPEN_BRACKET;
}

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
   * socket.io events counted here, and seen by the event gate: socket.io
   * dispatches an event a tick after engine.io hands it over, when the
   * packets behind it may already be counted. Nearly every decision is `ok`,
   * so only the others are kept, with the ordinal of their event.
   */
  private counted = 0;
  private gated = 0;
  private readonly refusals: { readonly at: number; readonly decision: RateDecision }[] = [];
  private queued = 0;
  private pingsOutstanding = 0;
  private closed = false;
  /** The OS socket held corked while engine.io hands the transport one batch. */
  private corked: Corkable | null = null;

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
    socket.on('drain', () => this.uncork());
    socket.on('close', () => {
      this.closed = true;
      this.uncork();
    });
  }

  /** The socket.io socket on this connection, once the handshake passed: a flood is disconnected through it. */
  get ioSocket() {
    return this.ioSocketRef;
  }
  set ioSocket(socket: { readonly connected: boolean; disconnect(close: boolean): unknown } | null) {
    this.ioSocketRef = socket;
    // Events sent before the handshake finished never reach the gate.
    this.gated = this.counted;
    this.refusals.length = 0;
  }

  /**
   * The rate decision of the next socket.io event the gate sees; `drop` for
   * events that arrived after the connection was condemned (no ack, no work).
   */
  nextEventDecision(): RateDecision | 'drop' {
    // An event not counted here: one sent after the connection was condemned.
    if (this.gated >= this.counted) return this.closed ? 'drop' : 'ok';
    const n = ++this.gated;
    const refusal = this.refusals[0];
    if (refusal?.at !== n) return 'ok';
    this.refusals.shift();
    return refusal.decision;
  }

  /** Bytes held for this client now: packets not yet handed to the transport plus the websocket's unsent bytes. */
  get bufferedBytes(): number {
    const transport = this.socket.transport;
    return this.queued + (transport.name === 'websocket' ? (transport.socket?.bufferedAmount ?? 0) : 0);
  }

  private onIncoming(packet: Packet): void {
    if (this.closed) return;
    const decision = this.limiter.take(Date.now());
    const data = packet.data;
    if (typeof data === 'string' && packet.type === 'message' && isDefaultNamespaceEvent(data)) {
      // Its decision, for when the gate sees it.
      const at = ++this.counted;
      if (decision !== 'ok') {
        this.refusals.push({ at, decision });
        if (this.refusals.length > MAX_REFUSALS) this.refusals.shift();
      }
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
      if (typeof data !== 'string') return this.refuse('binary', { bytes: byteLength(data) });
      const type = data.charCodeAt(0);
      if (type === ACK) return this.refuse('unsolicited-ack', { type: data[0]! });
      if (type === BINARY_EVENT || type === BINARY_ACK) return this.refuse('binary', { type: data[0]! });
    }
  }

  private onOutgoing(packet: Packet): void {
    if (packet.type === 'ping') this.pingsOutstanding = 1;
    // Nothing waits and the transport is free: engine.io writes this packet
    // right after this event, so nothing is held for the client (the usual
    // case, where counting and reading the socket would be wasted work).
    if (this.queued === 0 && this.socket.transport.writable === true) return;
    this.queued += byteLength(packet.data);
    if (this.closed) return;
    const held = this.bufferedBytes;
    if (held > this.options.maxBufferedBytes) this.refuse('slow-reader', { bufferedBytes: held, limit: this.options.maxBufferedBytes });
  }

  /**
   * engine.io hands its whole write buffer to the transport at once: nothing
   * of it is held here any more. ws writes each packet of the batch as its
   * own frame, one system call each; with the OS socket corked until the
   * batch is handed over (engine.io's `drain`, right after), the frames leave
   * in one write. The batches are the packets that waited while the previous
   * write finished: under load, a client's acks and the signals to a member.
   */
  private onFlush(): void {
    this.queued = 0;
    const transport = this.socket.transport;
    if (transport.name !== 'websocket') return;
    const os = transport.socket?._socket;
    if (!os) return;
    this.uncork();
    os.cork();
    this.corked = os;
  }

  private uncork(): void {
    const os = this.corked;
    if (!os) return;
    this.corked = null;
    os.uncork();
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
