import { describe, expect, it } from 'vitest';
import { SourceRateLimiter } from '../../src/ingest/source-rate-limiter.js';
import { WebhookReplayMemo } from '../../src/ingest/webhook-replay-memo.js';

describe('WebhookReplayMemo', () => {
  it('refuses a second claim within the ttl, and allows it after expiry or release', () => {
    let now = 0;
    const memo = new WebhookReplayMemo(1000, 10, () => now);
    expect(memo.claim('a')).toBe(true);
    expect(memo.claim('a')).toBe(false);
    now = 1001;
    expect(memo.claim('a')).toBe(true);
    memo.release('a');
    expect(memo.claim('a')).toBe(true);
  });

  it('stays bounded: expired entries go first, then the oldest', () => {
    let now = 0;
    const memo = new WebhookReplayMemo(1000, 3, () => now);
    for (const key of ['a', 'b', 'c', 'd', 'e']) memo.claim(key);
    expect(memo.size).toBeLessThanOrEqual(3);
    expect(memo.claim('e')).toBe(false);
    now = 5000;
    memo.claim('f');
    expect(memo.size).toBe(1);
  });
});

describe('SourceRateLimiter', () => {
  it('allows bursts up to the rate, then refills at the rate', () => {
    let now = 0;
    const limiter = new SourceRateLimiter({ s: 4, free: undefined }, () => now);
    expect([1, 2, 3, 4].map(() => limiter.take('s'))).toEqual([0, 0, 0, 0]);
    expect(limiter.take('s')).toBe(1);
    now = 250;
    expect(limiter.take('s')).toBe(0);
    expect(limiter.take('s')).toBeGreaterThan(0);
    expect(Array.from({ length: 100 }, () => limiter.take('free')).every((w) => w === 0)).toBe(true);
  });

  it('suggests a longer wait for slow rates', () => {
    const limiter = new SourceRateLimiter({ slow: 0.1 }, () => 0);
    expect(limiter.take('slow')).toBe(0);
    expect(limiter.take('slow')).toBe(10);
  });
});
