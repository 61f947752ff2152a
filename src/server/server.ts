import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import type { JSONWebKeySet, JWTPayload } from 'jose';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import type { Registry } from 'prom-client';
import { Server, type Socket } from 'socket.io';
import * as v from 'valibot';
import {
  CLIENT_EVENTS,
  DEFAULT_MAX_ROOM_SIZE,
  DEFAULT_ROOM_SIZE,
  MAX_PACKET_BYTES,
  USERID_PATTERN,
  type Ack,
  type ClientEventName,
  type ClientToServerEvents,
  type ErrorCode,
  type Extra,
  type HandshakeErrorData,
  type IceServerConfig,
  type InterServerEvents,
  type PeerInfo,
  type PeerLeaveReason,
  type Permission,
  type ProtocolError,
  type RoomJoinedPayload,
  type ServerToClientEvents,
  type SocketData,
} from '../protocol.js';
import { connectCluster, type Cluster, type LocalMembership } from './cluster.js';
import { createHttpHandler, packageRoot } from './http.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createOriginPolicy } from './origin.js';
import { DEFAULT_SCRYPT_COST, hashPassword, verifyPassword } from './password.js';
import { BusyError, RateLimiter, WorkLimiter, resolveRateLimit, type RateLimitOptions } from './rate-limit.js';
import { MemoryRoomStore, type EnterResult, type Replaced, type RoomInfo, type RoomMember, type RoomStore } from './rooms.js';
import { isNonRelayCandidate, sdpHasNonRelayCandidate, sendsMedia } from './sdp.js';
import { createTokenVerifier, grantAllows, TokenError, type RoomGrant, type TokenVerifier } from './tokens.js';
import { createTurnIssuer, hasTurn, type TurnIssuer, type TurnOptions } from './turn.js';
import { describeIssues, extraSchema, handshakeSchema, iceServersSchema, payloadSchemas, type Payload } from './validation.js';

/** What the server keeps per connection: the wire-visible part plus what the room token granted. */
export interface ServerSocketData extends SocketData {
  /** From a verified room token; null when the server does not use room tokens. */
  grant: RoomGrant | null;
}
export type IoServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, ServerSocketData>;
export type IoSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, ServerSocketData>;

/** What `authenticate` sees of a connection attempt. */
export interface AuthenticateInfo {
  /** The userid the client asked for (already validated), if any. */
  userid: string | undefined;
  token: string | undefined;
  extra: Extra | undefined;
  /** The verified room token's claims, when the server verifies room tokens. */
  claims: JWTPayload | undefined;
  /** socket.io's handshake: headers, address, query … */
  handshake: IoSocket['handshake'];
}
/** `false` refuses (`unauthorized`); an object may set the userid and extra (a verified identity wins over the requested one). */
export type AuthenticateResult = boolean | { userid?: string; extra?: Extra };

export interface SignalingServerOptions {
  /** Attach to this server (Express, Fastify, a test runner …) instead of creating one; it is not listened on or closed by us. */
  httpServer?: HttpServer | HttpsServer;
  /** Default 9001; 0 picks a free port. Ignored with `httpServer`. */
  port?: number;
  /** Default 127.0.0.1 (this machine only); `0.0.0.0` to accept the LAN. Ignored with `httpServer`. */
  host?: string;
  /** Page origins allowed besides the server's own and loopback ones; `*` allows any. */
  allowedOrigins?: string[];
  /** Room size when the opener asks for none. Default 8. */
  defaultRoomSize?: number;
  /** Largest room; openers asking for more get this. Default 8. */
  maxRoomSize?: number;
  /** STUN/TURN servers handed to clients in join acks. Default none (no traffic off the machine). */
  iceServers?: IceServerConfig[];
  /** Default 'info'. Ignored when `logger` is given. */
  logLevel?: LevelWithSilent;
  /** A pino logger to log to (a child is used). */
  logger?: Logger;
  /** Token bucket per socket. Default `{ burst: 200, perSecond: 50 }`. */
  rateLimit?: Partial<RateLimitOptions>;
  /** engine.io heartbeat; a vanished client is noticed after pingInterval + pingTimeout. Default 4000. */
  pingInterval?: number;
  /** Default 4000. */
  pingTimeout?: number;
  /** Serve https: PEM text or file paths. Ignored with `httpServer`. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Serve demo/ at `/` and dist/ at `/dist/`. Default true for our own server, false when attached. */
  serveStatic?: boolean;
  /** Serve /healthz and /metrics. Default true for our own server, false when attached (use `handleRequest`). */
  serveEndpoints?: boolean;
  /** Shared secret: clients must send it as `auth.token`. One password for everyone; prefer room tokens (`tokenSecret`, `jwks`, `jwksUrl`). */
  token?: string;
  /**
   * Room tokens (JWT, HS256) signed with this secret (≥ 32 bytes) are
   * required at the handshake: `sub` = userid, `room` = roomid / `*` / list,
   * `exp` required, optional `permissions`. See SECURITY.md.
   */
  tokenSecret?: string | Uint8Array;
  /** Room tokens signed with one of these public keys (RS*, PS*, ES*, EdDSA). */
  jwks?: JSONWebKeySet;
  /** Room tokens signed with a key from this JWKS URL (https; http only on loopback). */
  jwksUrl?: string;
  /** Room tokens must carry this `iss`. */
  tokenIssuer?: string;
  /** Room tokens must carry this `aud`. */
  tokenAudience?: string;
  /** Clock skew tolerated on room tokens' exp/nbf, in seconds. Default 0. */
  tokenClockTolerance?: number;
  /**
   * Hand out time-limited TURN credentials (coturn `use-auth-secret`) in
   * every join ack, refreshed with `ice:servers` before they expire.
   */
  turn?: TurnOptions;
  /**
   * Force TURN-only calls: acks say `iceTransportPolicy: 'relay'`, and signals
   * carrying a non-relay ICE candidate are refused (`forbidden`), so peers
   * never learn each other's addresses. Needs a TURN server (`turn` or a
   * `turn:` entry in `iceServers`).
   */
  relayOnly?: boolean;
  /** Custom handshake check (runs after the token check). */
  authenticate?: (info: AuthenticateInfo) => AuthenticateResult | Promise<AuthenticateResult>;
  /** Room storage. Default: in memory, this process only (or Redis with `redisUrl`). */
  store?: RoomStore;
  /**
   * Shared mode: several server processes share rooms through this Redis
   * (`redis://[user:password@]host[:port][/db]`, `rediss://` for TLS). Relays
   * and room broadcasts go through socket.io's Redis Streams adapter, room
   * state lives in Redis (RedisRoomStore). Needs one Redis primary, not Redis
   * Cluster. See docs/DEPLOYING.md. Excludes `store`.
   */
  redisUrl?: string;
  /** Prefix of every Redis key, stream and channel (shared mode). Default `rtc:`. */
  redisKeyPrefix?: string;
  /** Shared mode: a node whose heartbeat is this old (ms) is presumed dead and its members removed. Default 6000. */
  nodeTtl?: number;
  /** scrypt N for room passwords (power of two). Default 16384; lower only in tests. */
  passwordHashCost?: number;
  /**
   * Password hashes computed at once (each ~50 ms of CPU); further ones wait,
   * and beyond 64 waiting they get `rate-limited`. Default: one core less
   * than the machine has (at least 1), so the relay always keeps a core.
   */
  passwordHashConcurrency?: number;
  /** Also export Node process metrics (CPU, memory, event loop). Default false. */
  defaultMetrics?: boolean;
  /** Directory holding demo/ and dist/. Default: this package's root. */
  staticRoot?: string;
}

export interface SignalingServer {
  readonly io: IoServer;
  readonly httpServer: HttpServer | HttpsServer;
  /** e.g. `http://127.0.0.1:9001`; undefined while the http server is not listening. */
  readonly url: string | undefined;
  readonly port: number | undefined;
  /** Prometheus registry (what /metrics serves). */
  readonly metrics: Registry;
  readonly store: RoomStore;
  /** This process's id among the nodes sharing rooms (shared mode only). */
  readonly nodeId: string | undefined;
  readonly logger: Logger;
  /** Serves /healthz, /metrics and (with serveStatic) the static files; returns false, untouched, for other paths. */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /** Tells clients `server:shutdown`, disconnects them, closes the http server if we created it. Idempotent. */
  close(): Promise<void>;
}

type Result = Ack<object>;
type AnyAck = (response: Result) => void;

interface Connection {
  /** Pushes fresh TURN credentials while this connection is in a room. */
  iceTimer?: ReturnType<typeof setTimeout>;
  /** The room this connection entered, as it was then (shared mode puts it back if Redis loses it). */
  room?: { maxParticipants: number; passwordHash: string | null };
  limiter: RateLimiter;
  /** Each socket's requests run one after another, in arrival order. */
  queue: Promise<void>;
  pending: number;
}

/**
 * Requests waiting in one socket's queue before further ones get
 * `rate-limited`: at least a full rate-limit burst, so a client that fires
 * its ICE candidates without awaiting acks is never refused by a busy server.
 */
const MIN_MAX_PENDING = 32;
/** Password hashes waiting for a free slot before further ones are refused (`rate-limited`). */
const MAX_QUEUED_HASHES = 64;
/** See the engine.io 'connection' listener below. */
const POLLING_CLOSE_TIMEOUT_MS = 1000;
/** How long close() waits for `server:shutdown` to reach clients. */
const CLOSE_FLUSH_MS = 1000;

const clientEvents = new Set<string>(CLIENT_EVENTS);
const roomKey = (roomid: string) => `room:${roomid}`;

function fail(code: ErrorCode, message: string): { ok: false; error: ProtocolError } {
  return { ok: false, error: { code, message } };
}

class HandshakeError extends Error {
  readonly data: HandshakeErrorData;
  constructor(code: ErrorCode, message: string, expired = false) {
    super(code);
    this.data = expired ? { code, message, expired } : { code, message };
  }
}

/**
 * Starts the signaling server: socket.io rooms plus, on its own http server,
 * the demo page, the bundles, /healthz and /metrics.
 */
export async function createSignalingServer(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  const attached = options.httpServer !== undefined;
  const port = integer(options.port ?? 9001, 'port', 0, 65535);
  const host = options.host ?? '127.0.0.1';
  const maxRoomSize = integer(options.maxRoomSize ?? DEFAULT_MAX_ROOM_SIZE, 'maxRoomSize', 2, 1024);
  const defaultRoomSize = integer(options.defaultRoomSize ?? Math.min(DEFAULT_ROOM_SIZE, maxRoomSize), 'defaultRoomSize', 2, 1024);
  if (defaultRoomSize > maxRoomSize) throw new TypeError(`defaultRoomSize (${defaultRoomSize}) exceeds maxRoomSize (${maxRoomSize})`);
  const iceParse = v.safeParse(iceServersSchema, options.iceServers ?? []);
  if (!iceParse.success) throw new TypeError(`iceServers: ${describeIssues(iceParse.issues)}`);
  const iceServers: IceServerConfig[] = iceParse.output;
  const rateLimit = resolveRateLimit(options.rateLimit);
  const maxPending = Math.max(MIN_MAX_PENDING, Math.ceil(rateLimit.burst));
  const pingInterval = integer(options.pingInterval ?? 4000, 'pingInterval', 1, 3_600_000);
  const pingTimeout = integer(options.pingTimeout ?? 4000, 'pingTimeout', 1, 3_600_000);
  const scryptCost = integer(options.passwordHashCost ?? DEFAULT_SCRYPT_COST, 'passwordHashCost', 2, 1 << 20);
  const hashing = new WorkLimiter(
    integer(options.passwordHashConcurrency ?? Math.max(1, availableParallelism() - 1), 'passwordHashConcurrency', 1, 256),
    MAX_QUEUED_HASHES,
  );
  const originPolicy = createOriginPolicy(options.allowedOrigins ?? []);
  const serveStatic = options.serveStatic ?? !attached;
  const serveEndpoints = options.serveEndpoints ?? !attached;
  const token = options.token;
  const usesRoomTokens = options.tokenSecret !== undefined || options.jwks !== undefined || options.jwksUrl !== undefined;
  if (usesRoomTokens && token !== undefined) throw new TypeError('token (a shared secret) and room tokens (tokenSecret, jwks, jwksUrl) exclude each other');
  const verifyToken: TokenVerifier | null = usesRoomTokens
    ? createTokenVerifier({
        ...(options.tokenSecret !== undefined ? { secret: options.tokenSecret } : {}),
        ...(options.jwks !== undefined ? { jwks: options.jwks } : {}),
        ...(options.jwksUrl !== undefined ? { jwksUrl: options.jwksUrl } : {}),
        ...(options.tokenIssuer !== undefined ? { issuer: options.tokenIssuer } : {}),
        ...(options.tokenAudience !== undefined ? { audience: options.tokenAudience } : {}),
        ...(options.tokenClockTolerance !== undefined ? { clockTolerance: options.tokenClockTolerance } : {}),
      })
    : null;
  const turn: TurnIssuer | null = options.turn ? createTurnIssuer(options.turn) : null;
  const relayOnly = options.relayOnly === true;
  if (relayOnly && !turn && !hasTurn(iceServers)) throw new TypeError('relayOnly needs a TURN server: set turn, or a turn: URL in iceServers');

  const log = (options.logger ?? pino({ level: options.logLevel ?? 'info', base: { name: 'rtc-elements' } })).child({
    component: 'signaling',
  });
  const unknownRateKeys = Object.keys(options.rateLimit ?? {}).filter((k) => !['burst', 'perSecond', 'maxViolations'].includes(k));
  if (unknownRateKeys.length) log.warn({ keys: unknownRateKeys }, 'rateLimit: unknown keys ignored (expected burst, perSecond, maxViolations)');

  const tls = options.tls && { cert: pem(options.tls.cert), key: pem(options.tls.key) };
  if (options.redisUrl !== undefined) {
    if (options.store) throw new TypeError('store and redisUrl exclude each other (redisUrl brings its own store)');
    if (!/^rediss?:\/\/./.test(options.redisUrl)) throw new TypeError('redisUrl: a redis:// or rediss:// URL');
  }
  // Before anything is attached or listened on: a Redis that cannot be reached fails the start.
  const cluster: Cluster | null =
    options.redisUrl !== undefined
      ? await connectCluster({
          url: options.redisUrl,
          logger: log,
          ...(options.redisKeyPrefix !== undefined ? { keyPrefix: options.redisKeyPrefix } : {}),
          ...(options.nodeTtl !== undefined ? { nodeTtlMs: integer(options.nodeTtl, 'nodeTtl', 300, 3_600_000) } : {}),
        })
      : null;
  const store: RoomStore = cluster?.store ?? options.store ?? new MemoryRoomStore();
  const metrics: Metrics = createMetrics(store, {
    defaultMetrics: options.defaultMetrics ?? false,
    ...(cluster ? { redisUp: () => cluster.up } : {}),
  });
  const connections = new Map<string, Connection>();
  let closing = false;

  const httpServer: HttpServer | HttpsServer =
    options.httpServer ?? (tls ? createHttpsServer(tls) : createHttpServer());
  const isTls = httpServer instanceof HttpsServer;

  const endpoints = createHttpHandler({
    root: options.staticRoot ?? packageRoot(),
    serveStatic,
    registry: metrics.registry,
    health: async () => {
      let rooms: number | null = null;
      try {
        rooms = (await store.stats()).rooms;
      } catch {
        // Shared mode without Redis: still alive, calls keep their media; `redis` says what is wrong.
      }
      return {
        status: closing ? 'shutting-down' : 'ok',
        uptime: Math.round(process.uptime()),
        sockets: io.engine.clientsCount,
        rooms,
        ...(cluster ? { node: cluster.nodeId, redis: cluster.up ? 'up' : 'down' } : {}),
      };
    },
    onError: (err) => log.error({ err }, 'http handler failed'),
  });
  const handleRequest = (req: IncomingMessage, res: ServerResponse): boolean => {
    const path = (req.url ?? '/').split('?')[0];
    if (!serveEndpoints && (path === '/healthz' || path === '/metrics')) return false;
    return endpoints(req, res);
  };
  const notFound = (req: IncomingMessage, res: ServerResponse) => {
    if (handleRequest(req, res)) return;
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Not Found\n');
  };

  // engine.io takes over the 'request' and 'upgrade' listeners it finds; note
  // them so close() can hand a foreign server back the way it was.
  const before = { request: httpServer.listeners('request'), upgrade: httpServer.listeners('upgrade') };
  if (!attached) httpServer.on('request', notFound);
  else if (serveStatic || serveEndpoints) prependRequestHandler(httpServer, handleRequest);

  const io: IoServer = new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, ServerSocketData>(httpServer, {
    serveClient: false,
    maxHttpBufferSize: MAX_PACKET_BYTES,
    ...(cluster ? { adapter: cluster.adapter } : {}),
    pingInterval,
    pingTimeout,
    // Leave foreign upgrade requests (a dev server's own websocket) alone.
    destroyUpgrade: !attached,
    cors: { origin: (origin, cb) => cb(null, originPolicy.allowsCrossOrigin(origin)), methods: ['GET', 'POST'] },
    allowRequest: (req, cb) => {
      if (closing) return cb('the server is shutting down', false);
      const origin = req.headers.origin;
      if (originPolicy.allows(origin, req.headers.host)) return cb(null, true);
      metrics.handshakesRejected.inc({ reason: 'origin' });
      const shown = displayOrigin(origin);
      log.warn({ origin: shown }, 'connection refused: origin not allowed');
      cb(`origin not allowed: ${shown} (start the server with --allowed-origins ${shown})`, false);
    },
  });
  const afterAttach = { request: httpServer.listeners('request'), upgrade: httpServer.listeners('upgrade') };

  // engine.io's polling transport waits up to 30 s (a ref'd timer) for a
  // client's next poll to deliver a close packet, even after the client left;
  // that keeps a process alive long after close(). Clients poll continuously,
  // so a short wait loses nothing.
  io.engine.on('connection', (engineSocket: { transport?: { closeTimeout?: unknown } }) => {
    if (typeof engineSocket.transport?.closeTimeout === 'number') engineSocket.transport.closeTimeout = POLLING_CLOSE_TIMEOUT_MS;
  });

  // -- handshake ------------------------------------------------------------

  io.use((socket, next) => {
    handshake(socket).then(
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
  });

  async function handshake(socket: IoSocket): Promise<void> {
    if (closing) throw new HandshakeError('shutting-down', 'the server is shutting down');
    const parsed = v.safeParse(handshakeSchema, socket.handshake.auth ?? {});
    if (!parsed.success) throw new HandshakeError('invalid-request', `auth: ${describeIssues(parsed.issues)}`);
    let { userid, extra } = parsed.output;
    if (token !== undefined && !(parsed.output.token !== undefined && safeEqual(parsed.output.token, token))) {
      throw new HandshakeError('unauthorized', 'missing or wrong auth.token');
    }
    let grant: RoomGrant | null = null;
    let claims: JWTPayload | undefined;
    if (verifyToken) {
      if (!parsed.output.token) throw new HandshakeError('unauthorized', 'missing auth.token (a room token)');
      try {
        const verified = await verifyToken(parsed.output.token);
        userid = verified.userid;
        grant = verified.grant;
        claims = verified.claims;
      } catch (err) {
        if (!(err instanceof TokenError)) throw err;
        if (err.kind === 'unavailable') {
          log.error({ jwksUrl: options.jwksUrl }, 'cannot fetch the room token keys');
          throw new HandshakeError('internal-error', err.message);
        }
        log.debug({ reason: err.message }, 'room token refused');
        throw new HandshakeError('unauthorized', err.message, err.kind === 'expired');
      }
    }
    if (options.authenticate) {
      const verdict = await options.authenticate({ userid, token: parsed.output.token, extra, claims, handshake: socket.handshake });
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

  // -- connections ----------------------------------------------------------

  io.on('connection', (socket) => {
    if (closing) {
      socket.disconnect(true);
      return;
    }
    const conn: Connection = { limiter: new RateLimiter(rateLimit, Date.now()), queue: Promise.resolve(), pending: 0 };
    connections.set(socket.id, conn);
    metrics.connections.inc();
    metrics.sockets.inc();
    const slog = log.child({ sid: socket.id, userid: socket.data.userid });
    slog.debug('connected');

    socket.use((packet, next) => gate(socket, conn, slog, packet as unknown[], next));


    socket.on('disconnect', (reason) => {
      // Never a client's forgery (socket.io's parser refuses reserved event
      // names, and dispatches events only while connected), but cheap to check.
      if (socket.connected) return;
      metrics.sockets.dec();
      clearTimeout(conn.iceTimer);
      slog.debug({ reason }, 'disconnected');
      enqueue(conn, slog, async () => {
        connections.delete(socket.id);
        await leaveRoom(socket, 'disconnect');
      });
    });
  });

  /** socket.io middleware: runs for every incoming event before any listener. */
  function gate(socket: IoSocket, conn: Connection, slog: Logger, packet: unknown[], _next: (err?: Error) => void): void {
    // Packets already received when a flood got the socket disconnected.
    if (!socket.connected) return;
    const [event, ...args] = packet;
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (last as AnyAck) : undefined;
    const reply = (code: ErrorCode, message: string, reason: string = code) => {
      metrics.rejected.inc({ reason });
      try {
        ack?.(fail(code, message));
      } catch (err) {
        slog.error({ err }, 'ack failed');
      }
    };
    const decision = conn.limiter.take(Date.now());
    if (decision !== 'ok') {
      reply('rate-limited', 'too many messages; slow down');
      if (decision === 'disconnect' && socket.connected) {
        metrics.rateLimitDisconnects.inc();
        slog.warn('disconnected for flooding');
        socket.disconnect(true);
      }
      return;
    }
    if (typeof event !== 'string' || !clientEvents.has(event)) return reply('invalid-request', 'unknown event', 'unknown-event');
    if (!ack) return reply('invalid-request', 'missing ack callback', 'missing-ack');
    if (args.length !== 2) return reply('invalid-request', 'expected exactly one payload and an ack callback');
    if (closing) return reply('shutting-down', 'the server is shutting down');
    if (conn.pending >= maxPending) return reply('rate-limited', 'too many requests in flight');
    // Queued here, at receipt, rather than by a listener: socket.io hands events
    // to listeners a tick later and drops them if the socket closed meanwhile,
    // which would lose a room:leave sent just before closing (pagehide).
    enqueue(conn, slog, () => handle(socket, slog, event as ClientEventName, args[0], ack));
  }

  function enqueue(conn: Connection, slog: Logger, task: () => Promise<void>): void {
    conn.pending++;
    conn.queue = conn.queue
      .then(task)
      .catch((err: unknown) => slog.error({ err }, 'request failed'))
      .finally(() => {
        conn.pending--;
      });
  }

  async function handle(socket: IoSocket, slog: Logger, event: ClientEventName, payload: unknown, ack: AnyAck): Promise<void> {
    // A leave sent just before the socket closed (pagehide) still counts as a leave,
    // so peers hear 'leave' rather than 'disconnect'; anything else is moot once gone.
    if (!socket.connected && event !== 'room:leave') return;
    let result: Result;
    try {
      if (!isPlainObject(payload)) {
        result = fail('invalid-request', `${event}: the payload must be an object`);
      } else {
        const parsed = v.safeParse(payloadSchemas[event], payload);
        result = parsed.success
          ? await handlers[event](socket, parsed.output as never)
          : fail('invalid-request', `${event}: ${describeIssues(parsed.issues)}`);
      }
    } catch (err) {
      if (err instanceof BusyError) {
        result = fail('rate-limited', 'the server is busy checking passwords; try again shortly');
      } else {
        slog.error({ err, event }, 'handler failed');
        result = fail('internal-error', 'internal error');
      }
    }
    if (!result.ok) metrics.rejected.inc({ reason: result.error.code });
    slog.debug({ event, ok: result.ok, code: result.ok ? undefined : result.error.code }, 'request');
    try {
      ack(result);
    } catch (err) {
      slog.error({ err, event }, 'ack failed');
    }
  }

  // -- operations -----------------------------------------------------------

  const handlers: { [E in ClientEventName]: (socket: IoSocket, payload: Payload<E>) => Promise<Result> } = {
    'room:open': (socket, p) => enter(socket, p, 'open'),
    'room:join': (socket, p) => enter(socket, p, 'join'),
    'room:open-or-join': (socket, p) => enter(socket, p, 'open-or-join'),

    'room:presence': async (socket, p) => {
      const refusal = authorize(socket, p.roomid);
      if (refusal) return refusal;
      const room = await store.get(p.roomid);
      return {
        ok: true,
        exists: !!room,
        isFull: !!room && room.size >= room.maxParticipants,
        isPasswordProtected: !!room?.passwordHash,
      };
    },

    'room:leave': async (socket) => {
      await leaveRoom(socket, 'leave');
      return { ok: true };
    },

    signal: async (socket, p) => {
      const roomid = socket.data.roomid;
      if (roomid === null) return fail('not-in-room', 'join a room first');
      const refusal = checkSignal(socket, p.data);
      if (refusal) return refusal;
      const target = await peer(socket, roomid, p.to);
      if (!target) return fail('peer-not-found', `${p.to} is not in your room`);
      connection(target).emit('signal', { from: socket.data.userid, data: p.data });
      metrics.relayed.inc({ type: 'signal' });
      return { ok: true };
    },

    custom: async (socket, p) => {
      const roomid = socket.data.roomid;
      if (roomid === null) return fail('not-in-room', 'join a room first');
      if (!may(socket, 'data')) return fail('forbidden', 'your token does not allow sending data');
      const message = { from: socket.data.userid, event: p.event, data: p.data ?? null };
      if (p.to !== undefined) {
        const target = await peer(socket, roomid, p.to);
        if (!target) return fail('peer-not-found', `${p.to} is not in your room`);
        connection(target).emit('custom', message);
      } else {
        socket.to(roomKey(roomid)).emit('custom', message);
      }
      metrics.relayed.inc({ type: 'custom' });
      return { ok: true };
    },

    'extra:update': async (socket, p) => {
      socket.data.extra = p.extra;
      const roomid = socket.data.roomid;
      if (roomid !== null && (await store.updateExtra(roomid, socket.data.userid, socket.id, p.extra))) {
        socket.to(roomKey(roomid)).emit('peer:update', { userid: socket.data.userid, extra: p.extra });
        metrics.relayed.inc({ type: 'peer:update' });
      }
      return { ok: true };
    },
  };

  /** What the socket's token grants (everything without room tokens). */
  function may(socket: IoSocket, permission: Permission): boolean {
    const grant = socket.data.grant;
    return !grant || grant.permissions.includes(permission);
  }

  /** A refusal when the socket's room token does not cover `roomid` (now). */
  function authorize(socket: IoSocket, roomid: string): ReturnType<typeof fail> | null {
    const grant = socket.data.grant;
    if (!grant) return null;
    switch (grantAllows(grant, roomid, Date.now())) {
      case 'expired':
        return { ok: false, error: { code: 'unauthorized', message: 'your token expired: reconnect with a fresh one', expired: true } };
      case 'wrong-room':
        return fail('unauthorized', `your token does not cover room ${roomid}`);
      default:
        return null;
    }
  }

  /** Media and address rules on a signal: `publish` permission, relay-only policy. */
  function checkSignal(socket: IoSocket, data: Payload<'signal'>['data']): ReturnType<typeof fail> | null {
    if (!may(socket, 'publish')) {
      if (data.streams?.length) return fail('forbidden', 'your token does not allow publishing media');
      if (data.description && sendsMedia(data.description.sdp)) return fail('forbidden', 'your token does not allow publishing media (the description sends audio or video)');
    }
    if (relayOnly) {
      if (data.candidate && isNonRelayCandidate(data.candidate.candidate)) return fail('forbidden', 'relay-only: only relay candidates are relayed');
      if (data.description && sdpHasNonRelayCandidate(data.description.sdp)) return fail('forbidden', 'relay-only: the description holds a non-relay candidate');
    }
    return null;
  }

  /** The ICE servers for `userid`: the configured ones plus fresh TURN credentials. */
  function iceServersFor(userid: string): IceServerConfig[] {
    return turn ? [...iceServers, turn.issue(userid, Date.now())] : iceServers;
  }

  /** While `socket` is in a room, hands it fresh TURN credentials before the last ones expire. */
  function scheduleIceRefresh(socket: IoSocket): void {
    const conn = connections.get(socket.id);
    if (!turn || !conn) return;
    clearTimeout(conn.iceTimer);
    conn.iceTimer = setTimeout(() => {
      conn.iceTimer = undefined;
      if (!socket.connected || socket.data.roomid === null || closing) return;
      socket.emit('ice:servers', { iceServers: iceServersFor(socket.data.userid) });
      scheduleIceRefresh(socket);
    }, turn.refreshMs);
    conn.iceTimer.unref();
  }

  /**
   * One connection, wherever it is: a socket of this process directly; one on
   * another node (shared mode) through the adapter, which reaches every node.
   */
  function connection(connId: string) {
    return io.sockets.sockets.has(connId) ? io.local.to(connId) : io.to(connId);
  }

  /** A member as other members see it. */
  function peerInfo(m: RoomMember): PeerInfo {
    return m.permissions ? { userid: m.userid, extra: m.extra, permissions: [...m.permissions] } : { userid: m.userid, extra: m.extra };
  }

  /** The socket id of `userid` if it is another member of `roomid`. */
  async function peer(socket: IoSocket, roomid: string, userid: string): Promise<string | undefined> {
    if (userid === socket.data.userid) return undefined;
    return (await store.member(roomid, userid))?.connId;
  }

  type Mode = 'open' | 'join' | 'open-or-join';
  type OpenPayload = { roomid: string; password?: string; maxParticipants?: number; extra?: Extra };

  async function enter(socket: IoSocket, p: OpenPayload, mode: Mode): Promise<Ack<RoomJoinedPayload>> {
    if (socket.data.roomid !== null) return fail('already-in-room', 'already in a room: room:leave first');
    const refusal = authorize(socket, p.roomid);
    if (refusal) return refusal;
    const mayOpen = may(socket, 'open');
    if (mode === 'open' && !mayOpen) return fail('forbidden', 'your token does not allow opening rooms');
    const password = p.password || undefined;
    const grant = socket.data.grant;
    const member: RoomMember = {
      userid: socket.data.userid,
      connId: socket.id,
      extra: p.extra ?? socket.data.extra,
      ...(grant ? { permissions: [...grant.permissions] } : {}),
    };
    // Retries only when the room vanished or was re-created between reading
    // it and entering it (the awaits in between are the password hashing).
    for (let attempt = 0; attempt < 5; attempt++) {
      const room = await store.get(p.roomid);
      if (room) {
        if (mode === 'open') return fail('room-exists', `room ${p.roomid} exists`);
        const result = await tryJoin(socket, room, password, member);
        if (result !== 'retry') return result;
        continue;
      }
      if (mode === 'join') return fail('room-not-found', `room ${p.roomid} does not exist`);
      if (!mayOpen) return fail('forbidden', `room ${p.roomid} does not exist and your token does not allow opening rooms`);
      const maxParticipants = Math.min(p.maxParticipants ?? defaultRoomSize, maxRoomSize);
      const passwordHash = password === undefined ? null : await hashing.run(() => hashPassword(password, scryptCost));
      if (!socket.connected) return fail('not-in-room', 'disconnected');
      const result = await store.create({ roomid: p.roomid, maxParticipants, passwordHash }, member);
      if (result.status === 'exists') {
        if (mode === 'open') return fail('room-exists', `room ${p.roomid} exists`);
        continue;
      }
      return entered(socket, result, true, member);
    }
    return fail('internal-error', 'the room kept changing; try again');
  }

  async function tryJoin(
    socket: IoSocket,
    room: RoomInfo,
    password: string | undefined,
    member: RoomMember,
  ): Promise<Ack<RoomJoinedPayload> | 'retry'> {
    // Cheap refusal before the expensive password check; the real capacity
    // check is the atomic one inside store.join().
    if (room.size >= room.maxParticipants && !(await store.member(room.roomid, member.userid))) {
      return fail('room-full', `room ${room.roomid} is full`);
    }
    if (room.passwordHash !== null) {
      if (password === undefined) return fail('invalid-password', 'this room needs a password');
      const stored = room.passwordHash;
      if (!(await hashing.run(() => verifyPassword(password, stored)))) return fail('invalid-password', 'wrong password');
    }
    if (!socket.connected) return fail('not-in-room', 'disconnected');
    const result = await store.join(room.roomid, room.token, member);
    if (result.status === 'not-found' || result.status === 'changed') return 'retry';
    return entered(socket, result, false, member);
  }

  async function entered(
    socket: IoSocket,
    result: EnterResult,
    isInitiator: boolean,
    member: RoomMember,
  ): Promise<Ack<RoomJoinedPayload>> {
    switch (result.status) {
      case 'ok':
        break;
      case 'full':
        return fail('room-full', 'the room is full');
      case 'already-in-room':
        return fail('already-in-room', 'already in a room: room:leave first');
      case 'exists':
        return fail('room-exists', 'the room exists');
      default:
        return fail('room-not-found', 'the room does not exist');
    }
    const { room, peers, replaced } = result;
    const userid = socket.data.userid;
    if (replaced) dropReplaced(replaced, userid, room.roomid);
    if (!socket.connected || closing) {
      // Lost the connection while entering: undo, quietly (nobody was told yet).
      const left = await store.leave(room.roomid, userid, socket.id);
      if (left.left && replaced?.roomid === room.roomid) {
        io.to(roomKey(room.roomid)).emit('peer:leave', { userid, reason: 'disconnect' });
      }
      return fail('not-in-room', 'disconnected');
    }
    const extra = member.extra;
    socket.data.roomid = room.roomid;
    socket.data.extra = extra;
    const conn = connections.get(socket.id);
    if (conn) conn.room = { maxParticipants: room.maxParticipants, passwordHash: room.passwordHash };
    socket.join(roomKey(room.roomid));
    socket.to(roomKey(room.roomid)).emit('peer:join', peerInfo(member));
    if (isInitiator) metrics.roomsOpened.inc();
    log.debug({ roomid: room.roomid, userid, isInitiator, replaced: !!replaced }, 'entered room');
    scheduleIceRefresh(socket);
    return {
      ok: true,
      roomid: room.roomid,
      userid,
      isInitiator,
      peers: peers.map(peerInfo),
      iceServers: iceServersFor(userid),
      maxParticipants: room.maxParticipants,
      ...(relayOnly ? { iceTransportPolicy: 'relay' as const } : {}),
      ...(member.permissions ? { permissions: [...member.permissions] } : {}),
    };
  }

  /** The connection that held `userid` before: told, taken out of its room, disconnected. */
  function dropReplaced(replaced: Replaced, userid: string, newRoomid: string): void {
    const old = io.sockets.sockets.get(replaced.connId);
    if (old) old.data.roomid = null;
    clearTimeout(connections.get(replaced.connId)?.iceTimer);
    const previous = connection(replaced.connId);
    previous.socketsLeave(roomKey(replaced.roomid));
    if (replaced.roomid !== newRoomid) {
      io.to(roomKey(replaced.roomid)).emit('peer:leave', { userid, reason: 'replaced' });
    }
    previous.emit('session:replaced', {});
    previous.disconnectSockets(true);
    log.info({ userid, roomid: replaced.roomid }, 'connection replaced by a newer one');
  }

  async function leaveRoom(socket: IoSocket, reason: PeerLeaveReason): Promise<void> {
    const roomid = socket.data.roomid;
    if (roomid === null) return;
    socket.data.roomid = null;
    clearTimeout(connections.get(socket.id)?.iceTimer);
    socket.leave(roomKey(roomid));
    const result = await store.leave(roomid, socket.data.userid, socket.id);
    // While closing, a single server's rooms empty anyway; shared rooms live on, on other nodes.
    if (result.left && (!closing || cluster)) io.to(roomKey(roomid)).emit('peer:leave', { userid: socket.data.userid, reason });
  }

  // -- shared mode: the node's housekeeping (see cluster.ts) ------------------

  cluster?.start({
    memberships() {
      const list: LocalMembership[] = [];
      for (const [id, conn] of connections) {
        const s = io.sockets.sockets.get(id);
        if (!s?.connected || s.data.roomid === null || conn.pending > 0 || !conn.room) continue;
        const grant = s.data.grant;
        list.push({
          roomid: s.data.roomid,
          room: conn.room,
          member: { userid: s.data.userid, connId: id, extra: s.data.extra, ...(grant ? { permissions: [...grant.permissions] } : {}) },
        });
      }
      return list;
    },
    isStale(m) {
      // A request of that connection in progress (entering, leaving, its disconnect) settles it itself.
      if ((connections.get(m.connId)?.pending ?? 0) > 0) return false;
      const s = io.sockets.sockets.get(m.connId);
      return !s?.connected || s.data.roomid !== m.roomid || s.data.userid !== m.userid;
    },
    removed(list) {
      for (const { roomid, userid } of list) io.to(roomKey(roomid)).emit('peer:leave', { userid, reason: 'disconnect' });
    },
    restored(m, result) {
      const s = io.sockets.sockets.get(m.member.connId);
      // Left meanwhile: a membership put back for it is a stale record, which the next round removes.
      if (!s?.connected || s.data.roomid !== m.roomid) return;
      if (result === 'restored') {
        io.to(roomKey(m.roomid)).except(s.id).emit('peer:join', peerInfo(m.member));
      } else if (result === 'taken') {
        // A newer connection of the same userid entered a room while Redis had lost this one.
        s.data.roomid = null;
        clearTimeout(connections.get(s.id)?.iceTimer);
        s.leave(roomKey(m.roomid));
        s.emit('session:replaced', {});
        s.disconnect(true);
      }
    },
  });

  // -- start and stop -------------------------------------------------------

  if (!attached) {
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error) => reject(err);
        httpServer.once('error', onError);
        httpServer.listen(port, host, () => {
          httpServer.off('error', onError);
          resolve();
        });
      });
    } catch (err) {
      if (cluster) {
        await io.close();
        await cluster.close();
      }
      throw err;
    }
    httpServer.on('error', (err) => log.error({ err }, 'http server error'));
  }

  let closed: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    closing = true;
    for (const conn of connections.values()) clearTimeout(conn.iceTimer);
    // Local: with the Redis adapter a plain io.emit / io.disconnectSockets
    // would reach every node's clients.
    io.local.emit('server:shutdown', {});
    io.local.disconnectSockets(true);
    // Let the goodbye reach clients before the transports are torn down.
    const deadline = Date.now() + CLOSE_FLUSH_MS;
    const engineClients = () => Object.values((io.engine as unknown as { clients: Record<string, { readyState: string }> }).clients);
    while (engineClients().some((c) => c.readyState === 'closing') && Date.now() < deadline) await sleep(10);
    if (cluster) {
      // The leaves (peer:leave to the other nodes' members) go out while the adapter still runs;
      // whatever could not be left is removed from Redis in one go, and announced the same way.
      await Promise.allSettled([...connections.values()].map((c) => c.queue));
      for (const { roomid, userid } of await cluster.stop()) io.to(roomKey(roomid)).emit('peer:leave', { userid, reason: 'disconnect' });
    }
    if (attached) {
      io.engine.close();
      restoreListeners(httpServer, 'request', before.request, afterAttach.request);
      restoreListeners(httpServer, 'upgrade', before.upgrade, afterAttach.upgrade);
      // io.close() would close the foreign server; the adapter still has to stop reading Redis.
      if (cluster) await Promise.allSettled([...io._nsps.values()].map((nsp) => nsp.adapter.close()));
    } else {
      const force = setTimeout(() => httpServer.closeAllConnections(), CLOSE_FLUSH_MS).unref();
      const done = io.close();
      httpServer.closeIdleConnections();
      await done;
      clearTimeout(force);
    }
    await Promise.allSettled([...connections.values()].map((c) => c.queue));
    if (cluster) await cluster.close();
    else await store.clear();
    log.info('signaling server closed');
  }

  const server: SignalingServer = {
    io,
    httpServer,
    get url() {
      const address = httpServer.address();
      if (!address || typeof address === 'string') return undefined;
      let h = address.address;
      if (h === '0.0.0.0') h = '127.0.0.1';
      else if (h === '::') h = '::1';
      if (h.includes(':')) h = `[${h}]`;
      return `${isTls ? 'https' : 'http'}://${h}:${address.port}`;
    },
    get port() {
      const address = httpServer.address();
      return address && typeof address !== 'string' ? address.port : undefined;
    },
    metrics: metrics.registry,
    store,
    nodeId: cluster?.nodeId,
    logger: log,
    handleRequest,
    close() {
      closed ??= shutdown().catch((err: unknown) => {
        log.error({ err }, 'close failed');
      });
      return closed;
    },
  };
  return server;
}

function integer(value: number, name: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`${name} must be an integer from ${min} to ${max} (got ${String(value)})`);
  }
  return value;
}

function pem(value: string | Buffer): string | Buffer {
  if (Buffer.isBuffer(value) || value.includes('-----BEGIN')) return value;
  return readFileSync(value);
}

function safeEqual(a: string, b: string): boolean {
  // Hash first so the comparison takes the same time whatever the lengths.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** An Origin header as shown in logs and errors: parsed, or a placeholder. */
function displayOrigin(origin: string | undefined): string {
  if (!origin) return '(none)';
  try {
    const o = new URL(origin).origin;
    return o === 'null' ? 'null' : o;
  } catch {
    return '(invalid origin)';
  }
}

/** Puts `handler` in front of a foreign server's own request listeners. */
function prependRequestHandler(
  httpServer: HttpServer | HttpsServer,
  handler: (req: IncomingMessage, res: ServerResponse) => boolean,
): void {
  const existing = httpServer.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  httpServer.removeAllListeners('request');
  httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (handler(req, res)) return;
    for (const listener of existing) listener.call(httpServer, req, res);
  });
}

/**
 * Hands a foreign server back its own listeners: drops those present right
 * after the attach (ours and engine.io's wrappers), keeps any added since.
 */
function restoreListeners(
  httpServer: HttpServer | HttpsServer,
  event: 'request' | 'upgrade',
  original: Function[],
  afterAttach: Function[],
): void {
  const later = httpServer.listeners(event).filter((l) => !afterAttach.includes(l));
  httpServer.removeAllListeners(event);
  for (const l of [...original, ...later]) httpServer.on(event, l as (...args: unknown[]) => void);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
