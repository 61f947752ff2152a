// Command-line and environment configuration for `rtc-elements`, kept apart
// from cli.ts (which starts a server) so it can be tested as a function.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { LevelWithSilent } from 'pino';
import * as v from 'valibot';
import { PERMISSIONS, ROOMID_PATTERN, USERID_PATTERN, type Permission } from '../protocol.js';
import type { SignalingServerOptions } from './server.js';
import type { MintOptions } from './tokens.js';
import { DEFAULT_KEY_PREFIX, KEY_PREFIX_PATTERN } from './redis-store.js';
import { DEFAULT_TURN_TTL } from './turn.js';
import { isWsUrl } from './config.js';
import { describeIssues, iceServersSchema } from './validation.js';

export const HELP = `Usage: rtc-elements [options]
       rtc-elements token --room <id> --user <id> [--ttl 1h]   (see rtc-elements token --help)

Starts the rtc-elements signaling server (socket.io at /socket.io/) and serves
the demo page at /, the bundles at /dist/, /healthz and /metrics.

Options (each also read from the environment variable shown):

Where it listens
  --port <n>                  PORT            Port to listen on (default 9001; 0 = any free port)
  --host <addr>               HOST            Address to bind (default 127.0.0.1; 0.0.0.0 = the LAN)
  --tls-cert <file>           TLS_CERT        Serve https with this PEM certificate (needed for
  --tls-key <file>            TLS_KEY         cameras on phones: getUserMedia wants a secure context)

Who may connect
  --allowed-origins <a,b>     ALLOWED_ORIGINS Extra page origins allowed to connect ("*" = any).
                                              The server's own origin and localhost are always allowed;
                                              for an iframe, list the iframe page's origin.
  --token <secret>            RTC_TOKEN       Require clients to send this shared password as auth.token
  --token-secret <secret>     RTC_TOKEN_SECRET  Require room tokens (JWT, HS256) signed with this secret
                                              (at least 32 bytes; prefer the environment variable)
  --jwks-url <url>            RTC_JWKS_URL    Require room tokens signed with a key from this JWKS (https)
  --token-issuer <iss>        RTC_TOKEN_ISSUER   Room tokens must carry this "iss"
  --token-audience <aud>      RTC_TOKEN_AUDIENCE Room tokens must carry this "aud"
  --max-connections-per-ip <n> MAX_CONNECTIONS_PER_IP  Connections one address may hold at once (default 50)
  --trust-proxy               TRUST_PROXY=1   Behind a reverse proxy: the client address is the last X-Forwarded-For entry
  --max-buffered-bytes <n>    MAX_BUFFERED_BYTES  Bytes held for a client that does not read before it is
                                              disconnected (default 1048576)

Rooms
  --room-size <n>             ROOM_SIZE       Room size when the opener asks for none (default 8)
  --max-room-size <n>         MAX_ROOM_SIZE   Largest room allowed (default 8)

Getting media through (STUN/TURN)
  --ice-servers <json>        ICE_SERVERS     STUN/TURN servers for clients, as JSON, e.g.
                                              '[{"urls":"turn:turn.example.org:3478","username":"u","credential":"p"}]' (default none)
  --turn-secret <secret>      TURN_SECRET     Hand out time-limited TURN credentials (coturn static-auth-secret)
  --turn-urls <a,b>           TURN_URLS       The TURN server URLs, e.g. turns:turn.example.org:5349
  --turn-ttl <seconds>        TURN_TTL        Lifetime of TURN credentials (default ${DEFAULT_TURN_TTL}); renewed before expiry
  --relay-only                RELAY_ONLY=1    Force TURN-only calls: peers never learn each other's addresses

Several server processes
  --redis-url <url>           REDIS_URL       Share rooms with other server processes through this Redis:
                                              redis://[user:password@]host:6379[/db], rediss:// for TLS
                                              (put the processes behind a load balancer: docs/DEPLOYING.md)
  --redis-prefix <prefix>     REDIS_PREFIX    Prefix of its keys, stream and channels (default ${DEFAULT_KEY_PREFIX})

Rooms beyond the mesh (SFU)
  --janus-url <url>           JANUS_URL       Enable "sfu" rooms on this Janus (ws://127.0.0.1:8188); repeat the flag
                                              or give a comma list to spread rooms over several instances
  --janus-api-secret <s>      JANUS_API_SECRET  Janus' api_secret, if set (never sent to browsers)
  --janus-admin-key <k>       JANUS_ADMIN_KEY   The VideoRoom plugin's admin_key, if set
  --sfu-room-size <n>         SFU_ROOM_SIZE   Largest SFU room (default 50)
  --lobby-timeout <seconds>   LOBBY_TIMEOUT   How long a joiner may wait in a lobby (default 300)
  --ban-time <seconds>        BAN_TIME        How long a member a host removed stays out (default 600)
  --mesh-max <n>              MESH_MAX        "auto" rooms asking for more members go to the SFU (default 4)

Logs and help
  --log-level <level>         LOG_LEVEL       fatal, error, warn, info (default), debug, trace, silent
                              LOG_FORMAT      pretty or json (default: pretty on a terminal, JSON lines otherwise)
  -h, --help                                  Show this help
`;

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export class UsageError extends Error {}

/** parseArgs in strict mode, with its complaints turned into UsageErrors. */
function strictArgs<const O extends NonNullable<ParseArgsConfig['options']>>(argv: readonly string[], options: O) {
  const config = { args: [...argv], strict: true as const, allowPositionals: false as const, options };
  try {
    return parseArgs(config).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** parseArgs options for flags that take a value. */
function stringFlags<const N extends string>(...names: N[]): { [K in N]: { type: 'string' } } {
  return Object.fromEntries(names.map((name) => [name, { type: 'string' }])) as { [K in N]: { type: 'string' } };
}

/** An environment flag: set, and not empty, 0 or false. */
function truthy(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value !== 'false';
}

/** "a, b,,c" -> ["a", "b", "c"]. */
function csv(text: string): string[] {
  return text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

export type CliConfig = { help: true } | { help: false; options: SignalingServerOptions };

/** Flags win over environment variables, which win over defaults. */
export function parseCli(argv: readonly string[], env: Record<string, string | undefined>): CliConfig {
  const values = strictArgs(argv, {
    ...stringFlags(
      'port', 'host', 'allowed-origins', 'room-size', 'max-room-size', 'tls-cert', 'tls-key', 'ice-servers',
      'token', 'token-secret', 'jwks-url', 'token-issuer', 'token-audience', 'turn-secret', 'turn-urls', 'turn-ttl',
      'redis-url', 'redis-prefix', 'log-level', 'max-connections-per-ip', 'max-buffered-bytes', 'janus-api-secret', 'janus-admin-key', 'sfu-room-size', 'mesh-max', 'lobby-timeout', 'ban-time',
    ),
    'janus-url': { type: 'string', multiple: true },
    'relay-only': { type: 'boolean' },
    'trust-proxy': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return { help: true };

  const pick = (flag: Exclude<keyof typeof values, 'help' | 'relay-only' | 'trust-proxy' | 'janus-url'>, name: string): string | undefined => {
    const value = values[flag] ?? env[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const options: SignalingServerOptions = {};

  const port = pick('port', 'PORT');
  if (port !== undefined) options.port = int(port, '--port', 0, 65535);
  const host = pick('host', 'HOST');
  if (host !== undefined) options.host = host;
  const origins = pick('allowed-origins', 'ALLOWED_ORIGINS');
  if (origins !== undefined) {
    options.allowedOrigins = csv(origins);
  }
  const roomSize = pick('room-size', 'ROOM_SIZE');
  if (roomSize !== undefined) options.defaultRoomSize = int(roomSize, '--room-size', 2, 1024);
  const maxRoomSize = pick('max-room-size', 'MAX_ROOM_SIZE');
  if (maxRoomSize !== undefined) options.maxRoomSize = int(maxRoomSize, '--max-room-size', 2, 1024);
  const cert = pick('tls-cert', 'TLS_CERT');
  const key = pick('tls-key', 'TLS_KEY');
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  if (cert !== undefined && key !== undefined) options.tls = { cert, key };
  const ice = pick('ice-servers', 'ICE_SERVERS');
  if (ice !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(ice);
    } catch {
      throw new UsageError('--ice-servers: not valid JSON');
    }
    const result = v.safeParse(iceServersSchema, parsed);
    if (!result.success) throw new UsageError(`--ice-servers: ${describeIssues(result.issues)}`);
    options.iceServers = result.output;
  }
  const token = pick('token', 'RTC_TOKEN');
  if (token !== undefined) options.token = token;
  const tokenSecret = pick('token-secret', 'RTC_TOKEN_SECRET');
  const jwksUrl = pick('jwks-url', 'RTC_JWKS_URL');
  if ([token, tokenSecret, jwksUrl].filter((x) => x !== undefined).length > 1) {
    throw new UsageError('--token, --token-secret and --jwks-url exclude each other');
  }
  if (tokenSecret !== undefined) {
    if (Buffer.byteLength(tokenSecret) < MIN_SECRET_BYTES) throw new UsageError(`--token-secret: at least ${MIN_SECRET_BYTES} bytes (e.g. openssl rand -base64 32)`);
    options.tokenSecret = tokenSecret;
  }
  if (jwksUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(jwksUrl);
    } catch {
      throw new UsageError('--jwks-url: not a URL');
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname))) {
      throw new UsageError('--jwks-url: https (http only on localhost)');
    }
    options.jwksUrl = jwksUrl;
  }
  const issuer = pick('token-issuer', 'RTC_TOKEN_ISSUER');
  const audience = pick('token-audience', 'RTC_TOKEN_AUDIENCE');
  if ((issuer !== undefined || audience !== undefined) && tokenSecret === undefined && jwksUrl === undefined) {
    throw new UsageError('--token-issuer and --token-audience need --token-secret or --jwks-url');
  }
  if (issuer !== undefined) options.tokenIssuer = issuer;
  if (audience !== undefined) options.tokenAudience = audience;
  const turnSecret = pick('turn-secret', 'TURN_SECRET');
  const turnUrls = pick('turn-urls', 'TURN_URLS');
  const turnTtl = pick('turn-ttl', 'TURN_TTL');
  if ((turnSecret === undefined) !== (turnUrls === undefined)) throw new UsageError('--turn-secret and --turn-urls go together');
  if (turnTtl !== undefined && turnSecret === undefined) throw new UsageError('--turn-ttl needs --turn-secret and --turn-urls');
  if (turnSecret !== undefined && turnUrls !== undefined) {
    const urls = csv(turnUrls);
    if (!urls.length || !urls.every((u) => /^turns?:\S+$/.test(u))) throw new UsageError('--turn-urls: turn: or turns: URLs, comma-separated');
    options.turn = { secret: turnSecret, urls, ...(turnTtl !== undefined ? { ttl: int(turnTtl, '--turn-ttl', 1, 604800) } : {}) };
  }
  const perIp = pick('max-connections-per-ip', 'MAX_CONNECTIONS_PER_IP');
  if (perIp !== undefined) options.maxConnectionsPerIp = int(perIp, '--max-connections-per-ip', 1, 1_000_000);
  const buffered = pick('max-buffered-bytes', 'MAX_BUFFERED_BYTES');
  if (buffered !== undefined) options.maxBufferedBytes = int(buffered, '--max-buffered-bytes', 64 * 1024, 1 << 30);
  if (values['trust-proxy'] || truthy(env.TRUST_PROXY)) options.trustProxy = true;
  if (values['relay-only'] || truthy(env.RELAY_ONLY)) {
    const hasTurnServer = options.turn !== undefined || (options.iceServers ?? []).some((s) => [s.urls].flat().some((u) => /^turns?:/.test(u)));
    if (!hasTurnServer) throw new UsageError('--relay-only needs a TURN server (--turn-secret and --turn-urls, or a turn: URL in --ice-servers)');
    options.relayOnly = true;
  }
  const redisUrl = pick('redis-url', 'REDIS_URL');
  const redisPrefix = pick('redis-prefix', 'REDIS_PREFIX');
  if (redisUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(redisUrl);
    } catch {
      // reported below
    }
    if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || !url.hostname) {
      throw new UsageError('--redis-url: a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379');
    }
    options.redisUrl = redisUrl;
  }
  if (redisPrefix !== undefined) {
    if (redisUrl === undefined) throw new UsageError('--redis-prefix needs --redis-url');
    if (!KEY_PREFIX_PATTERN.test(redisPrefix)) throw new UsageError('--redis-prefix: 1-64 characters of A-Z a-z 0-9 _ . : { } -');
    options.redisKeyPrefix = redisPrefix;
  }
  const janusFlags = values['janus-url'];
  const janusUrls = (janusFlags?.length ? janusFlags : env.JANUS_URL ? [env.JANUS_URL] : []).flatMap(csv);
  if (!janusUrls.every(isWsUrl)) throw new UsageError('--janus-url: ws:// or wss:// URLs, e.g. ws://127.0.0.1:8188');
  if (janusUrls.length) options.janusUrls = [...new Set(janusUrls)];
  const janusApiSecret = pick('janus-api-secret', 'JANUS_API_SECRET');
  const janusAdminKey = pick('janus-admin-key', 'JANUS_ADMIN_KEY');
  if ((janusApiSecret !== undefined || janusAdminKey !== undefined) && !janusUrls.length) {
    throw new UsageError('--janus-api-secret and --janus-admin-key need --janus-url');
  }
  if (janusApiSecret !== undefined) options.janusApiSecret = janusApiSecret;
  if (janusAdminKey !== undefined) options.janusAdminKey = janusAdminKey;
  const sfuRoomSize = pick('sfu-room-size', 'SFU_ROOM_SIZE');
  if (sfuRoomSize !== undefined) options.sfuRoomSize = int(sfuRoomSize, '--sfu-room-size', 2, 1024);
  const lobbyTimeout = pick('lobby-timeout', 'LOBBY_TIMEOUT');
  if (lobbyTimeout !== undefined) options.lobbyTimeout = int(lobbyTimeout, '--lobby-timeout', 1, 86_400) * 1000;
  const banTime = pick('ban-time', 'BAN_TIME');
  if (banTime !== undefined) options.banTime = int(banTime, '--ban-time', 0, 31 * 86_400) * 1000;
  const meshMax = pick('mesh-max', 'MESH_MAX');
  if (meshMax !== undefined) options.meshMax = int(meshMax, '--mesh-max', 2, 1024);
  const level = pick('log-level', 'LOG_LEVEL');
  if (level !== undefined) {
    if (!(LEVELS as readonly string[]).includes(level)) throw new UsageError(`--log-level: one of ${LEVELS.join(', ')}`);
    options.logLevel = level as LevelWithSilent;
  }
  return { help: false, options };
}

const MIN_SECRET_BYTES = 32;

export const TOKEN_HELP = `Usage: rtc-elements token --room <id> --user <id> [options]

Prints a room token (JWT, HS256) signed with the server's --token-secret, for
testing. Real deployments mint tokens in their own backend (see SECURITY.md).

Options:
  --room <id,id>              Room(s) the token opens or joins ("*" = any)
  --user <id>                 The userid ("sub"): 1-64 characters of [A-Za-z0-9_.-]
  --ttl <time>                Lifetime: 90, 90s, 15m, 1h, 7d (default 1h)
  --permissions <a,b>         Any of ${PERMISSIONS.join(', ')} (default: all but moderate, claim left out)
  --token-secret <secret>     RTC_TOKEN_SECRET   The signing secret (prefer the environment variable)
  --token-issuer <iss>        RTC_TOKEN_ISSUER   Sets "iss"
  --token-audience <aud>      RTC_TOKEN_AUDIENCE Sets "aud"
  -h, --help
`;

export type TokenCliConfig = { help: true } | { help: false; mint: MintOptions };

/** `rtc-elements token …` (argv without the word "token"). */
export function parseTokenCli(argv: readonly string[], env: Record<string, string | undefined>): TokenCliConfig {
  const values = strictArgs(argv, {
    ...stringFlags('room', 'user', 'ttl', 'permissions', 'token-secret', 'token-issuer', 'token-audience'),
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return { help: true };
  const secret = values['token-secret'] || env.RTC_TOKEN_SECRET;
  if (!secret) throw new UsageError('token: no secret (--token-secret or RTC_TOKEN_SECRET)');
  if (Buffer.byteLength(secret) < MIN_SECRET_BYTES) throw new UsageError(`token: the secret must be at least ${MIN_SECRET_BYTES} bytes`);
  if (!values.room) throw new UsageError('token: --room is required ("*" for any room)');
  if (!values.user) throw new UsageError('token: --user is required');
  const rooms = csv(values.room);
  if (!rooms.length || !rooms.every((r) => r === '*' || ROOMID_PATTERN.test(r))) throw new UsageError('token: --room: roomids (1-128 of [A-Za-z0-9_.-]) or "*"');
  if (!USERID_PATTERN.test(values.user)) throw new UsageError('token: --user: 1-64 characters of [A-Za-z0-9_.-]');
  const mint: MintOptions = { secret, userid: values.user, room: rooms.length === 1 ? rooms[0]! : rooms, ttlSeconds: duration(values.ttl ?? '1h', '--ttl') };
  if (values.permissions !== undefined) {
    const list = csv(values.permissions);
    const unknown = list.filter((p) => !(PERMISSIONS as readonly string[]).includes(p));
    if (unknown.length) throw new UsageError(`token: --permissions: unknown ${unknown.join(', ')} (known: ${PERMISSIONS.join(', ')})`);
    mint.permissions = list as Permission[];
  }
  const issuer = values['token-issuer'] || env.RTC_TOKEN_ISSUER;
  const audience = values['token-audience'] || env.RTC_TOKEN_AUDIENCE;
  if (issuer) mint.issuer = issuer;
  if (audience) mint.audience = audience;
  return { help: false, mint };
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90`, `90s`, `15m`, `1h`, `7d` -> seconds. */
export function duration(text: string, name: string): number {
  const m = /^(\d{1,9})([smhd]?)$/.exec(text.trim());
  const seconds = m ? Number(m[1]) * UNITS[m[2] || 's']! : NaN;
  if (!(seconds >= 1 && seconds <= 366 * 86400)) throw new UsageError(`${name}: a duration like 90s, 15m, 1h or 7d, at most 366d (got "${text}")`);
  return seconds;
}

function int(text: string, name: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${name}: an integer from ${min} to ${max} (got "${text}")`);
  }
  return n;
}
