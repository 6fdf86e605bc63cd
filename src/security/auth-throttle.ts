/**
 * Failed authentication, throttled per client address: after `maxFailures` wrong keys or admin tokens within
 * `windowMs`, further attempts from that address are refused (429 with Retry-After) without a database lookup until
 * the window ends. Each instance counts on its own: behind a load balancer of N instances a guesser gets N times
 * the budget, still far too few guesses for a 48-character key.
 */
import { LRUCache } from 'lru-cache';

interface Failures {
  count: number;
  windowEndsAt: number;
}

export class FailedAuthThrottle {
  private readonly failures: LRUCache<string, Failures>;

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    maxAddresses = 100_000,
  ) {
    this.failures = new LRUCache({ max: maxAddresses });
  }

  /** Seconds the address must wait before it may try again; null when it may try now. */
  retryAfterSeconds(address: string, now = Date.now()): number | null {
    const seen = this.failures.get(address);
    if (!seen || seen.windowEndsAt <= now || seen.count < this.maxFailures) return null;
    return Math.max(1, Math.ceil((seen.windowEndsAt - now) / 1000));
  }

  recordFailure(address: string, now = Date.now()): void {
    const seen = this.failures.get(address);
    if (!seen || seen.windowEndsAt <= now)
      this.failures.set(address, { count: 1, windowEndsAt: now + this.windowMs });
    else seen.count++;
  }
}
