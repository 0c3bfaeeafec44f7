/**
 * Per-key token buckets: each key holds up to `burst` tokens, refilled at `perSecond`; a request
 * takes one. An empty bucket answers with the seconds until the next token (-> 429 Retry-After).
 */
export interface RateLimitOptions {
  /** Sustained requests per second per key; 0 disables rate limiting. */
  perSecond: number;
  /** Bucket size (requests allowed at once after idling). */
  burst: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { perSecond: 50, burst: 100 };

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  constructor(
    private readonly options: RateLimitOptions = DEFAULT_RATE_LIMIT,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes a token for `key`; returns 0 when allowed, else the seconds to wait. */
  take(key: string, perSecond = this.options.perSecond, burst = this.options.burst): number {
    if (perSecond <= 0) return 0;
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return (1 - b.tokens) / perSecond;
  }
}
