/**
 * Follows every open job to its end: claims due jobs in batches, polls them concurrently (bounded per
 * channel, never one by one with sleeps) and lets each poll reschedule its job by its own backoff. A job still
 * running stays with this process between polls, under its lease (HeldJob).
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { randomUUID } from 'node:crypto';
import TinyQueue from 'tinyqueue';
import type { TaskJobRow } from '../store/schema.js';
import {
  claimDueJobs,
  claimJobNow,
  eachInOneTransaction,
  makeJobDueNow,
  rescheduleJobIn,
} from '../store/tasks.js';
import type { CoreDeps, JobRunner, PolledJob } from './job-runner.js';

/**
 * A job this process holds under its lease. Between polls it waits here, not in the database: no claim and no
 * write-back per poll (docs/benchmarks.md). Its lease is renewed as its polls go on; should the process die, the
 * job comes back to any poller when the lease ends.
 */
interface HeldJob {
  job: PolledJob;
  leaseToken: string;
  leaseUntil: number;
  dueAt: number;
}

export class Poller {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private stopped = true;
  /** Set by stop(): polls that have not reached their vendor call give their jobs back. */
  private handingBack = false;
  private inFlight = 0;
  private readonly limits = new Map<string, LimitFunction>();
  /** Polls under way. */
  private readonly polls = new Set<Promise<void>>();
  /** Jobs kept between polls, by id, and the same in order of when they are due (entries replaced are skipped). */
  private readonly kept = new Map<string, HeldJob>();
  private readonly keptByDue = new TinyQueue<HeldJob>([], (a, b) => a.dueAt - b.dueAt);
  /** Jobs this process is polling now, and those a callback asked about meanwhile (polled again after). */
  private readonly polling = new Set<string>();
  private readonly pollAgain = new Set<string>();
  private readonly shared = new SharedStrings(10_000);
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
    this.handingBack = false;
    this.schedule(0);
  }

  /**
   * Stops claiming, waits for the polls in flight to be written back, and hands back the jobs it holds: those
   * claimed but not yet polled (due now) and those kept between polls (due when their backoff says), for whichever
   * instance polls next.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.handingBack = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.idle;
    // Polls still waiting for a slot give up at once and join the kept jobs; the others finish and write back. A poll
    // that ends may start another (a callback came meanwhile): wait for those too.
    while (this.polls.size > 0) await Promise.all(this.polls);
    const handBack = [...this.kept.values()];
    this.kept.clear();
    while (this.keptByDue.pop());
    const now = Date.now();
    await eachInOneTransaction(this.deps.database, handBack, (trx, { job, leaseToken, dueAt }) =>
      rescheduleJobIn(trx, this.deps.database.dialect, {
        jobId: job.id,
        leaseToken,
        keepLease: false,
        queued: job.queued,
        progress: job.progress,
        last_error: job.last_error,
        poll_attempts: job.poll_attempts,
        next_poll_at: dueAt,
        updated_at: now,
      }),
    );
  }

  /**
   * One pass: start polling the kept jobs that are due, and claim due jobs from the database, up to the free
   * capacity, earliest first. Returns how many polls it started. Exposed for tests.
   */
  async tick(): Promise<number> {
    const free = this.deps.config.POLL_BATCH_SIZE - this.inFlight;
    if (free <= 0) return 0;
    const now = Date.now();
    const ready = this.takeDue(now, free);
    // Some room for the database's jobs even when kept ones fill the slots, or a poller running behind would
    // starve them. They count as due now: they were due by then at the latest.
    const room = Math.max(free - ready.length, Math.ceil(free / 4));
    const leaseToken = randomUUID();
    const leaseUntil = now + this.deps.config.POLL_LEASE_MS;
    const claimed = await claimDueJobs(this.deps.database, { now, limit: room, leaseToken, leaseUntil });
    for (const row of claimed) {
      this.kept.delete(row.id); // claimed again: its lease ran out while it waited here
      ready.push({ job: this.polledJob(row), leaseToken, leaseUntil, dueAt: now });
    }
    ready.slice(free).forEach((held) => this.keep(held));
    const started = ready.slice(0, free);
    for (const held of started) this.run(held);
    return started.length;
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
    const kept = this.kept.get(jobId);
    if (kept) {
      this.keep({ ...kept, dueAt: now });
      this.passNow();
      return true;
    }
    // At capacity the news waits its turn among the due jobs: polling past the limit let 100,000 callbacks
    // queue polls without bound (docs/benchmarks.md).
    if (this.inFlight >= this.deps.config.POLL_BATCH_SIZE)
      return makeJobDueNow(this.deps.database, jobId, now);
    const leaseToken = randomUUID();
    const leaseUntil = now + this.deps.config.POLL_LEASE_MS;
    const row = await claimJobNow(this.deps.database, jobId, { now, leaseToken, leaseUntil });
    if (!row) return false;
    this.run({ job: this.polledJob(row), leaseToken, leaseUntil, dueAt: now });
    return true;
  }

  /** How late polling runs: how long ago the most overdue job this process keeps came due (0: none is overdue). */
  lateness(now = Date.now()): number {
    const next = this.keptByDue.peek();
    return next && next.dueAt < now ? now - next.dueAt : 0;
  }

  /**
   * A claimed row, trimmed to what polling needs. Values many jobs have in common (channel, model, poll context,
   * facts) share one string: kept jobs are the bulk of the poller's memory at 100,000 tasks (docs/benchmarks.md).
   */
  private polledJob(row: TaskJobRow): PolledJob {
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
      progress: row.progress,
      last_error: row.last_error,
      poll_attempts: row.poll_attempts,
      deadline_at: row.deadline_at,
      created_at: row.created_at,
    };
  }

  private keep(held: HeldJob): void {
    this.kept.set(held.job.id, held);
    this.keptByDue.push(held);
  }

  /** Kept jobs due by `now`, earliest first, at most `limit`; they leave the kept set. */
  private takeDue(now: number, limit: number): HeldJob[] {
    const due: HeldJob[] = [];
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

  private run(held: HeldJob): void {
    const { job, leaseToken } = held;
    this.inFlight++;
    this.polling.add(job.id);
    const limit = this.limitFor(job.channel_id ?? 'none');
    // Only the vendor call waits for the channel's limit: a write-back waiting for its batch does not hold a slot.
    const slot = <T>(call: () => Promise<T>) =>
      limit(() => (this.handingBack ? Promise.reject(new HandedBack()) : call()));
    const work = this.runner
      .poll(job, leaseToken, { leaseUntil: this.handingBack ? undefined : held.leaseUntil, slot })
      .then((next) => {
        // Not when a claim of this process took the job again meanwhile (its lease had run out).
        if (!next || this.kept.has(job.id)) return;
        held.dueAt = next.dueAt;
        held.leaseUntil = next.leaseUntil;
        this.keep(held);
      })
      .catch((err: unknown) => {
        if (err instanceof HandedBack) this.keep({ ...held, dueAt: Math.min(held.dueAt, Date.now()) });
        else this.deps.log.error({ err, job: job.id }, 'poll crashed; the job returns when its lease ends');
      })
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
    let started = 0;
    try {
      started = await this.tick();
    } catch (err) {
      this.deps.log.error({ err }, 'poller pass failed');
    } finally {
      this.running = false;
    }
    // Every free slot filled means more may be due right now: go again once half the slots are free, not a tick
    // later (which capped polling at POLL_BATCH_SIZE per tick; docs/benchmarks.md).
    if (capacity > 0) this.backlog = started >= capacity;
    if (this.backlog && this.inFlight <= this.deps.config.POLL_BATCH_SIZE / 2) this.passNow();
    else this.schedule(this.deps.config.POLL_TICK_MS);
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
