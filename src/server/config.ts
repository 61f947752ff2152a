// Options of createSignalingServer -> ResolvedConfig: the one place every option is documented, defaulted and validated.
import { readFileSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { availableParallelism } from 'node:os';
import type { JSONWebKeySet, JWTPayload } from 'jose';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import * as v from 'valibot';
import { DEFAULT_MAX_ROOM_SIZE, DEFAULT_ROOM_SIZE, type Extra, type IceServerConfig } from '../protocol.js';
import type { IoSocket } from './io.js';
import { createOriginPolicy, type OriginPolicy } from './origin.js';
import { DEFAULT_SCRYPT_COST } from './password.js';
import { resolveRateLimit, type RateLimitOptions } from './rate-limit.js';
import { DEFAULT_LOBBY_MS, type RoomStore } from './rooms.js';
import { createTokenVerifier, type TokenVerifier } from './tokens.js';
import { createTurnIssuer, hasTurn, type TurnIssuer, type TurnOptions } from './turn.js';
import { describeIssues, iceServersSchema } from './validation.js';

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
  /**
   * Bytes the server may hold for one connection that does not read what it
   * is sent (engine.io's write buffer plus the websocket's unsent bytes, or
   * packets waiting for a poll); beyond it the connection is closed as a
   * slow reader. Default 1 MiB.
   */
  maxBufferedBytes?: number;
  /** Connections open at once from one address; further handshakes are refused. Default 50. */
  maxConnectionsPerIp?: number;
  /**
   * Behind a reverse proxy: take the client's address from the last entry of
   * `X-Forwarded-For` (the one the proxy appended) for `maxConnectionsPerIp`
   * and logs. Only when every request comes through that proxy. Default false.
   */
  trustProxy?: boolean;
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
  /**
   * Janus WebSocket URLs (`ws://127.0.0.1:8188`): enables `sfu` rooms, which
   * the server drives on Janus' VideoRoom plugin. Several URLs spread rooms
   * over the instances (least rooms first). Default none: `sfu` is refused.
   */
  janusUrls?: string[];
  /** Janus' `api_secret`, if it sets one. Never sent to browsers. */
  janusApiSecret?: string;
  /** The VideoRoom plugin's `admin_key`, if it sets one (needed to create rooms then). Never sent to browsers. */
  janusAdminKey?: string;
  /** Largest SFU room; openers asking for more get this. Default 50. */
  sfuRoomSize?: number;
  /** How long (ms) a joiner may wait in a room's lobby before it is turned away (`lobby:denied` `timeout`). Default 300000 (5 min). */
  lobbyTimeout?: number;
  /** How long (ms) a member a host removed may not enter that room again. Default 600000 (10 min). */
  banTime?: number;
  /** A room opened with `topology: 'auto'` asking for more members than this is an `sfu` room (with Janus). Default 4. */
  meshMax?: number;
}

/** How long a removed member stays out unless `banTime` says otherwise. */
export const DEFAULT_BAN_MS = 10 * 60_000;

/** Largest SFU room unless `sfuRoomSize` says otherwise. */
export const DEFAULT_SFU_ROOM_SIZE = 50;
/** `auto` rooms larger than this go to the SFU unless `meshMax` says otherwise. */
export const DEFAULT_MESH_MAX = 4;

/**
 * Requests waiting in one socket's queue before further ones get
 * `rate-limited`: at least a full rate-limit burst, so a client that fires
 * its ICE candidates without awaiting acks is never refused by a busy server.
 */
const MIN_MAX_PENDING = 32;

/** What one connection may leave unread on the server before it is closed. */
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;
/** Connections one address may hold at once. */
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 50;

/** The options after defaults and checks: what the rest of the server reads. */
export interface ResolvedConfig {
  /** Attached to a foreign http server (`httpServer`), which we neither listen on nor close. */
  attached: boolean;
  httpServer: HttpServer | HttpsServer | undefined;
  port: number;
  host: string;
  /** PEM contents (files already read). */
  tls: { cert: string | Buffer; key: string | Buffer } | undefined;
  originPolicy: OriginPolicy;
  defaultRoomSize: number;
  maxRoomSize: number;
  iceServers: IceServerConfig[];
  rateLimit: Required<RateLimitOptions>;
  /** Requests queued on one socket before further ones are refused. */
  maxPending: number;
  pingInterval: number;
  pingTimeout: number;
  maxBufferedBytes: number;
  maxConnectionsPerIp: number;
  trustProxy: boolean;
  scryptCost: number;
  passwordHashConcurrency: number;
  serveStatic: boolean;
  serveEndpoints: boolean;
  staticRoot: string | undefined;
  /** The shared secret every client must send, if any. */
  sharedToken: string | undefined;
  /** Verifies room tokens; null when the server does not use them. */
  verifyToken: TokenVerifier | null;
  jwksUrl: string | undefined;
  authenticate: SignalingServerOptions['authenticate'];
  turn: TurnIssuer | null;
  relayOnly: boolean;
  store: RoomStore | undefined;
  /** Shared mode (rooms in Redis); null for a single process. */
  redis: { url: string; keyPrefix?: string; nodeTtlMs?: number } | null;
  defaultMetrics: boolean;
  /** Janus for `sfu` rooms; null when none is configured. */
  janus: { urls: string[]; apiSecret?: string; adminKey?: string } | null;
  /** Largest SFU room. */
  sfuRoomSize: number;
  lobbyTimeoutMs: number;
  removeBanMs: number;
  meshMax: number;
  /** The server's logger (a child of the given one). */
  log: Logger;
}

/** Checks every option and fills in the defaults; throws a TypeError naming the first bad option. */
export function resolveConfig(options: SignalingServerOptions = {}): ResolvedConfig {
  const attached = options.httpServer !== undefined;
  const port = integer(options.port ?? 9001, 'port', 0, 65535);
  const maxRoomSize = integer(options.maxRoomSize ?? DEFAULT_MAX_ROOM_SIZE, 'maxRoomSize', 2, 1024);
  const defaultRoomSize = integer(options.defaultRoomSize ?? Math.min(DEFAULT_ROOM_SIZE, maxRoomSize), 'defaultRoomSize', 2, 1024);
  if (defaultRoomSize > maxRoomSize) throw new TypeError(`defaultRoomSize (${defaultRoomSize}) exceeds maxRoomSize (${maxRoomSize})`);
  const iceParse = v.safeParse(iceServersSchema, options.iceServers ?? []);
  if (!iceParse.success) throw new TypeError(`iceServers: ${describeIssues(iceParse.issues)}`);
  const iceServers: IceServerConfig[] = iceParse.output;
  const rateLimit = resolveRateLimit(options.rateLimit);
  const pingInterval = integer(options.pingInterval ?? 4000, 'pingInterval', 1, 3_600_000);
  const pingTimeout = integer(options.pingTimeout ?? 4000, 'pingTimeout', 1, 3_600_000);
  const maxBufferedBytes = integer(options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES, 'maxBufferedBytes', 64 * 1024, 1 << 30);
  const maxConnectionsPerIp = integer(options.maxConnectionsPerIp ?? DEFAULT_MAX_CONNECTIONS_PER_IP, 'maxConnectionsPerIp', 1, 1_000_000);
  const scryptCost = integer(options.passwordHashCost ?? DEFAULT_SCRYPT_COST, 'passwordHashCost', 2, 1 << 20);
  const passwordHashConcurrency = integer(
    options.passwordHashConcurrency ?? Math.max(1, availableParallelism() - 1),
    'passwordHashConcurrency',
    1,
    256,
  );
  const originPolicy = createOriginPolicy(options.allowedOrigins ?? []);
  const usesRoomTokens = options.tokenSecret !== undefined || options.jwks !== undefined || options.jwksUrl !== undefined;
  if (usesRoomTokens && options.token !== undefined) {
    throw new TypeError('token (a shared secret) and room tokens (tokenSecret, jwks, jwksUrl) exclude each other');
  }
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
  let redis: ResolvedConfig['redis'] = null;
  if (options.redisUrl !== undefined) {
    if (options.store) throw new TypeError('store and redisUrl exclude each other (redisUrl brings its own store)');
    if (!/^rediss?:\/\/./.test(options.redisUrl)) throw new TypeError('redisUrl: a redis:// or rediss:// URL');
    redis = {
      url: options.redisUrl,
      ...(options.redisKeyPrefix !== undefined ? { keyPrefix: options.redisKeyPrefix } : {}),
      ...(options.nodeTtl !== undefined ? { nodeTtlMs: integer(options.nodeTtl, 'nodeTtl', 300, 3_600_000) } : {}),
    };
  }
  const janus = resolveJanus(options);
  const sfuRoomSize = integer(options.sfuRoomSize ?? DEFAULT_SFU_ROOM_SIZE, 'sfuRoomSize', 2, 1024);
  return {
    attached,
    httpServer: options.httpServer,
    port,
    host: options.host ?? '127.0.0.1',
    tls,
    originPolicy,
    defaultRoomSize,
    maxRoomSize,
    iceServers,
    rateLimit,
    maxPending: Math.max(MIN_MAX_PENDING, Math.ceil(rateLimit.burst)),
    pingInterval,
    pingTimeout,
    maxBufferedBytes,
    maxConnectionsPerIp,
    trustProxy: options.trustProxy === true,
    scryptCost,
    passwordHashConcurrency,
    serveStatic: options.serveStatic ?? !attached,
    serveEndpoints: options.serveEndpoints ?? !attached,
    staticRoot: options.staticRoot,
    sharedToken: options.token,
    verifyToken,
    jwksUrl: options.jwksUrl,
    authenticate: options.authenticate,
    turn,
    relayOnly,
    store: options.store,
    redis,
    defaultMetrics: options.defaultMetrics ?? false,
    janus,
    sfuRoomSize,
    lobbyTimeoutMs: integer(options.lobbyTimeout ?? DEFAULT_LOBBY_MS, 'lobbyTimeout', 100, 86_400_000),
    removeBanMs: integer(options.banTime ?? DEFAULT_BAN_MS, 'banTime', 0, 31 * 86_400_000),
    meshMax: integer(options.meshMax ?? DEFAULT_MESH_MAX, 'meshMax', 2, 1024),
    log,
  };
}

function resolveJanus(options: SignalingServerOptions): ResolvedConfig['janus'] {
  const urls = options.janusUrls ?? [];
  if (!Array.isArray(urls) || !urls.every((u) => typeof u === 'string' && isWsUrl(u))) {
    throw new TypeError('janusUrls: ws:// or wss:// URLs of Janus WebSocket transports');
  }
  for (const [name, value] of [['janusApiSecret', options.janusApiSecret], ['janusAdminKey', options.janusAdminKey]] as const) {
    if (value !== undefined && (typeof value !== 'string' || value === '')) throw new TypeError(`${name}: a non-empty string`);
    if (value !== undefined && urls.length === 0) throw new TypeError(`${name} needs janusUrls`);
  }
  if (urls.length === 0) return null;
  return {
    urls: [...new Set(urls)],
    ...(options.janusApiSecret !== undefined ? { apiSecret: options.janusApiSecret } : {}),
    ...(options.janusAdminKey !== undefined ? { adminKey: options.janusAdminKey } : {}),
  };
}

/** A ws:// or wss:// URL with a host. */
export function isWsUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'ws:' || url.protocol === 'wss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function integer(value: number, name: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`${name} must be an integer from ${min} to ${max} (got ${String(value)})`);
  }
  return value;
}

/** PEM text as is; anything else is a file path. */
function pem(value: string | Buffer): string | Buffer {
  if (Buffer.isBuffer(value) || value.includes('-----BEGIN')) return value;
  return readFileSync(value);
}
