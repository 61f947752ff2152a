// Which browser pages may open a socket. Checked at the engine.io handshake
// (`allowRequest`), so polling and websocket are refused alike.

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export interface OriginPolicy {
  /** True when a page at `origin` may connect to a server reached as `host` (the Host header). */
  allows(origin: string | undefined, host?: string): boolean;
  /** The same without the request: used for CORS, which same-origin pages never need. */
  allowsCrossOrigin(origin: string | undefined): boolean;
}

/**
 * Allowed: requests without Origin (non-browser clients), the server's own
 * origin, loopback origins on any port, and the listed ones (`*` = any).
 * `null` origins (sandboxed frames, file://) are refused unless `*` is set.
 */
export function createOriginPolicy(allowedOrigins: readonly string[] = []): OriginPolicy {
  const any = allowedOrigins.includes('*');
  const listed = new Set(allowedOrigins.filter((o) => o !== '*').map(normalizeOrigin));

  function allowsCrossOrigin(origin: string | undefined): boolean {
    if (origin === undefined || origin === '') return true;
    if (any) return true;
    const url = parse(origin);
    if (!url) return false;
    return LOOPBACK_HOSTS.has(url.hostname) || listed.has(url.origin);
  }

  return {
    allowsCrossOrigin,
    allows(origin, host) {
      if (allowsCrossOrigin(origin)) return true;
      const url = parse(origin!);
      return !!url && !!host && url.host.toLowerCase() === host.toLowerCase();
    },
  };
}

function parse(origin: string): URL | undefined {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** `https://Example.com:443/` -> `https://example.com`; throws on nonsense so bad config fails at start. */
export function normalizeOrigin(origin: string): string {
  const url = parse(origin.trim());
  if (!url) throw new TypeError(`allowedOrigins: "${origin}" is not an http(s) origin (or "*")`);
  return url.origin;
}
