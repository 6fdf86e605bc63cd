/**
 * Polling a job: one poll moves it forward (rescheduled by its backoff, or ended), and a job whose submitter died
 * is recovered (adopted where the vendor knows Reelay's id, submitted where it never saw the job).
 */
import type { TaskJobRow } from '../store/schema.js';
import { findTaskRequest, updateLeasedJob } from '../store/tasks.js';
import { jobFacts } from '../tasks/task.js';
import type { VideoRequest } from '../tasks/video-request.js';
import { maxFollowCalls, type VideoFacts } from '../vendors/adapter.js';
import { completionKey, type CompletionTimes } from './completion-times.js';
import type { EngineDeps } from './deps.js';
import { candidatesFor, type JobSubmitter } from './job-submit.js';
import type { JobWrites } from './job-writes.js';
import { requireAdapter, type Slot, type VendorCaller } from './vendor-call.js';

/** What polling needs of a job not yet ended: all a poller keeps of one between polls, 100,000 at a time. */
export type OpenJob = Pick<
  TaskJobRow,
  | 'id'
  | 'task_id'
  | 'channel_id'
  | 'upstream_model'
  | 'upstream_task_id'
  | 'poll_context'
  | 'facts'
  | 'state'
  | 'queued'
  | 'queue_position'
  | 'progress'
  | 'last_error'
  | 'poll_attempts'
  | 'deadline_at'
  | 'created_at'
>;

/** How a poller runs one poll: what it may keep, and the slot its vendor calls wait for (see Poller). */
export interface PollOptions {
  /** When the caller's lease on the job ends. Given, the job may stay with the caller between polls. */
  leaseUntil?: number;
  /** Runs a vendor call when the caller's limit allows; the database writes around it do not wait for it. */
  slot?: Slot;
}

/** A job still running that stays with its poller until its next poll: when that is due, and the lease's end. */
export interface NextPoll {
  dueAt: number;
  /** The lease's end: as it was, or renewed when the next poll would have fallen too close to it. */
  leaseUntil: number;
}

export class JobPolls {
  constructor(
    private readonly deps: EngineDeps,
    private readonly vendor: VendorCaller,
    private readonly writes: JobWrites,
    private readonly completions: CompletionTimes,
    private readonly submitter: JobSubmitter,
  ) {}

  /** Exponential backoff after the nth poll, capped. */
  backoffMs(attempts: number): number {
    const { POLL_INITIAL_DELAY_MS, POLL_BACKOFF_FACTOR, POLL_MAX_DELAY_MS } = this.deps.config;
    return Math.min(POLL_INITIAL_DELAY_MS * POLL_BACKOFF_FACTOR ** attempts, POLL_MAX_DELAY_MS);
  }

  /**
   * One poll of a leased job; any outcome other than an end reschedules it by its backoff. Given the caller's
   * `leaseUntil`, the job stays with the caller under its lease (NextPoll); otherwise it is written back for
   * whichever poller is free when it is due. `job` changes in place (it is the caller's own).
   */
  async poll(job: OpenJob, leaseToken: string, options: PollOptions = {}): Promise<NextPoll | null> {
    const { leaseUntil, slot } = options;
    const now = Date.now();
    if (now >= job.deadline_at) {
      const minutes = Math.round((job.deadline_at - job.created_at) / 60_000);
      await this.writes.end(job, leaseToken, {
        state: 'failed',
        error_code: 'timeout',
        error_message: `The vendor did not finish the job within ${minutes} minutes`,
      });
      return null;
    }
    if (job.state === 'submitting') return this.recover(job, leaseToken, options);

    const channel = job.channel_id ? await this.deps.channels.get(job.channel_id) : undefined;
    if (!channel || !job.upstream_task_id) {
      await this.writes.end(job, leaseToken, {
        state: 'failed',
        error_code: 'channel_removed',
        error_message: 'The channel running this job was deleted',
      });
      return null;
    }
    if (!this.deps.health.allows(channel.id)) {
      // The channel's circuit is open: leave the vendor alone until its cool-down ends.
      return this.reschedule(
        job,
        leaseToken,
        { last_error: 'channel resting after repeated failures' },
        { notBeforeMs: this.deps.health.waitMs(channel.id), leaseUntil },
      );
    }
    const adapter = requireAdapter(channel.vendor);
    const pollContext = JSON.parse(job.poll_context ?? '{}') as Record<string, string>;
    const read = (call: Parameters<typeof adapter.readPoll>[0]) => adapter.readPoll(call, pollContext);
    const first = adapter.preparePoll(job.upstream_task_id, pollContext);
    let outcome = await this.vendor.call(adapter, channel, first, read, { slot });
    let followedFacts: Partial<VideoFacts> = {};
    for (let follows = 0; outcome.kind === 'follow'; follows++) {
      followedFacts = { ...followedFacts, ...outcome.facts };
      outcome =
        follows < maxFollowCalls
          ? await this.vendor.call(adapter, channel, outcome.call, read, { slot })
          : {
              kind: 'retry_later',
              message: `${channel.vendor}: more than ${maxFollowCalls} calls for one poll`,
            };
    }
    if (outcome.kind === 'succeeded' || outcome.kind === 'failed')
      this.completions.record(completionKey(channel.id, job.upstream_model), Date.now() - job.created_at);
    switch (outcome.kind) {
      case 'processing':
        return this.reschedule(
          job,
          leaseToken,
          {
            queued: outcome.queued ? 1 : 0,
            queue_position: outcome.queued ? (outcome.queuePosition ?? null) : null,
            progress: outcome.progress ?? (outcome.queued ? 0 : Math.max(job.progress, 10)),
            last_error: null,
          },
          { leaseUntil },
        );
      case 'succeeded': {
        const facts: VideoFacts = { ...jobFacts(job), ...followedFacts, ...outcome.facts };
        // Succeeded as soon as the vendor says so; the copy into Reelay's storage follows (result-copier.ts).
        const copy = this.deps.config.REHOST_CONTENT;
        await this.writes.end(job, leaseToken, {
          state: 'succeeded',
          result_url: outcome.url,
          cover_url: outcome.coverUrl,
          facts: JSON.stringify(facts),
          copy_due_at: copy ? Date.now() : null,
        });
        if (copy) this.deps.onCopyQueued();
        return null;
      }
      case 'failed':
        await this.writes.end(job, leaseToken, {
          state: 'failed',
          error_code: outcome.code,
          error_message: outcome.message,
        });
        return null;
      case 'channel_broken':
        this.deps.log.error(
          { job: job.id, channel: channel.id, reason: outcome.message },
          'channel disabled while polling',
        );
        await this.deps.channels.disable(channel, outcome.message);
        return this.reschedule(job, leaseToken, { last_error: outcome.message });
      case 'retry_later':
        this.deps.log.warn(
          { job: job.id, channel: channel.id, reason: outcome.message },
          'poll failed, will retry',
        );
        return this.reschedule(
          job,
          leaseToken,
          { last_error: outcome.message },
          { notBeforeMs: outcome.retryAfterMs, leaseUntil },
        );
    }
  }

  /**
   * A job saved but never confirmed by the vendor (its submitter died): adopt it where the vendor can find it
   * by Reelay's id, submit it where the vendor has never seen it, and fail it where neither can be known.
   */
  private async recover(
    job: OpenJob,
    leaseToken: string,
    { leaseUntil, slot }: PollOptions,
  ): Promise<NextPoll | null> {
    const log = this.deps.log.child({ job: job.id });
    const channel = job.channel_id ? await this.deps.channels.get(job.channel_id) : undefined;
    const adapter = channel ? requireAdapter(channel.vendor) : undefined;
    if (!channel || !adapter?.prepareLookupByExternalId || !adapter.readLookup) {
      log.warn('job interrupted before the vendor confirmed it; failing it');
      await this.writes.end(job, leaseToken, {
        state: 'failed',
        error_code: 'interrupted',
        error_message:
          'Reelay stopped before the vendor confirmed this job, and this vendor cannot tell whether it started; it was not resubmitted to avoid a duplicate',
      });
      return null;
    }
    const pollContext = JSON.parse(job.poll_context ?? '{}') as Record<string, string>;
    const call = adapter.prepareLookupByExternalId(job.id, pollContext);
    const found = await this.vendor.call(adapter, channel, call, (a) => adapter.readLookup!(a), {
      slot,
      kind: 'lookup',
    });
    if ('found' in found && found.found) {
      log.info('recovered job: the vendor had it');
      const now = Date.now();
      await updateLeasedJob(this.deps.database, job.id, leaseToken, {
        state: 'processing',
        upstream_task_id: found.upstreamTaskId,
        lease_token: null,
        next_poll_at: now,
        updated_at: now,
      });
      this.writes.announceMove(job.task_id);
      return null;
    }
    if ('found' in found) {
      log.info('recovered job: the vendor never saw it; submitting now');
      const request = JSON.parse(await findTaskRequest(this.deps.database, job.task_id)) as VideoRequest;
      const others = (await candidatesFor(this.deps.channels, request)).filter((c) => c.id !== channel.id);
      await this.submitter.submit(job, leaseToken, request, [channel, ...others]);
      return null;
    }
    return this.reschedule(job, leaseToken, { last_error: found.message }, { leaseUntil });
  }

  /**
   * Sets a job's next poll by its backoff. With the caller's `leaseUntil`, the job stays with the caller when that
   * poll can still be made and written back under the lease, renewed if need be: then only what clients see (queued,
   * progress, last error) is written, when it changed, and the lease when renewed. Null when the job was given back,
   * or when its lease was lost (another poller has it now).
   */
  private async reschedule(
    job: OpenJob,
    leaseToken: string,
    changes: {
      queued?: number;
      queue_position?: number | null;
      progress?: number;
      last_error: string | null;
    },
    { notBeforeMs = 0, leaseUntil }: { notBeforeMs?: number; leaseUntil?: number } = {},
  ): Promise<NextPoll | null> {
    const now = Date.now();
    // Not before the fastest job of this model was ever seen to end (completion-times.ts).
    const untilFastestEnd =
      this.completions.earliestMs(completionKey(job.channel_id, job.upstream_model)) - (now - job.created_at);
    const dueAt = now + Math.max(this.backoffMs(job.poll_attempts + 1), notBeforeMs, untilFastestEnd);
    const queued = changes.queued ?? job.queued;
    const progress = changes.progress ?? job.progress;
    const queuePosition = changes.queue_position === undefined ? job.queue_position : changes.queue_position;
    const moved = queued !== job.queued || progress !== job.progress || queuePosition !== job.queue_position;
    const seen = moved || changes.last_error !== job.last_error;
    // The job object is the caller's own: it changes in place (100,000 kept jobs, a poll every few seconds each).
    job.queued = queued;
    job.queue_position = queuePosition;
    job.progress = progress;
    job.last_error = changes.last_error;
    job.poll_attempts++;
    const kept = leaseUntil === undefined ? null : this.leaseFor(dueAt, leaseUntil, now);
    if (kept === leaseUntil && !seen) return { dueAt, leaseUntil };
    const written = await this.writes.reschedule({
      jobId: job.id,
      leaseToken,
      keepLease: kept !== null,
      queued: job.queued,
      queue_position: job.queue_position,
      progress: job.progress,
      last_error: job.last_error,
      poll_attempts: job.poll_attempts,
      next_poll_at: kept ?? dueAt,
      updated_at: now,
    });
    if (written && moved) this.writes.announceMove(job.task_id);
    return kept !== null && written ? { dueAt, leaseUntil: kept } : null;
  }

  /**
   * The lease under which a job's poll due at `dueAt` can be made and written back before the lease lets another
   * poller claim it (a poll may take up to the vendor timeout): the current one, a renewed one, or null (give it
   * back: due too far ahead).
   */
  private leaseFor(dueAt: number, leaseUntil: number, now: number): number | null {
    const { VENDOR_TIMEOUT_MS, POLL_LEASE_MS } = this.deps.config;
    const margin = Math.min(VENDOR_TIMEOUT_MS, POLL_LEASE_MS / 2);
    if (dueAt <= leaseUntil - margin) return leaseUntil;
    const renewed = now + POLL_LEASE_MS;
    return dueAt <= renewed - margin ? renewed : null;
  }
}
