/**
 * How soon the jobs of one model on one channel have been seen to end, so that a young job is not polled before
 * the fastest of them ever finished: early polls of a job that takes minutes are wasted vendor calls, and with
 * 100,000 tasks in flight they took the poller's time from jobs that were done (docs/benchmarks.md). Kept per
 * instance, over the last `window` ends, and trusted from `minSamples` on. It follows the vendor both ways: a
 * faster job is seen at the first poll allowed and counts as that fast, so the threshold falls by `margin` per
 * window until it is below what the vendor does.
 */
export class CompletionTimes {
  private readonly seen = new Map<string, { durations: number[]; next: number; earliest: number }>();

  constructor(
    private readonly window = 100,
    private readonly minSamples = 20,
    private readonly margin = 0.8,
  ) {}

  record(key: string, durationMs: number): void {
    let entry = this.seen.get(key);
    if (!entry) {
      entry = { durations: [], next: 0, earliest: 0 };
      this.seen.set(key, entry);
    }
    entry.durations[entry.next] = durationMs;
    entry.next = (entry.next + 1) % this.window;
    // Whole milliseconds: it becomes a time in the database (BIGINT on PostgreSQL).
    entry.earliest =
      entry.durations.length < this.minSamples ? 0 : Math.floor(Math.min(...entry.durations) * this.margin);
  }

  /** The age before which a job of `key` is not worth polling; 0 while too little is known. */
  earliestMs(key: string): number {
    return this.seen.get(key)?.earliest ?? 0;
  }
}

/** The jobs that are alike in how long they take: one model on one channel. */
export const completionKey = (channelId: string | null, model: string | null) =>
  `${channelId ?? ''} ${model ?? ''}`;
