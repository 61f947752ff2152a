/** What the client reads from a room token: its `exp`, to warn the page before it runs out (the server verifies tokens). */

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

/** Calls `onExpiring` shortly before the watched token's `exp` (see expiryWarningDelay). */
export class TokenExpiryWatch {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly onExpiring: (expiresAt: number) => void) {}

  /** Watches `token` instead of what was watched; a token without `exp` is not watched. */
  watch(token: string | undefined): void {
    this.stop();
    const expiresAt = tokenExpiry(token);
    if (expiresAt === null) return;
    const delay = expiryWarningDelay(expiresAt, Date.now());
    // setTimeout holds at most 2^31-1 ms (24.8 days): check again later for longer-lived tokens.
    const max = 2 ** 31 - 1;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (delay > max) this.watch(token);
      else this.onExpiring(expiresAt);
    }, Math.min(delay, max));
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
