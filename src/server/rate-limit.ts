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

/**
 * Failed authentications (a key presented that is unknown or revoked) per client address: 20 at
 * once, then one every 2 s, so guessing keys is slow while a mistyped key is not a lock-out.
 */
export const DEFAULT_FAILED_AUTH_LIMIT: RateLimitOptions = { perSecond: 0.5, burst: 20 };

/** Buckets kept before full (idle) ones are dropped; bounds the memory a flood of addresses can take. */
const MAX_BUCKETS = 10_000;

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
    const b = this.refill(key, perSecond, burst);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return (1 - b.tokens) / perSecond;
  }

  /** The seconds until `key` has a token again (0 = it has one now), without taking it. */
  wait(key: string, perSecond = this.options.perSecond, burst = this.options.burst): number {
    if (perSecond <= 0 || !this.buckets.has(key)) return 0;
    const b = this.refill(key, perSecond, burst);
    return b.tokens >= 1 ? 0 : (1 - b.tokens) / perSecond;
  }

  private refill(key: string, perSecond: number, burst: number): Bucket {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);
    b.at = t;
    if (!this.buckets.has(key) && this.buckets.size >= MAX_BUCKETS) this.dropFull(perSecond, burst, t);
    this.buckets.set(key, b);
    return b;
  }

  private dropFull(perSecond: number, burst: number, t: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + ((t - b.at) / 1000) * perSecond >= burst) this.buckets.delete(k);
  }
}
