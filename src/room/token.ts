/**
 * What the client reads from a room token. It never verifies one (the server
 * does); it only looks at `exp` to warn the page before the token runs out.
 */

/** The token's `exp` in ms since the epoch, or null when it is not a JWT with a numeric `exp` (a shared token). */
export function tokenExpiry(token: string | null | undefined): number | null {
  const payload = token?.split('.')[1];
  if (!payload || token!.split('.').length !== 3) return null;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const json = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
    const claims = JSON.parse(json) as unknown;
    const exp = claims && typeof claims === 'object' ? (claims as { exp?: unknown }).exp : undefined;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : null;
  } catch {
    return null;
  }
}

/** How long before `exp` the page is told: a minute, or half the time left for short-lived tokens. */
export function expiryWarningDelay(expiresAt: number, now: number): number {
  const left = expiresAt - now;
  if (left <= 0) return 0;
  return left - Math.min(60_000, left / 2);
}
