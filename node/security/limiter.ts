/**
 * Failed sign-ins and bad credentials, counted per key (a username at an address, an address) over a sliding
 * window: past the limit, that key is refused with 429 until its oldest failure leaves the window. Successes do
 * not clear the count, so a guesser who also holds one valid account gains nothing. Memory is bounded: the
 * oldest keys go first.
 */
export class FailureLimiter {
  private failures = new Map<string, number[]>();

  constructor(private readonly limit: number, private readonly windowMs: number, private readonly maxKeys = 100_000) {}

  /** Seconds until `key` may try again; 0 when it may now. */
  retryAfterS(key: string, nowMs = Date.now()): number {
    const times = this.live(key, nowMs);
    if (times.length < this.limit) return 0;
    return Math.max(1, Math.ceil((times[times.length - this.limit] + this.windowMs - nowMs) / 1000));
  }

  fail(key: string, nowMs = Date.now()): void {
    const times = this.live(key, nowMs);
    times.push(nowMs);
    this.failures.delete(key);
    this.failures.set(key, times.slice(-this.limit));
    if (this.failures.size > this.maxKeys) this.failures.delete(this.failures.keys().next().value!);
  }

  private live(key: string, nowMs: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => t > nowMs - this.windowMs);
  }
}
