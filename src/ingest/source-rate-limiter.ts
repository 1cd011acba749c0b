/** Per-source token buckets: `rate` requests per second, bursts up to `rate` (at least 1). */
export class SourceRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly rates: Record<string, number | undefined>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for the source; returns 0 when allowed, else the seconds to wait (Retry-After). */
  take(source: string): number {
    const rate = this.rates[source];
    if (rate === undefined || rate <= 0) return 0;
    const capacity = Math.max(1, rate);
    const now = this.now();
    const bucket = this.buckets.get(source) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.buckets.set(source, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
  }
}
