/**
 * A channel's limits held across every instance on one PostgreSQL (store/shared-limits.ts): a call takes one of
 * the channel's `maxConcurrency` slots under a lease and reserves its start `1000 / maxRps` ms after the previous
 * one, whichever instance made it. ChannelLimits keeps its own per-instance gate in front of this (the bounded
 * queue, and no more waiters on the database than the channel could serve).
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../store/db.js';
import { claimSlot, ensureSlots, postponeStarts, releaseSlot, reserveStart } from '../store/shared-limits.js';
import type { GateLimits } from './limits.js';

/** Shared admission to a channel's vendor calls; `enter` resolves with the function that leaves. */
export interface SharedGate {
  enter(channel: { id: string } & GateLimits): Promise<() => void>;
  /** No call starts on the channel, on any instance, before `until` (unix ms). */
  pause(channelId: string, until: number): void;
}

const firstRetryMs = 10;
const maxRetryMs = 250;
const giveUpAfterMs = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class PostgresSharedGate implements SharedGate {
  /** Scopes whose slots exist up to this limit (checked once per process and limit). */
  private readonly ensured = new Map<string, number>();

  constructor(
    private readonly database: Database,
    /** How long a slot stays held by an instance that never gives it back: longer than any vendor call. */
    private readonly leaseMs: number,
    private readonly onTrouble: (err: unknown) => void = () => undefined,
  ) {}

  async enter(channel: { id: string } & GateLimits): Promise<() => void> {
    const scope = `channel:${channel.id}`;
    let leave = () => {};
    if (channel.maxConcurrency !== null) {
      const holder = randomUUID();
      const slot = await this.holdSlot(scope, channel.maxConcurrency, holder);
      // Not retried: a slot not given back is freed when its lease ends.
      leave = () => void releaseSlot(this.database, scope, slot, holder).catch(this.onTrouble);
    }
    if (channel.maxRps !== null) {
      const intervalMs = Math.ceil(1000 / channel.maxRps);
      const startAt = await this.retrying(() => reserveStart(this.database, scope, intervalMs, Date.now()));
      const waitMs = startAt - Date.now();
      if (waitMs > 0) await sleep(waitMs);
    }
    return leave;
  }

  pause(channelId: string, until: number): void {
    void postponeStarts(this.database, `channel:${channelId}`, until).catch(this.onTrouble);
  }

  /** Waits for a free slot, asking again with backoff (a slot freed on another instance is not announced). */
  private async holdSlot(scope: string, limit: number, holder: string): Promise<number> {
    if (this.ensured.get(scope) !== limit) {
      await this.retrying(() => ensureSlots(this.database, scope, limit));
      this.ensured.set(scope, limit);
    }
    for (let retryMs = firstRetryMs; ; retryMs = Math.min(retryMs * 2, maxRetryMs)) {
      const now = Date.now();
      const slot = await this.retrying(() =>
        claimSlot(this.database, { scope, limit, holder, now, expiresAt: now + this.leaseMs }),
      );
      if (slot !== null) return slot;
      await sleep(retryMs);
    }
  }

  /**
   * The database unreachable (restarting) holds calls back rather than letting them past the limit, for a while;
   * after that the call fails like any other trouble.
   */
  private async retrying<T>(work: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + giveUpAfterMs;
    for (let retryMs = 100; ; retryMs = Math.min(retryMs * 2, 2_000)) {
      try {
        return await work();
      } catch (err) {
        if (Date.now() > deadline) throw err;
        this.onTrouble(err);
        await sleep(retryMs);
      }
    }
  }
}
