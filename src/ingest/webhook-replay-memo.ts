/**
 * Remembers recently accepted Standard Webhooks message ids so a captured request cannot be replayed
 * while its signature is still within the timestamp tolerance. Bounded: entries expire, and the
 * oldest are dropped past `maxEntries` (the entity workflow still dedupes by (source, id) behind it).
 */
export class WebhookReplayMemo {
  // Insertion order is expiry order, because every entry lives for the same ttl.
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number,
  ) {}

  /** Claims an id; false when it was already claimed and has not expired (a replay). */
  claim(key: string): boolean {
    const now = this.now();
    for (const [oldKey, expiresAt] of this.expiries) {
      if (expiresAt > now && this.expiries.size < this.maxEntries) break;
      this.expiries.delete(oldKey);
    }
    const existing = this.expiries.get(key);
    if (existing !== undefined && existing > now) return false;
    this.expiries.set(key, now + this.ttlMs);
    return true;
  }

  /** Forgets a claim whose request was not accepted, so the sender may retry with the same id. */
  release(key: string): void {
    this.expiries.delete(key);
  }

  get size(): number {
    return this.expiries.size;
  }
}
