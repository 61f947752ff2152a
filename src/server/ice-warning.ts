// The start-up warning for a server reachable beyond loopback that hands out no STUN/TURN server.
import type { IceServerConfig } from '../protocol.js';

/** What the warning looks at: the server options it was started with (only these fields). */
export interface IceWarningInput {
  /** The address(es) it listens on; none means the default, 127.0.0.1. */
  host?: string | readonly string[] | undefined;
  /** `--ice-servers`. */
  iceServers?: readonly IceServerConfig[] | undefined;
  /** `--turn-secret` / `--turn-urls`: TURN credentials minted per user. */
  turn?: { urls: readonly string[] } | undefined;
}

/** 127.0.0.0/8, ::1 and `localhost` (with or without brackets): only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return /^127(\.\d{1,3}){3}$/.test(v4);
}

const urlsOf = (server: IceServerConfig): string[] => (Array.isArray(server.urls) ? server.urls : [server.urls]);

/**
 * Null when the configuration is fine; otherwise the warning to log. A server
 * that only this machine reaches needs no STUN/TURN (its peers share the
 * machine's addresses). Beyond loopback, without any STUN or TURN server,
 * browsers offer each other only their local addresses: two people behind
 * different home routers almost never connect, and nothing else says why.
 */
export function iceServersWarning(input: IceWarningInput): string | null {
  const hosts = input.host === undefined ? [] : typeof input.host === 'string' ? [input.host] : [...input.host];
  if (hosts.every(isLoopbackHost)) return null;
  if (input.turn && input.turn.urls.length > 0) return null;
  const urls = (input.iceServers ?? []).flatMap(urlsOf);
  if (urls.some((u) => /^(stuns?|turns?):/i.test(u.trim()))) return null;
  return (
    `Listening on ${hosts.filter((h) => !isLoopbackHost(h)).join(', ')} with no STUN or TURN server: calls between different networks ` +
    'will mostly fail to connect. Run a TURN server (coturn, see the README) and add --turn-secret <secret> --turn-urls turn:<host>:3478, ' +
    'or --ice-servers \'[{"urls":"stun:<host>:3478"}]\'.'
  );
}
