// Room tokens: JWTs a backend mints for one user and some rooms, verified
// at the socket.io handshake with jose. Claims:
//   sub          the userid (USERID_PATTERN); wins over the client's auth.userid
//   room         a roomid, "*" (any room), or an array of those
//   exp          required; nbf and iat honoured when present
//   permissions  optional array of "open" | "publish" | "data" | "moderate" (absent = all but "moderate")
//   iss / aud    checked when the server is configured with an issuer / audience
import {
  SignJWT,
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { DEFAULT_PERMISSIONS, PERMISSIONS, ROOMID_PATTERN, USERID_PATTERN, type Permission } from '../protocol.js';

/** What a verified token grants one connection. */
export interface RoomGrant {
  /** Rooms the holder may open, join or ask about; `'*'` = any. */
  rooms: '*' | ReadonlySet<string>;
  permissions: Permission[];
  /** `exp`, in ms since the epoch: room requests after it are refused. */
  expiresAt: number;
}

export interface VerifiedToken {
  userid: string;
  grant: RoomGrant;
  claims: JWTPayload;
}

export interface RoomTokenOptions {
  /** HS256 shared secret, at least 32 bytes (RFC 7518 §3.2). */
  secret?: string | Uint8Array;
  /** Public keys as a JWKS document (`{ keys: [...] }`). */
  jwks?: JSONWebKeySet;
  /** Where to fetch the JWKS (https, or http on a loopback host); cached, refetched for unknown `kid`s at most every 30 s. */
  jwksUrl?: string | URL;
  /** Required `iss`, when set. */
  issuer?: string;
  /** Required `aud` (one of), when set. */
  audience?: string | string[];
  /** Seconds of clock skew tolerated on exp/nbf/iat. Default 0. */
  clockTolerance?: number;
}

/** Refusal of a token: shown to the client (never echoes the token). */
export class TokenError extends Error {
  /** `unavailable` when the keys could not be fetched (a server-side problem, worth a retry); `expired` past `exp`. */
  constructor(
    message: string,
    readonly kind: 'invalid' | 'expired' | 'unavailable' = 'invalid',
  ) {
    super(message);
  }
}

const HMAC_ALGORITHMS = ['HS256'];
/** Asymmetric only: an HMAC `alg` against a public key is the classic confusion attack. */
const PUBLIC_KEY_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const MIN_SECRET_BYTES = 32;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export type TokenVerifier = (token: string) => Promise<VerifiedToken>;

/** Checks the options once (at start) and returns the verifier the handshake calls. */
export function createTokenVerifier(options: RoomTokenOptions): TokenVerifier {
  const sources = [options.secret !== undefined, options.jwks !== undefined, options.jwksUrl !== undefined].filter(Boolean).length;
  if (sources !== 1) throw new TypeError('room tokens: give exactly one of tokenSecret, jwks, jwksUrl');
  let key: Uint8Array | JWTVerifyGetKey;
  let algorithms: string[];
  if (options.secret !== undefined) {
    key = secretBytes(options.secret);
    algorithms = HMAC_ALGORITHMS;
  } else if (options.jwks !== undefined) {
    if (!options.jwks || !Array.isArray(options.jwks.keys)) throw new TypeError('jwks: a JWKS document, { keys: [...] }');
    key = createLocalJWKSet(options.jwks);
    algorithms = PUBLIC_KEY_ALGORITHMS;
  } else {
    const remote = createRemoteJWKSet(jwksUrl(options.jwksUrl!), { timeoutDuration: 5000, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
    // A key the set does not hold is the token's fault; failing to fetch the set is ours.
    key = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (err) {
        if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys) throw err;
        if (err instanceof joseErrors.JOSENotSupported || err instanceof joseErrors.JWSInvalid) throw err;
        throw new TokenError('cannot fetch the token keys', 'unavailable');
      }
    };
    algorithms = PUBLIC_KEY_ALGORITHMS;
  }
  const clockTolerance = options.clockTolerance ?? 0;
  if (!(clockTolerance >= 0 && clockTolerance <= 300)) throw new TypeError('tokenClockTolerance: 0 to 300 seconds');
  const verifyOptions = {
    algorithms,
    requiredClaims: ['exp', 'sub'],
    clockTolerance,
    ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
    ...(options.audience !== undefined ? { audience: options.audience } : {}),
  };

  return async (token) => {
    let payload: JWTPayload;
    try {
      // jose's overloads differ for a key and a key function; both are fine here.
      ({ payload } = await jwtVerify(token, key as Uint8Array, verifyOptions));
    } catch (err) {
      throw describe(err);
    }
    return { ...grantOf(payload, clockTolerance), claims: payload };
  };
}

function grantOf(payload: JWTPayload, clockTolerance: number): { userid: string; grant: RoomGrant } {
  const sub = payload.sub;
  if (typeof sub !== 'string' || !USERID_PATTERN.test(sub)) throw new TokenError('token: "sub" must be a userid (1-64 of [A-Za-z0-9_.-])');
  const room: unknown = payload.room;
  const list = typeof room === 'string' ? [room] : Array.isArray(room) ? room : undefined;
  if (!list || list.length === 0 || list.length > 256 || !list.every((r) => typeof r === 'string' && (r === '*' || ROOMID_PATTERN.test(r)))) {
    throw new TokenError('token: "room" must be a roomid, "*", or a list of them');
  }
  let permissions: Permission[] = [...DEFAULT_PERMISSIONS];
  if (payload.permissions !== undefined) {
    const p: unknown = payload.permissions;
    if (!Array.isArray(p) || !p.every((x) => typeof x === 'string')) throw new TokenError('token: "permissions" must be a list of strings');
    // Unknown names grant nothing (a newer backend's permission is not an error).
    permissions = PERMISSIONS.filter((name) => p.includes(name));
  }
  return {
    userid: sub,
    grant: {
      rooms: list.includes('*') ? '*' : new Set(list as string[]),
      permissions,
      expiresAt: (payload.exp! + clockTolerance) * 1000,
    },
  };
}

/** jose's errors, as one short line for the client. */
function describe(err: unknown): TokenError {
  if (err instanceof TokenError) return err;
  if (err instanceof joseErrors.JWTExpired) return new TokenError('token expired', 'expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return new TokenError('token not yet valid');
    if (err.claim === 'iat') return new TokenError('token issued in the future');
    return new TokenError(`token: "${err.claim}" claim ${err.reason === 'missing' ? 'missing' : 'check failed'}`);
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new TokenError('token signature invalid');
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return new TokenError('token algorithm not allowed');
  if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys) return new TokenError('token key unknown');
  if (err instanceof joseErrors.JOSENotSupported) return new TokenError('token algorithm or key type not supported');
  return new TokenError('malformed token');
}

function secretBytes(secret: string | Uint8Array): Uint8Array {
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  if (bytes.byteLength < MIN_SECRET_BYTES) throw new TypeError(`tokenSecret: at least ${MIN_SECRET_BYTES} bytes (e.g. openssl rand -base64 32)`);
  return bytes;
}

function jwksUrl(value: string | URL): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`jwksUrl: not a URL`);
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname))) return url;
  throw new TypeError('jwksUrl: https (http only on localhost)');
}

/** May the grant's holder open, join or ask about `roomid` now? */
export function grantAllows(grant: RoomGrant, roomid: string, now: number): 'ok' | 'expired' | 'wrong-room' {
  if (now >= grant.expiresAt) return 'expired';
  if (grant.rooms !== '*' && !grant.rooms.has(roomid)) return 'wrong-room';
  return 'ok';
}

export interface MintOptions {
  /** HS256 secret, the server's `tokenSecret`. */
  secret: string | Uint8Array;
  userid: string;
  /** A roomid, `'*'`, or several. */
  room: string | string[];
  /** Lifetime in seconds. */
  ttlSeconds: number;
  /** Default: open, publish and data (the claim is left out); `moderate` must be asked for. */
  permissions?: Permission[];
  issuer?: string;
  audience?: string;
  /** Seconds since the epoch; default now. */
  now?: number;
}

/**
 * Mints an HS256 room token (what `rtc-elements token` prints). A backend
 * with its own JWT library mints the same claims; see SECURITY.md.
 */
export async function mintRoomToken(options: MintOptions): Promise<string> {
  if (!USERID_PATTERN.test(options.userid)) throw new TypeError('userid: 1-64 characters of [A-Za-z0-9_.-]');
  const rooms = Array.isArray(options.room) ? options.room : [options.room];
  if (!rooms.length || !rooms.every((r) => r === '*' || ROOMID_PATTERN.test(r))) throw new TypeError('room: a roomid (1-128 of [A-Za-z0-9_.-]) or "*"');
  if (!Number.isInteger(options.ttlSeconds) || options.ttlSeconds < 1) throw new TypeError('ttlSeconds: a positive integer');
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const claims: JWTPayload = { room: rooms.length === 1 ? rooms[0] : rooms };
  if (options.permissions) claims.permissions = [...options.permissions];
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.userid)
    .setIssuedAt(now)
    .setExpirationTime(now + options.ttlSeconds);
  if (options.issuer !== undefined) jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt.setAudience(options.audience);
  return jwt.sign(secretBytes(options.secret));
}
