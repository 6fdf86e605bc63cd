/**
 * Follows every open job to its end: claims due jobs in batches, polls them concurrently (bounded per
 * channel, never one by one with sleeps) and lets each poll reschedule its job by its own backoff. A job still
 * running stays with this process between polls, under its lease (KeptJob). A vendor callback puts its job in
 * the priority lane, polled before any routine poll; while a channel's callbacks arrive, its routine polls back
 * off to POLL_CALLBACK_FALLBACK_MS, the jobs resting in the database in between (CallbackSignal).
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { randomUUID } from 'node:crypto';
import TinyQueue from 'tinyqueue';
import type { TaskJobRow } from '../store/schema.js';
import { claimDueJobs, claimJobsNow, isJobLeased, makeChannelJobsDue } from '../store/claims.js';
import { eachInOneTransaction, rescheduleJobIn } from '../store/tasks.js';
import { CallbackSignal } from './callback-signal.js';
import { ClaimLoop } from './claim-loop.js';
import type { EngineDeps } from './deps.js';
import type { OpenJob } from './job-poll.js';
import type { JobRunner } from './job-runner.js';
import { TurnBatch } from './turn-batch.js';

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
  /** When it was last polled, or created if never; null when not known here (then it is polled when due). */
  polledAt: number | null;
}

export class Poller {
  private readonly loop: ClaimLoop<KeptJob>;
  /** Set by stop(): polls that have not reached their vendor call give their jobs back. */
  private handingBack = false;
  private readonly limits = new Map<string, LimitFunction>();
  /** Jobs kept between polls, by id, and the same in order of when they are due (entries replaced are skipped). */
  private readonly kept = new Map<string, KeptJob>();
  private readonly keptByDue = new TinyQueue<KeptJob>([], (a, b) => a.dueAt - b.dueAt);
  /** The priority lane: jobs whose vendor called back, held under their lease, polled first in arrival order. */
  private readonly urgent = new Map<string, KeptJob>();
  private readonly callbacks: CallbackSignal;
  /** Jobs whose vendor called back and whose poll has not ended yet, with when the news came (oldest first). */
  private readonly news = new Map<string, number>();
  /** Channels whose jobs this process sent to rest in the database, to wake when their callbacks stop. */
  private readonly restingChannels = new Set<string>();
  /**
   * Jobs this process is polling now or has taken for a pass, and those a callback asked about meanwhile
   * (polled again after).
   */
  private readonly polling = new Set<string>();
  private readonly pollAgain = new Set<string>();
  private readonly shared = new SharedStrings(10_000);
  /** Claims for callbacks' jobs, gathered for a moment: at 100,000 tasks one commit each cost more than the claims. */
  private readonly newsClaims: TurnBatch<string, TaskJobRow | undefined>;
  /** Jobs whose claim for a callback is under way: a second callback for one waits for the same claim. */
  private readonly claimingNews = new Map<string, Promise<boolean>>();

  constructor(
    private readonly deps: EngineDeps,
    private readonly runner: JobRunner,
  ) {
    this.callbacks = new CallbackSignal(
      () => deps.config.POLL_MAX_DELAY_MS,
      () => deps.config.POLL_CALLBACK_FALLBACK_MS,
    );
    this.newsClaims = new TurnBatch((jobIds) => {
      const now = Date.now();
      const lease = { now, leaseToken: randomUUID(), leaseUntil: now + deps.config.POLL_LEASE_MS };
      return claimJobsNow(deps.database, jobIds, lease);
    }, newsClaimWindowMs);
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
    const handBack = [...this.urgent.values(), ...this.kept.values()];
    this.urgent.clear();
    this.news.clear();
    this.kept.clear();
    while (this.keptByDue.pop());
    await this.giveBack(handBack);
  }

  /** A vendor callback for one of the channel's jobs arrived (news or not): its callbacks work. */
  callbackArrived(channelId: string): void {
    this.callbacks.arrived(channelId);
  }

  /** One pass (see ClaimLoop). Returns how many polls it started. Exposed for tests. */
  tick(): Promise<number> {
    return this.loop.tick();
  }

  /**
   * Up to `limit` jobs to poll: the priority lane first, then the kept jobs that are due and due jobs claimed from
   * the database, earliest first; what does not fit stays kept. Routine polls of a channel whose callbacks arrive
   * rest in the database instead, until the fallback cadence makes them due.
   */
  private async claim(limit: number): Promise<KeptJob[]> {
    const now = Date.now();
    await this.wakeRestingChannels(now);
    const urgent = this.takeUrgent(limit);
    const due = this.takeDue(now, limit - urgent.length);
    // Some room for the database's jobs even when kept ones fill the slots, or a poller running behind would
    // starve them. They count as due now: they were due by then at the latest.
    const room = Math.max(limit - urgent.length - due.length, Math.ceil(limit / 4));
    const leaseToken = randomUUID();
    const leaseUntil = now + this.deps.config.POLL_LEASE_MS;
    const claimed = await claimDueJobs(this.deps.database, { now, limit: room, leaseToken, leaseUntil });
    const routine = due;
    for (const row of claimed) {
      // Claimed again: its lease ran out while it waited here, kept or in the priority lane (polled once, now).
      this.kept.delete(row.id);
      this.urgent.delete(row.id);
      // Never polled: as old as the job. Polled before, perhaps elsewhere: when, is not known here.
      const polledAt = row.poll_attempts === 0 ? row.created_at : null;
      routine.push({ job: this.openJob(row), leaseToken, leaseUntil, dueAt: now, polledAt });
    }
    const { poll, rest } = this.splitResting(routine, now);
    const polls = [...urgent, ...poll];
    polls.slice(limit).forEach((kept) => this.keep(kept));
    const taken = polls.slice(0, limit);
    // Taken before their polls start: a callback meanwhile is a poll again after, not a job held elsewhere.
    for (const kept of [...taken, ...rest]) this.polling.add(kept.job.id);
    await this.rest(rest);
    return taken;
  }

  /**
   * Polls one job out of turn (its vendor called back to say it changed): the job goes to the priority lane, ahead
   * of every routine poll, or is polled at once when a slot is free. False when the job is not processing or
   * another process holds it (its polls go on there). When this process is polling it right now, it is polled
   * again as soon as that poll ends (the news may be newer than its answer).
   */
  async pollNow(jobId: string, channelId?: string): Promise<boolean> {
    if (this.loop.isStopped) return false;
    const taken = await this.takeNews(jobId, channelId);
    if (taken && !this.news.has(jobId)) this.news.set(jobId, Date.now());
    return taken;
  }

  private async takeNews(jobId: string, channelId?: string): Promise<boolean> {
    if (this.urgent.has(jobId)) return true;
    if (this.polling.has(jobId)) {
      this.pollAgain.add(jobId);
      return true;
    }
    const kept = this.kept.get(jobId);
    if (kept) {
      this.kept.delete(jobId); // its entry in keptByDue is skipped from now on
      this.hurry(kept);
      return true;
    }
    let claiming = this.claimingNews.get(jobId);
    if (!claiming) {
      claiming = this.claimNews(jobId, channelId).finally(() => this.claimingNews.delete(jobId));
      this.claimingNews.set(jobId, claiming);
    }
    return claiming;
  }

  /** Claims a callback's job from the database and polls it first. */
  private async claimNews(jobId: string, channelId?: string): Promise<boolean> {
    const row = await this.newsClaims.add(jobId);
    if (!row) {
      const now = Date.now();
      if (channelId && (await isJobLeased(this.deps.database, jobId, now)))
        this.callbacks.missed(channelId, now);
      return false;
    }
    const claimed: KeptJob = {
      job: this.openJob(row),
      leaseToken: row.lease_token!,
      leaseUntil: row.next_poll_at,
      dueAt: Date.now(),
      polledAt: null,
    };
    // At capacity the news waits in the priority lane: polling past the limit let 100,000 callbacks queue polls
    // without bound (docs/benchmarks.md).
    if (this.loop.inFlight >= this.deps.config.POLL_BATCH_SIZE) this.hurry(claimed);
    else this.loop.run(claimed);
    return true;
  }

  /** Polls this process is running now. */
  get inFlight(): number {
    return this.loop.inFlight;
  }

  /**
   * How late polling runs: how long ago the most overdue job this process keeps came due, or the oldest news of a
   * callback not yet polled came (0: none).
   */
  lateness(now = Date.now()): number {
    const oldestNews = this.news.values().next();
    const newsWaiting = oldestNews.done ? 0 : now - oldestNews.value;
    // Entries replaced since (a job claimed again, or made due by a callback) are dropped, not read as overdue.
    let next = this.keptByDue.peek();
    while (next && this.kept.get(next.job.id) !== next) {
      this.keptByDue.pop();
      next = this.keptByDue.peek();
    }
    return Math.max(newsWaiting, next && next.dueAt < now ? now - next.dueAt : 0);
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

  /** Puts a job this process holds in the priority lane, for the next pass. */
  private hurry(kept: KeptJob): void {
    this.urgent.set(kept.job.id, { ...kept, dueAt: Math.min(kept.dueAt, Date.now()) });
    this.loop.wake();
  }

  /** The first `limit` jobs of the priority lane, in the order their callbacks came; they leave it. */
  private takeUrgent(limit: number): KeptJob[] {
    const taken: KeptJob[] = [];
    for (const [id, kept] of this.urgent) {
      if (taken.length >= limit) break;
      this.urgent.delete(id);
      taken.push(kept);
    }
    return taken;
  }

  /**
   * Routine polls that are worth making now, and those that rest: the channel's callbacks arrive and the job was
   * polled (or created) within the fallback cadence.
   */
  private splitResting(routine: KeptJob[], now: number): { poll: KeptJob[]; rest: KeptJob[] } {
    const fallbackMs = this.deps.config.POLL_CALLBACK_FALLBACK_MS;
    const poll: KeptJob[] = [];
    const rest: KeptJob[] = [];
    for (const kept of routine) {
      const resting =
        kept.polledAt !== null &&
        kept.polledAt + fallbackMs > now &&
        this.callbacks.backingOff(kept.job.channel_id, now);
      if (resting) rest.push({ ...kept, dueAt: kept.polledAt! + fallbackMs });
      else poll.push(kept);
    }
    return { poll, rest };
  }

  /**
   * Sends jobs to rest in the database, unleased, due at the fallback cadence: a callback on any instance can claim
   * one at once, and their channel's jobs are woken if its callbacks stop. A callback that came meanwhile polls.
   */
  private async rest(resting: KeptJob[]): Promise<void> {
    if (resting.length === 0) return;
    for (const { job } of resting) if (job.channel_id) this.restingChannels.add(job.channel_id);
    try {
      await this.giveBack(resting);
    } catch (err) {
      this.deps.log.error({ err }, 'resting jobs not written back; they return when their lease ends');
    } finally {
      for (const { job } of resting) this.polling.delete(job.id);
    }
    for (const { job } of resting) {
      if (this.pollAgain.delete(job.id)) await this.pollNow(job.id, job.channel_id ?? undefined);
    }
  }

  /** Channels whose callbacks have stopped: their resting jobs are due again, on the normal schedule. */
  private async wakeRestingChannels(now: number): Promise<void> {
    for (const channelId of this.restingChannels) {
      if (this.callbacks.backingOff(channelId, now)) continue;
      this.restingChannels.delete(channelId);
      await makeChannelJobsDue(this.deps.database, channelId, now);
    }
  }

  /** Writes jobs back unleased, each due at its `dueAt`, for whichever poller is free then. */
  private giveBack(jobs: KeptJob[]): Promise<unknown> {
    const now = Date.now();
    return eachInOneTransaction(this.deps.database, jobs, (trx, { job, leaseToken, dueAt }) =>
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
    const polledAt = Date.now();
    try {
      const next = await this.runner.poll(job, leaseToken, {
        leaseUntil: this.handingBack ? undefined : kept.leaseUntil,
        slot,
      });
      // Not when a claim of this process took the job again meanwhile (its lease had run out).
      if (next && !this.kept.has(job.id)) {
        kept.dueAt = next.dueAt;
        kept.leaseUntil = next.leaseUntil;
        kept.polledAt = polledAt;
        this.keep(kept);
      }
    } catch (err) {
      if (err instanceof HandedBack) this.keep({ ...kept, dueAt: Math.min(kept.dueAt, Date.now()) });
      else this.deps.log.error({ err, job: job.id }, 'poll crashed; the job returns when its lease ends');
    } finally {
      this.polling.delete(job.id);
      this.news.delete(job.id);
    }
    if (this.pollAgain.delete(job.id)) {
      await this.pollNow(job.id, job.channel_id ?? undefined).catch((err: unknown) =>
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

/** How long callbacks' claims gather before they commit together (a few ms against a one-second target). */
const newsClaimWindowMs = 2;

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
