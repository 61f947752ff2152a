// Rate limits: a token bucket per socket, and a limiter for expensive work (password hashing).
/** Token-bucket settings: `burst` messages at once, refilled at `perSecond`. */
export interface RateLimitOptions {
  burst: number;
  perSecond: number;
  /**
   * Refused messages tolerated (they drain at `perSecond`) before the socket
   * is disconnected. Default: `burst`.
   */
  maxViolations?: number;
}

/** Roomy enough for a full ICE gathering burst plus renegotiation. */
export const DEFAULT_RATE_LIMIT: Readonly<Required<RateLimitOptions>> = { burst: 200, perSecond: 50, maxViolations: 200 };

export type RateDecision = 'ok' | 'limited' | 'disconnect';

/**
 * One per socket. Time is passed in so tests need no fake clocks; refills
 * happen lazily on each call, so an idle socket costs no timer.
 */
export class RateLimiter {
  private tokens: number;
  private violations = 0;
  private last: number;
  private readonly burst: number;
  private readonly perSecond: number;
  private readonly maxViolations: number;

  constructor(options: Required<RateLimitOptions>, now: number) {
    this.burst = options.burst;
    this.perSecond = options.perSecond;
    this.maxViolations = options.maxViolations;
    this.tokens = options.burst;
    this.last = now;
  }

  take(now: number): RateDecision {
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.perSecond);
    this.violations = Math.max(0, this.violations - elapsed * this.perSecond);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 'ok';
    }
    this.violations += 1;
    return this.violations > this.maxViolations ? 'disconnect' : 'limited';
  }
}

export function resolveRateLimit(options: Partial<RateLimitOptions> | undefined): Required<RateLimitOptions> {
  const burst = positive(options?.burst, DEFAULT_RATE_LIMIT.burst, 'rateLimit.burst');
  const perSecond = positive(options?.perSecond, DEFAULT_RATE_LIMIT.perSecond, 'rateLimit.perSecond');
  const maxViolations = positive(options?.maxViolations, burst, 'rateLimit.maxViolations');
  return { burst, perSecond, maxViolations };
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0)) throw new TypeError(`${name} must be a positive number`);
  return value;
}

/** Thrown by `WorkLimiter.run` when its queue is full. */
export class BusyError extends Error {}

/**
 * At most `concurrency` jobs at once, at most `maxQueued` waiting; more are
 * refused at once. Keeps expensive work (scrypt: ~50 ms of CPU and 16 MiB
 * each) from taking every core away from the event loop when many clients
 * send passwords at the same time.
 */
export class WorkLimiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxQueued: number,
  ) {}

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxQueued) throw new BusyError('too much work queued');
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next job; `running` stays the same.
      if (next) next();
      else this.running--;
    }
  }

  get queued(): number {
    return this.waiting.length;
  }
}
