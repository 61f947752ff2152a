// The connection gate: where a connection is admitted (origin, handshake, tokens) and every incoming packet passes (rate limit, shape, queue cap).
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JWTPayload } from 'jose';
import type { Logger } from 'pino';
import * as v from 'valibot';
import { USERID_PATTERN, type ClientEventName, type ErrorCode, type HandshakeErrorData } from '../protocol.js';
import type { ResolvedConfig } from './config.js';
import type { Connection } from './connections.js';
import { attachGuard, type EngineSocketLike, type GuardViolation } from './engine-guard.js';
import { fail } from './handlers/context.js';
import type { IoSocket } from './io.js';
import type { Metrics } from './metrics.js';
import { isClientEvent, type AnyAck } from './router.js';
import { TokenError, type RoomGrant } from './tokens.js';
import { describeIssues, extraSchema, handshakeSchema } from './validation.js';

/** Refuses a handshake; socket.io hands `data` to the client as `connect_error`'s `err.data`. */
export class HandshakeError extends Error {
  readonly data: HandshakeErrorData;
  constructor(code: ErrorCode, message: string, expired = false) {
    super(code);
    this.data = expired ? { code, message, expired } : { code, message };
  }
}

/** A packet the gate let through: a known request with one payload and an ack. */
export type AdmittedPacket = [event: ClientEventName, payload: unknown, ack: AnyAck];

export interface Gate {
  /** engine.io's `allowRequest`: refuses while shutting down, from origins not allowed and from addresses holding too many connections. */
  allowRequest(req: IncomingMessage, cb: (err: string | null | undefined, success: boolean) => void): void;
  /** engine.io's `connection`: guards the new connection from its first packet and counts it against its address. */
  engineConnection(engineSocket: EngineSocketLike & { readonly request: IncomingMessage }): void;
  /** socket.io middleware (`io.use`): the handshake's auth, tokens and `authenticate`; sets `socket.data`. */
  handshake(socket: IoSocket, next: (err?: Error) => void): void;
  /** Every incoming packet of an admitted connection: true for a request to queue, false when refused (and acked here). */
  admit(conn: Connection, packet: unknown[]): packet is AdmittedPacket;
}

export interface GateOptions {
  config: Pick<
    ResolvedConfig,
    'originPolicy' | 'sharedToken' | 'verifyToken' | 'jwksUrl' | 'authenticate' | 'maxPending' | 'rateLimit' | 'maxBufferedBytes' | 'maxConnectionsPerIp' | 'trustProxy'
  >;
  metrics: Pick<Metrics, 'handshakesRejected' | 'rejected' | 'rateLimitDisconnects' | 'protocolDisconnects'>;
  log: Logger;
  closing(): boolean;
}

export function createGate({ config, metrics, log, closing }: GateOptions): Gate {
  /** Open engine.io connections per client address. */
  const perAddress = new Map<string, number>();

  async function authenticate(socket: IoSocket): Promise<void> {
    if (closing()) throw new HandshakeError('shutting-down', 'the server is shutting down');
    const parsed = v.safeParse(handshakeSchema, socket.handshake.auth ?? {});
    if (!parsed.success) throw new HandshakeError('invalid-request', `auth: ${describeIssues(parsed.issues)}`);
    let { userid, extra } = parsed.output;
    const token = parsed.output.token;
    if (config.sharedToken !== undefined && !(token !== undefined && safeEqual(token, config.sharedToken))) {
      throw new HandshakeError('unauthorized', 'missing or wrong auth.token');
    }
    let grant: RoomGrant | null = null;
    let claims: JWTPayload | undefined;
    if (config.verifyToken) {
      if (!token) throw new HandshakeError('unauthorized', 'missing auth.token (a room token)');
      try {
        const verified = await config.verifyToken(token);
        userid = verified.userid;
        grant = verified.grant;
        claims = verified.claims;
      } catch (err) {
        if (!(err instanceof TokenError)) throw err;
        if (err.kind === 'unavailable') {
          log.error({ jwksUrl: config.jwksUrl }, 'cannot fetch the room token keys');
          throw new HandshakeError('internal-error', err.message);
        }
        log.debug({ reason: err.message }, 'room token refused');
        throw new HandshakeError('unauthorized', err.message, err.kind === 'expired');
      }
    }
    if (config.authenticate) {
      const verdict = await config.authenticate({ userid, token, extra, claims, handshake: socket.handshake });
      if (!verdict) throw new HandshakeError('unauthorized', 'refused by authenticate()');
      if (typeof verdict === 'object') {
        if (verdict.userid !== undefined) {
          if (!USERID_PATTERN.test(verdict.userid)) throw new Error('authenticate() returned an invalid userid');
          userid = verdict.userid;
        }
        if (verdict.extra !== undefined) {
          const e = v.safeParse(extraSchema, verdict.extra);
          if (!e.success) throw new Error('authenticate() returned an invalid extra');
          extra = e.output;
        }
      }
    }
    socket.data = { userid: userid ?? randomUUID(), extra: extra ?? {}, roomid: null, grant };
  }

  /** A request refused at the gate: counted, and acked with the error when it has an ack. */
  function refuse(conn: Connection, ack: AnyAck | undefined, code: ErrorCode, message: string, reason: string = code): false {
    metrics.rejected.inc({ reason });
    try {
      ack?.(fail(code, message));
    } catch (err) {
      conn.log.error({ err }, 'ack failed');
    }
    return false;
  }

  return {
    allowRequest(req, cb) {
      if (closing()) return cb('the server is shutting down', false);
      const origin = req.headers.origin;
      if (!config.originPolicy.allows(origin, req.headers.host)) {
        metrics.handshakesRejected.inc({ reason: 'origin' });
        const shown = displayOrigin(origin);
        log.warn({ origin: shown }, 'connection refused: origin not allowed');
        // The refused page may read why (and only why): engine.io answers 403 with
        // `{ code, message }`, and the client fetches that once when it cannot connect.
        const res = (req as IncomingMessage & { res?: ServerResponse }).res;
        if (origin && res && !res.headersSent && !shown.startsWith('(')) {
          res.setHeader('Access-Control-Allow-Origin', shown);
          res.setHeader('Vary', 'Origin');
        }
        return cb(originRefusal(shown), false);
      }
      const address = clientAddress(req, config.trustProxy);
      if ((perAddress.get(address) ?? 0) >= config.maxConnectionsPerIp) {
        metrics.handshakesRejected.inc({ reason: 'connections-per-ip' });
        log.warn({ address, limit: config.maxConnectionsPerIp }, 'connection refused: too many connections from one address');
        return cb(`too many connections from your address (at most ${config.maxConnectionsPerIp})`, false);
      }
      cb(null, true);
    },

    engineConnection(engineSocket) {
      // engine.io emits `connection` in the same tick as the handshake's allowRequest: no race with the count above.
      const address = clientAddress(engineSocket.request, config.trustProxy);
      perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
      engineSocket.on('close', () => {
        const left = (perAddress.get(address) ?? 1) - 1;
        if (left > 0) perAddress.set(address, left);
        else perAddress.delete(address);
      });
      attachGuard(
        engineSocket,
        { maxBufferedBytes: config.maxBufferedBytes, rateLimit: config.rateLimit },
        {
          violation(reason, detail) {
            metrics.protocolDisconnects.inc({ reason });
            log.warn({ address, reason, ...detail }, `connection closed: ${VIOLATIONS[reason]}`);
          },
          flood() {
            metrics.rateLimitDisconnects.inc();
            log.warn({ address }, 'connection closed for flooding');
          },
        },
      );
    },

    handshake(socket, next) {
      authenticate(socket).then(
        () => next(),
        (err: unknown) => {
          if (err instanceof HandshakeError) {
            metrics.handshakesRejected.inc({ reason: err.data.code });
            next(err);
          } else {
            log.error({ err }, 'handshake failed');
            metrics.handshakesRejected.inc({ reason: 'internal-error' });
            next(new HandshakeError('internal-error', 'handshake failed'));
          }
        },
      );
    },

    admit(conn, packet): packet is AdmittedPacket {
      const { socket } = conn;
      // Packets already received when a flood got the socket disconnected.
      if (!socket.connected) return false;
      // Read in place (every relayed message passes here: no copies, no closures).
      const event = packet[0];
      const last = packet[packet.length - 1];
      const ack = typeof last === 'function' ? (last as AnyAck) : undefined;
      // Counted by the connection guard as the packet arrived (every packet, whatever its type).
      const decision = conn.guard.nextEventDecision();
      if (decision === 'drop') return false;
      if (decision !== 'ok') return refuse(conn, ack, 'rate-limited', 'too many messages; slow down');
      if (!isClientEvent(event)) return refuse(conn, ack, 'invalid-request', 'unknown event', 'unknown-event');
      if (!ack) return refuse(conn, ack, 'invalid-request', 'missing ack callback', 'missing-ack');
      if (packet.length !== 3) return refuse(conn, ack, 'invalid-request', 'expected exactly one payload and an ack callback');
      if (closing()) return refuse(conn, ack, 'shutting-down', 'the server is shutting down');
      if (conn.pending >= config.maxPending) return refuse(conn, ack, 'rate-limited', 'too many requests in flight');
      return true;
    },
  };
}

const VIOLATIONS: Record<GuardViolation, string> = {
  'slow-reader': 'the client does not read what it is sent (more than maxBufferedBytes held for it)',
  'unsolicited-pong': 'a pong answering no ping',
  'unsolicited-ack': 'an ACK the server never asked for',
  binary: 'a binary packet (the protocol has none)',
};

/**
 * The address a connection comes from: the socket's peer, or behind a trusted
 * proxy the last `X-Forwarded-For` entry (the one that proxy appended; earlier
 * ones are whatever the client claimed).
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  let address = req.socket?.remoteAddress ?? 'unknown';
  if (trustProxy) {
    const header = req.headers['x-forwarded-for'];
    const last = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').pop()?.trim();
    if (last) address = last;
  }
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

function safeEqual(a: string, b: string): boolean {
  // Hash first so the comparison takes the same time whatever the lengths.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** The 403 message: the code first (the client matches it), then what to do. */
export function originRefusal(shown: string): string {
  if (shown === 'null') {
    return 'origin-not-allowed: this server does not accept pages from null (a sandboxed frame or a file:// page); serve the page from an http(s) origin and list it with --allowed-origins, or start the server with --allowed-origins "*"';
  }
  const flag = shown.startsWith('(') ? '--allowed-origins <the page\'s origin>' : `--allowed-origins ${shown}`;
  return `origin-not-allowed: this server does not accept pages from ${shown}; start it with ${flag} (or add it to allowedOrigins)`;
}

/** An Origin header as shown in logs and errors: parsed, or a placeholder. */
function displayOrigin(origin: string | undefined): string {
  if (!origin) return '(none)';
  // Sandboxed frames and file:// pages.
  if (origin === 'null') return 'null';
  try {
    const o = new URL(origin).origin;
    return o === 'null' ? 'null' : o;
  } catch {
    return '(invalid origin)';
  }
}
