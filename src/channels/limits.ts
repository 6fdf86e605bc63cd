/**
 * Limits toward each vendor account: at most `maxConcurrency` calls in flight and `maxRps` starts per second,
 * with the rest waiting in order. A vendor's 429 pauses the channel. Submits wait in a bounded queue (a clear
 * 429 beyond it); polls always wait, since the poller already bounds how many it holds. With several instances on
 * one PostgreSQL, a SharedGate (shared-limits.ts) holds the limits across all of them, behind this instance's own.
 */
import { ApiError } from '../errors.js';
import type { SharedGate } from './shared-limits.js';

export interface GateLimits {
  maxConcurrency: number | null;
  maxRps: number | null;
}

export class ChannelBusyError extends ApiError {
  constructor(channelName: string) {
    super(
      429,
      'rate_limit_error',
      `The upstream for this model is at capacity (${channelName}); retry shortly`,
      null,
      'channel_busy',
    );
  }
}

/** After a 429 without Retry-After, how long the channel rests. */
const defaultPauseMs = 1_000;
/** However long a vendor asks for, a channel rests at most this long before trying again. */
const maxPauseMs = 60_000;

class ChannelGate {
  private inFlight = 0;
  private nextStartAt = 0;
  pausedUntil = 0;
  private readonly waiting: { bounded: boolean; start: () => void }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly channelId: string,
    public limits: GateLimits,
    private readonly maxQueue: number,
    private readonly shared: SharedGate | null,
  ) {}

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(work: () => Promise<T>, bounded: boolean, busy: () => Error): Promise<T> {
    await this.acquire(bounded, busy);
    try {
      if (!this.shared || (this.limits.maxConcurrency === null && this.limits.maxRps === null))
        return await work();
      const leave = await this.shared.enter({ id: this.channelId, ...this.limits });
      try {
        return await work();
      } finally {
        leave();
      }
    } finally {
      this.inFlight--;
      this.pump();
    }
  }

  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + Math.min(ms, maxPauseMs));
    if (this.shared && this.limits.maxRps !== null) this.shared.pause(this.channelId, this.pausedUntil);
  }

  private acquire(bounded: boolean, busy: () => Error): Promise<void> {
    if (this.waiting.length === 0 && this.startNow()) return Promise.resolve();
    if (bounded && this.waiting.filter((w) => w.bounded).length >= this.maxQueue)
      return Promise.reject(busy());
    return new Promise((resolve) => {
      this.waiting.push({ bounded, start: resolve });
      this.pump();
    });
  }

  /** Starts a call now if the limits allow it. */
  private startNow(): boolean {
    const now = Date.now();
    if (this.limits.maxConcurrency !== null && this.inFlight >= this.limits.maxConcurrency) return false;
    if (now < this.pausedUntil || now < this.nextStartAt) return false;
    this.inFlight++;
    if (this.limits.maxRps !== null) this.nextStartAt = now + 1000 / this.limits.maxRps;
    return true;
  }

  private pump(): void {
    while (this.waiting.length > 0 && this.startNow()) this.waiting.shift()!.start();
    if (this.waiting.length === 0 || this.timer) return;
    const waitMs = Math.max(this.pausedUntil, this.nextStartAt) - Date.now();
    // A concurrency slot frees itself (run's finally pumps); only time-based waits need a timer.
    if (waitMs > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, waitMs);
      this.timer.unref();
    }
  }
}

export class ChannelLimits {
  private readonly gates = new Map<string, ChannelGate>();

  constructor(
    private readonly maxQueue = 100,
    /** Limits held with other instances (PostgreSQL); null: this instance is the only one (SQLite). */
    private readonly shared: SharedGate | null = null,
  ) {}

  /** Runs one vendor call under the channel's limits. */
  run<T>(
    channel: { id: string; name: string } & GateLimits,
    work: () => Promise<T>,
    bounded: boolean,
  ): Promise<T> {
    return this.gate(channel).run(work, bounded, () => new ChannelBusyError(channel.name));
  }

  /** The vendor asked us to slow down. */
  pause(channel: { id: string } & GateLimits, retryAfterMs: number | undefined): void {
    this.gate(channel).pause(retryAfterMs ?? defaultPauseMs);
  }

  queued(channelId: string): number {
    return this.gates.get(channelId)?.queued ?? 0;
  }

  /** Until when the vendor asked this channel to rest (unix ms), or null. */
  pausedUntil(channelId: string): number | null {
    const until = this.gates.get(channelId)?.pausedUntil ?? 0;
    return until > Date.now() ? until : null;
  }

  private gate(channel: { id: string } & GateLimits): ChannelGate {
    let gate = this.gates.get(channel.id);
    if (!gate) {
      gate = new ChannelGate(
        channel.id,
        { maxConcurrency: channel.maxConcurrency, maxRps: channel.maxRps },
        this.maxQueue,
        this.shared,
      );
      this.gates.set(channel.id, gate);
    }
    gate.limits = { maxConcurrency: channel.maxConcurrency, maxRps: channel.maxRps };
    return gate;
  }
}
