/**
 * Follows every open job to its end: claims due jobs in batches, polls them concurrently (bounded per
 * channel, never one by one with sleeps) and lets each poll reschedule its job by its own backoff.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { randomUUID } from 'node:crypto';
import type { TaskJobRow } from '../store/schema.js';
import { claimDueJobs, claimJobNow, makeJobDueNow, updateHeldJob } from '../store/tasks.js';
import type { CoreDeps, JobRunner } from './jobs.js';

export class Poller {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private stopped = true;
  private inFlight = 0;
  private readonly limits = new Map<string, LimitFunction>();
  /** Polls under way. */
  private readonly polls = new Set<Promise<void>>();
  /** Claimed jobs still queued behind their channel's limit. */
  private readonly waiting = new Map<string, { jobId: string; leaseToken: string }>();
  /** Jobs this process holds now, and those a callback asked about meanwhile (polled again after). */
  private readonly polling = new Set<string>();
  private readonly pollAgain = new Set<string>();
  private idle: Promise<void> = Promise.resolve();
  /** The last pass filled every free slot, so more may be due: the next one starts as soon as slots free up. */
  private backlog = false;

  constructor(
    private readonly deps: CoreDeps,
    private readonly runner: JobRunner,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /**
   * Stops claiming, waits for the polls in flight to be written back, and hands back the jobs that were
   * claimed but not yet polled (due now, for whichever instance polls next).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.idle;
    for (const limit of this.limits.values()) limit.clearQueue();
    const handBack = [...this.waiting.values()];
    this.waiting.clear();
    this.inFlight -= handBack.length;
    for (const { jobId } of handBack) this.polling.delete(jobId);
    await Promise.all(
      handBack.map(({ jobId, leaseToken }) =>
        updateHeldJob(this.deps.database, jobId, leaseToken, { lease_token: null, next_poll_at: Date.now() }),
      ),
    );
    // A poll that ends may start another (a callback came meanwhile): wait for those too.
    while (this.polls.size > 0) await Promise.all(this.polls);
  }

  /** One pass: claim what is due (up to the free capacity) and start polling it. Exposed for tests. */
  async tick(): Promise<number> {
    const capacity = this.deps.config.POLL_BATCH_SIZE - this.inFlight;
    if (capacity <= 0) return 0;
    const now = Date.now();
    const leaseToken = randomUUID();
    const jobs = await claimDueJobs(this.deps.database, {
      now,
      limit: capacity,
      leaseToken,
      leaseUntil: now + this.deps.config.POLL_LEASE_MS,
    });
    for (const job of jobs) this.run(job, leaseToken);
    return jobs.length;
  }

  /**
   * Polls one job now, out of turn (its vendor called back to say it changed), or makes it due now when the
   * poller is at capacity. False when the job is not processing or another process's poll holds it; its regular
   * polls go on either way. When this process is polling it right now, it is polled again as soon as that poll
   * ends (the news may be newer than its answer).
   */
  async pollNow(jobId: string): Promise<boolean> {
    if (this.stopped) return false;
    if (this.polling.has(jobId)) {
      this.pollAgain.add(jobId);
      return true;
    }
    const now = Date.now();
    // At capacity the news waits its turn among the due jobs: polling past the limit let 100,000 callbacks
    // queue polls without bound (docs/benchmarks.md).
    if (this.inFlight >= this.deps.config.POLL_BATCH_SIZE)
      return makeJobDueNow(this.deps.database, jobId, now);
    const leaseToken = randomUUID();
    const job = await claimJobNow(this.deps.database, jobId, {
      now,
      leaseToken,
      leaseUntil: now + this.deps.config.POLL_LEASE_MS,
    });
    if (!job) return false;
    this.run(job, leaseToken);
    return true;
  }

  private run(job: TaskJobRow, leaseToken: string): void {
    this.inFlight++;
    this.polling.add(job.id);
    this.waiting.set(job.id, { jobId: job.id, leaseToken });
    void this.limitFor(job.channel_id ?? 'none')(() => {
      this.waiting.delete(job.id);
      const work = this.runner
        .poll(job, leaseToken)
        .catch((err: unknown) =>
          this.deps.log.error({ err, job: job.id }, 'poll crashed; the job returns when its lease ends'),
        )
        .finally(async () => {
          this.inFlight--;
          this.polling.delete(job.id);
          if (this.backlog && this.inFlight <= this.deps.config.POLL_BATCH_SIZE / 2) this.passNow();
          if (this.pollAgain.delete(job.id)) {
            await this.pollNow(job.id).catch((err: unknown) =>
              this.deps.log.error({ err, job: job.id }, 'poll after a callback failed to start'),
            );
          }
          this.polls.delete(work);
        });
      this.polls.add(work);
      return work;
    });
  }

  private limitFor(channelId: string): LimitFunction {
    let limit = this.limits.get(channelId);
    if (!limit) {
      limit = pLimit(this.deps.config.POLL_CHANNEL_CONCURRENCY);
      this.limits.set(channelId, limit);
    }
    return limit;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.idle = this.loop();
    }, delayMs);
    this.timer.unref();
  }

  /** Starts the next pass now instead of at the next tick. */
  private passNow(): void {
    this.backlog = false;
    if (this.running || this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.schedule(0);
  }

  private async loop(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const capacity = this.deps.config.POLL_BATCH_SIZE - this.inFlight;
    let claimed = 0;
    try {
      claimed = await this.tick();
    } catch (err) {
      this.deps.log.error({ err }, 'poller pass failed');
    } finally {
      this.running = false;
    }
    // Every free slot filled means more may be due right now: go again once half the slots are free, not a tick
    // later (which capped polling at POLL_BATCH_SIZE per tick; docs/benchmarks.md).
    if (capacity > 0) this.backlog = claimed >= capacity;
    if (this.backlog && this.inFlight <= this.deps.config.POLL_BATCH_SIZE / 2) this.passNow();
    else this.schedule(this.deps.config.POLL_TICK_MS);
  }
}
