// Time-limited TURN credentials in the "TURN REST API" scheme that coturn
// implements with `use-auth-secret` / `static-auth-secret`
// (draft-uberti-behave-turn-rest-00): the TURN server shares a secret with us
// and checks the HMAC itself, so no per-user state is kept anywhere.
import { createHmac } from 'node:crypto';
import type { IceServerConfig } from '../protocol.js';

export interface TurnOptions {
  /** coturn's `static-auth-secret`. */
  secret: string;
  /** `turn:` / `turns:` URLs, e.g. `turns:turn.example.org:5349?transport=tcp`. */
  urls: string[];
  /** Lifetime of each credential, in seconds. Default 300. */
  ttl?: number;
}

export const DEFAULT_TURN_TTL = 300;
const TURN_URL = /^turns?:[^\s]+$/;

/**
 * username `<expiry unix time>:<userid>`, password
 * base64(HMAC-SHA1(secret, username)).
 */
export function turnCredentials(secret: string, userid: string, expiry: number): { username: string; credential: string } {
  const username = `${expiry}:${userid}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

export interface TurnIssuer {
  /** Seconds each credential lives. */
  readonly ttl: number;
  /** How long to wait before handing out fresh credentials (ms): at four fifths of the lifetime. */
  readonly refreshMs: number;
  /** One ICE server entry for `userid`, valid for `ttl` seconds from `now` (ms). */
  issue(userid: string, now: number): IceServerConfig;
}

export function createTurnIssuer(options: TurnOptions): TurnIssuer {
  if (typeof options.secret !== 'string' || options.secret.length === 0) throw new TypeError('turn.secret: a non-empty string');
  if (!Array.isArray(options.urls) || options.urls.length === 0 || !options.urls.every((u) => typeof u === 'string' && TURN_URL.test(u))) {
    throw new TypeError('turn.urls: one or more turn: / turns: URLs');
  }
  const ttl = options.ttl ?? DEFAULT_TURN_TTL;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 7 * 24 * 3600) throw new TypeError('turn.ttl: an integer number of seconds, 1 to 604800');
  const urls = [...options.urls];
  const { secret } = options;
  return {
    ttl,
    refreshMs: Math.max(500, Math.floor(ttl * 800)),
    issue(userid, now) {
      const expiry = Math.floor(now / 1000) + ttl;
      return { urls: urls.length === 1 ? urls[0]! : [...urls], ...turnCredentials(secret, userid, expiry) };
    },
  };
}

/** True when some entry is a TURN server (relay-only calls need one). */
export function hasTurn(servers: readonly IceServerConfig[]): boolean {
  return servers.some((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]).some((u) => /^turns?:/.test(u)));
}
