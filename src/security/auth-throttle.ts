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
  /** The latest end of a window in which some address used up its budget: none is refused after it. */
  private refusingUntil = 0;

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

  /**
   * Whether any address may be refused now. While none is, a request is let through without its address (an
   * answer made before Fastify reads it: http/generations/task-query.ts).
   */
  refusesAnyone(now = Date.now()): boolean {
    return now < this.refusingUntil;
  }

  recordFailure(address: string, now = Date.now()): void {
    let seen = this.failures.get(address);
    if (!seen || seen.windowEndsAt <= now) {
      seen = { count: 1, windowEndsAt: now + this.windowMs };
      this.failures.set(address, seen);
    } else seen.count++;
    if (seen.count >= this.maxFailures) this.refusingUntil = Math.max(this.refusingUntil, seen.windowEndsAt);
  }
}
