import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.js';

describe('RateLimiter', () => {
  it('allows a burst, then refuses until tokens refill at the configured rate', () => {
    let t = 0;
    const limiter = new RateLimiter({ perSecond: 2, burst: 3 }, () => t);
    expect([limiter.take('k'), limiter.take('k'), limiter.take('k')]).toEqual([0, 0, 0]);
    const wait = limiter.take('k');
    expect(wait).toBeCloseTo(0.5, 5);
    t += 500;
    expect(limiter.take('k')).toBe(0);
    expect(limiter.take('k')).toBeGreaterThan(0);
    // another key has its own bucket
    expect(limiter.take('other')).toBe(0);
  });

  it('never exceeds the burst after a long idle time, and 0/s disables it', () => {
    let t = 0;
    const limiter = new RateLimiter({ perSecond: 1, burst: 2 }, () => t);
    t += 1_000_000;
    expect([limiter.take('k'), limiter.take('k')]).toEqual([0, 0]);
    expect(limiter.take('k')).toBeGreaterThan(0);
    const off = new RateLimiter({ perSecond: 0, burst: 0 }, () => t);
    for (let i = 0; i < 100; i++) expect(off.take('k')).toBe(0);
  });
});
