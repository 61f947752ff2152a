/** The socket.io side of a room: a typed socket, request/ack helpers and RoomError; no WebRTC here. */
import { WebSocket as WsTransport } from 'engine.io-client';
import { io, type Socket } from 'socket.io-client';
import type { Ack, ClientToServerEvents, ErrorCode, HandshakeAuth, ServerToClientEvents } from '../protocol.js';

export type RoomSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Codes the client adds to the server's (`ErrorCode`). */
export type ClientErrorCode = 'server-unreachable' | 'timeout' | 'no-room-id' | 'not-joined' | 'aborted' | 'session-replaced' | 'removed' | 'room-ended';

/** A failed room operation: the server's error code, or one of the client's own. */
export class RoomError extends Error {
  override readonly name = 'RoomError';
  constructor(
    readonly code: ErrorCode | ClientErrorCode,
    message: string,
    /** With `unauthorized`: the room token's `exp` has passed (set a fresh `token`). */
    readonly expired = false,
  ) {
    super(message);
  }
}

type AckOf<E extends keyof ClientToServerEvents> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];
type OkOf<E extends keyof ClientToServerEvents> = Extract<AckOf<E>, { ok: true }>;

export interface ReconnectPolicy {
  /** Attempts before giving up (Infinity: never). */
  attempts: number;
  /** First delay, doubled on every attempt up to `maxDelayMs` (with ±30 % jitter). */
  delayMs: number;
  maxDelayMs: number;
}

/** Retry fast enough to be back within seconds of a server restart; jitter spreads the herd. */
export const DEFAULT_RECONNECT: ReconnectPolicy = { attempts: Infinity, delayMs: 500, maxDelayMs: 2000 };

export function createSocket(url: string | undefined, auth: HandshakeAuth, policy: ReconnectPolicy): RoomSocket {
  const options = {
    auth,
    // WebSocket (one round trip less than polling-then-upgrade); polling joins in below once it fails.
    transports: [WsTransport],
    tryAllTransports: true,
    reconnection: true,
    reconnectionAttempts: policy.attempts,
    reconnectionDelay: policy.delayMs,
    reconnectionDelayMax: policy.maxDelayMs,
    randomizationFactor: 0.3,
    timeout: 8000,
  };
  const socket = (url ? io(url, options) : io(options)) as RoomSocket;
  // HTTP long-polling, for networks whose proxies drop WebSockets, is fetched on the first failure to connect
  // (a chunk of its own in the CDN bundle): the next attempts try the WebSocket, then polling.
  socket.io.once('error', () => {
    void import('./polling.js').then(
      ({ XHR }) => void (socket.io.opts.transports = [WsTransport, XHR]),
      () => void pollingFailed.add(socket),
    );
  });
  return socket;
}

const pollingFailed = new WeakSet<RoomSocket>();

/** True for a failure without a reason (`err.data`) while the socket has tried only the WebSocket, polling being on its way: it says little yet. */
export const pollingPending = (socket: RoomSocket, err: { data?: unknown }): boolean =>
  !err.data && socket.io.opts.transports?.length === 1 && !pollingFailed.has(socket);

/** Emits a client event and resolves with the ack's payload, or rejects with a RoomError. */
export function request<E extends keyof ClientToServerEvents>(
  socket: RoomSocket,
  event: E,
  payload: Parameters<ClientToServerEvents[E]>[0],
  timeoutMs = 10000,
  /** Runs as the ack arrives, before anything the server sent after it is handled. */
  onAck?: () => void,
): Promise<OkOf<E>> {
  return new Promise((resolve, reject) => {
    const timed = socket.timeout(timeoutMs) as unknown as {
      emit(ev: string, p: unknown, cb: (err: Error | null, res: Ack<object>) => void): void;
    };
    timed.emit(event, payload, (err, res) => {
      if (!err) onAck?.();
      if (err) reject(new RoomError('timeout', `The signaling server did not answer ${event} within ${timeoutMs} ms.`));
      else if (!res || typeof res !== 'object') reject(new RoomError('internal-error', `Malformed answer to ${event}.`));
      else if (res.ok) resolve(res as OkOf<E>);
      else reject(new RoomError(res.error.code, res.error.message, res.error.expired === true));
    });
  });
}
