/**
 * Follows every open job to its end: claims due jobs in batches, polls them concurrently (bounded per
 * channel, never one by one with sleeps) and lets each poll reschedule its job by its own backoff. A job still
 * running stays with this process between polls, under its lease (KeptJob).
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { randomUUID } from 'node:crypto';
import TinyQueue from 'tinyqueue';
import type { TaskJobRow } from '../store/schema.js';
import { claimDueJobs, claimJobNow, makeJobDueNow } from '../store/claims.js';
import { eachInOneTransaction, rescheduleJobIn } from '../store/tasks.js';
import { ClaimLoop } from './claim-loop.js';
import type { EngineDeps } from './deps.js';
import type { OpenJob } from './job-poll.js';
import type { JobRunner } from './job-runner.js';

/**
 * A job this process keeps under its lease between polls: it waits here, not in the database, so a poll costs no
 * claim and no write-back (docs/benchmarks.md). Its lease is renewed as its polls go on; should the process die,
 * the job comes back to any poller when the lease ends.
 */
interface KeptJob {
  job: OpenJob;
  leaseToken: string;
  leaseUntil: number;
  dueAt: number;
}

export class Poller {
  private readonly loop: ClaimLoop<KeptJob>;
  /** Set by stop(): polls that have not reached their vendor call give their jobs back. */
  private handingBack = false;
  private readonly limits = new Map<string, LimitFunction>();
  /** Jobs kept between polls, by id, and the same in order of when they are due (entries replaced are skipped). */
  private readonly kept = new Map<string, KeptJob>();
  private readonly keptByDue = new TinyQueue<KeptJob>([], (a, b) => a.dueAt - b.dueAt);
  /** Jobs this process is polling now, and those a callback asked about meanwhile (polled again after). */
  private readonly polling = new Set<string>();
  private readonly pollAgain = new Set<string>();
  private readonly shared = new SharedStrings(10_000);

  constructor(
    private readonly deps: EngineDeps,
    private readonly runner: JobRunner,
  ) {
    this.loop = new ClaimLoop(
      {
        name: 'poller',
        tickMs: deps.config.POLL_TICK_MS,
        capacity: () => deps.config.POLL_BATCH_SIZE,
        claim: (limit) => this.claim(limit),
        handle: (kept) => this.poll(kept),
      },
      deps.log,
    );
  }

  start(): void {
    this.handingBack = false;
    this.loop.start();
  }

  /**
   * Stops claiming, waits for the polls in flight to be written back, and hands back the jobs it keeps: those
   * claimed but not yet polled (due now) and those kept between polls (due when their backoff says), for whichever
   * instance polls next.
   */
  async stop(): Promise<void> {
    this.handingBack = true;
    // Polls still waiting for a slot give up at once and join the kept jobs; the others finish and write back.
    await this.loop.stop();
    const handBack = [...this.kept.values()];
    this.kept.clear();
    while (this.keptByDue.pop());
    const now = Date.now();
    await eachInOneTransaction(this.deps.database, handBack, (trx, { job, leaseToken, dueAt }) =>
      rescheduleJobIn(trx, {
        jobId: job.id,
        leaseToken,
        keepLease: false,
        queued: job.queued,
        queue_position: job.queue_position,
        progress: job.progress,
        last_error: job.last_error,
        poll_attempts: job.poll_attempts,
        next_poll_at: dueAt,
        updated_at: now,
      }),
    );
  }

  /** One pass (see ClaimLoop). Returns how many polls it started. Exposed for tests. */
  tick(): Promise<number> {
    return this.loop.tick();
  }

  /**
   * The kept jobs that are due and due jobs claimed from the database, up to `limit`, earliest first; what does
   * not fit stays kept.
   */
  private async claim(limit: number): Promise<KeptJob[]> {
    const now = Date.now();
    const ready = this.takeDue(now, limit);
    // Some room for the database's jobs even when kept ones fill the slots, or a poller running behind would
    // starve them. They count as due now: they were due by then at the latest.
    const room = Math.max(limit - ready.length, Math.ceil(limit / 4));
    const leaseToken = randomUUID();
    const leaseUntil = now + this.deps.config.POLL_LEASE_MS;
    const claimed = await claimDueJobs(this.deps.database, { now, limit: room, leaseToken, leaseUntil });
    for (const row of claimed) {
      this.kept.delete(row.id); // claimed again: its lease ran out while it waited here
      ready.push({ job: this.openJob(row), leaseToken, leaseUntil, dueAt: now });
    }
    ready.slice(limit).forEach((kept) => this.keep(kept));
    return ready.slice(0, limit);
  }

  /**
   * Polls one job now, out of turn (its vendor called back to say it changed), or makes it due now when the
   * poller is at capacity. False when the job is not processing or another process's poll holds it; its regular
   * polls go on either way. When this process is polling it right now, it is polled again as soon as that poll
   * ends (the news may be newer than its answer).
   */
  async pollNow(jobId: string): Promise<boolean> {
    if (this.loop.isStopped) return false;
    if (this.polling.has(jobId)) {
      this.pollAgain.add(jobId);
      return true;
    }
    const now = Date.now();
    const kept = this.kept.get(jobId);
    if (kept) {
      this.keep({ ...kept, dueAt: now });
      this.loop.wake();
      return true;
    }
    // At capacity the news waits its turn among the due jobs: polling past the limit let 100,000 callbacks
    // queue polls without bound (docs/benchmarks.md).
    if (this.loop.inFlight >= this.deps.config.POLL_BATCH_SIZE)
      return makeJobDueNow(this.deps.database, jobId, now);
    const leaseToken = randomUUID();
    const leaseUntil = now + this.deps.config.POLL_LEASE_MS;
    const row = await claimJobNow(this.deps.database, jobId, { now, leaseToken, leaseUntil });
    if (!row) return false;
    this.loop.run({ job: this.openJob(row), leaseToken, leaseUntil, dueAt: now });
    return true;
  }

  /** Polls this process is running now. */
  get inFlight(): number {
    return this.loop.inFlight;
  }

  /** How late polling runs: how long ago the most overdue job this process keeps came due (0: none is overdue). */
  lateness(now = Date.now()): number {
    // Entries replaced since (a job claimed again, or made due by a callback) are dropped, not read as overdue.
    let next = this.keptByDue.peek();
    while (next && this.kept.get(next.job.id) !== next) {
      this.keptByDue.pop();
      next = this.keptByDue.peek();
    }
    return next && next.dueAt < now ? now - next.dueAt : 0;
  }

  /**
   * A claimed row, trimmed to what polling needs. Values many jobs have in common (channel, model, poll context,
   * facts) share one string: kept jobs are the bulk of the poller's memory at 100,000 tasks (docs/benchmarks.md).
   */
  private openJob(row: TaskJobRow): OpenJob {
    return {
      id: row.id,
      task_id: row.task_id,
      channel_id: this.shared.of(row.channel_id),
      upstream_model: this.shared.of(row.upstream_model),
      upstream_task_id: row.upstream_task_id,
      poll_context: this.shared.of(row.poll_context),
      facts: this.shared.of(row.facts),
      state: row.state,
      queued: row.queued,
      queue_position: row.queue_position,
      progress: row.progress,
      last_error: row.last_error,
      poll_attempts: row.poll_attempts,
      deadline_at: row.deadline_at,
      created_at: row.created_at,
    };
  }

  private keep(kept: KeptJob): void {
    this.kept.set(kept.job.id, kept);
    this.keptByDue.push(kept);
  }

  /** Kept jobs due by `now`, earliest first, at most `limit`; they leave the kept set. */
  private takeDue(now: number, limit: number): KeptJob[] {
    const due: KeptJob[] = [];
    while (due.length < limit) {
      const next = this.keptByDue.peek();
      if (!next || next.dueAt > now) break;
      this.keptByDue.pop();
      if (this.kept.get(next.job.id) !== next) continue; // replaced since
      this.kept.delete(next.job.id);
      due.push(next);
    }
    return due;
  }

  /** Polls a claimed or kept job; a job still running is kept for its next poll. */
  private async poll(kept: KeptJob): Promise<void> {
    const { job, leaseToken } = kept;
    this.polling.add(job.id);
    this.deps.metrics.pollStarted(Date.now() - kept.dueAt);
    const limit = this.limitFor(job.channel_id ?? 'none');
    // Only the vendor call waits for the channel's limit: a write-back waiting for its batch does not hold a slot.
    const slot = <T>(call: () => Promise<T>) =>
      limit(() => (this.handingBack ? Promise.reject(new HandedBack()) : call()));
    try {
      const next = await this.runner.poll(job, leaseToken, {
        leaseUntil: this.handingBack ? undefined : kept.leaseUntil,
        slot,
      });
      // Not when a claim of this process took the job again meanwhile (its lease had run out).
      if (next && !this.kept.has(job.id)) {
        kept.dueAt = next.dueAt;
        kept.leaseUntil = next.leaseUntil;
        this.keep(kept);
      }
    } catch (err) {
      if (err instanceof HandedBack) this.keep({ ...kept, dueAt: Math.min(kept.dueAt, Date.now()) });
      else this.deps.log.error({ err, job: job.id }, 'poll crashed; the job returns when its lease ends');
    } finally {
      this.polling.delete(job.id);
    }
    if (this.pollAgain.delete(job.id)) {
      await this.pollNow(job.id).catch((err: unknown) =>
        this.deps.log.error({ err, job: job.id }, 'poll after a callback failed to start'),
      );
    }
  }

  private limitFor(channelId: string): LimitFunction {
    let limit = this.limits.get(channelId);
    if (!limit) {
      limit = pLimit(this.deps.config.POLL_CHANNEL_CONCURRENCY);
      this.limits.set(channelId, limit);
    }
    return limit;
  }
}

/** One copy of each string seen, for up to `limit` distinct strings (then it starts afresh). */
class SharedStrings {
  private readonly seen = new Map<string, string>();

  constructor(private readonly limit: number) {}

  of<T extends string | null>(value: T): T {
    if (value === null) return value;
    const known = this.seen.get(value);
    if (known !== undefined) return known as T;
    if (this.seen.size >= this.limit) this.seen.clear();
    this.seen.set(value, value);
    return value;
  }
}

/** A poll that had not reached its vendor call when the poller stopped: its job is handed back untouched. */
class HandedBack extends Error {}
