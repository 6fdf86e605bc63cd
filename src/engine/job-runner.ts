/**
 * Moves one job forward by talking to its vendor: submit (with failover across channels), poll, and
 * recovery of a job whose submitter died. Every write is a compare-and-set on the job's lease token.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database } from '../store/db.js';
import type { TaskJobRow } from '../store/schema.js';
import {
  eachInOneTransaction,
  finishJob,
  finishJobIn,
  rescheduleJobIn,
  updateHeldJob,
  type JobReschedule,
  type JobEnd,
  type JobFinish,
  type TaskEnd,
} from '../store/tasks.js';
import {
  maxFollowCalls,
  type PreparedSubmit,
  type SubmitOutcome,
  type VendorAdapter,
  type VendorAnswer,
  type VendorCall,
  type VendorTrouble,
  type VideoFacts,
  type VideoJob,
} from '../vendors/adapter.js';
import { adapterFor } from '../vendors/registry.js';
import { Wire, WireError } from '../vendors/wire.js';
import type { HealthBoard } from '../channels/health.js';
import { ChannelBusyError, type ChannelLimits } from '../channels/limits.js';
import type { Channel, ChannelDirectory } from '../channels/directory.js';
import type { ContentService } from '../content/service.js';
import { InvalidRequestError } from '../errors.js';
import type { VideoRequest } from '../http/generations/request.js';
import { jobFacts } from '../tasks/task.js';
import { CompletionTimes } from './completion-times.js';
import { TurnBatch } from './turn-batch.js';

export interface CoreDeps {
  database: Database;
  channels: ChannelDirectory;
  health: HealthBoard;
  limits: ChannelLimits;

  wire: Wire;
  config: Config;
  log: Logger;
  /** Re-hosting and streaming of results. */
  content: ContentService;
  /** Told when a task that ended left a webhook in the outbox. */
  onWebhookQueued(): void;
  /** Told when a succeeded job's result is due to be copied into storage. */
  onCopyQueued(): void;
  /** Reelay's callback URL for a job, given to vendors that call back; null when PUBLIC_URL is not set. */
  vendorCallbackUrl?(jobId: string): string | null;
}

/** How a submit attempt ended, for the client's answer when no job could start. */
export type SubmitResult =
  { kind: 'accepted' } | Exclude<SubmitOutcome, { kind: 'accepted' }> | { kind: 'busy'; message: string };

/** How a poller runs one poll: what it may keep, and the slot its vendor calls wait for (see Poller). */
export interface PollOptions {
  /** When the caller's lease on the job ends. Given, the job may stay with the caller between polls (see KeptJob). */
  leaseUntil?: number;
  /** Runs a vendor call when the caller's limit allows; the database writes around it do not wait for it. */
  slot?: <T>(call: () => Promise<T>) => Promise<T>;
}

/**
 * A job still running that its poller keeps between polls, under its lease: the job as of this poll (what the
 * database holds may lag in poll_attempts) and when it is due again. Keeping it spares the write-back and the claim
 * that each poll cost otherwise (docs/benchmarks.md).
 */
export interface KeptJob {
  job: PolledJob;
  dueAt: number;
  /** The lease's end: as it was, or renewed when the next poll would have fallen too close to it. */
  leaseUntil: number;
}

/** What polling a job needs of its row: all a poller keeps of a job between polls, 100,000 of them at a time. */
export type PolledJob = Pick<
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
  | 'progress'
  | 'last_error'
  | 'poll_attempts'
  | 'deadline_at'
  | 'created_at'
>;

/** Trouble from a call that got no HTTP answer; `ambiguous` when the vendor may have received it. */
type CallTrouble =
  VendorTrouble | { kind: 'retry_later'; message: string; retryAfterMs?: number; ambiguous: boolean };

export function jobFor(
  request: VideoRequest,
  externalId: string,
  channel: Channel,
  vendorCallbackUrl: string | null = null,
): VideoJob {
  return {
    model: request.model,
    upstreamModel: channel.modelMapping[request.model] ?? request.model,
    prompt: request.prompt,
    durationSeconds: request.durationSeconds,
    fps: request.fps,
    width: request.width,
    height: request.height,
    image: request.image,
    seed: request.seed,
    metadata: request.metadata,
    externalId,
    vendorCallbackUrl,
  };
}

export function requireAdapter(vendor: string): VendorAdapter<unknown> {
  const adapter = adapterFor(vendor);
  if (!adapter) throw new Error(`no adapter for vendor ${vendor}`);
  return adapter;
}

/** The channels to try for a request, in order; a remix can only run where its source video lives. */
export async function candidatesFor(channels: ChannelDirectory, request: VideoRequest): Promise<Channel[]> {
  const candidates = await channels.candidates(request.model);
  return request.remix ? candidates.filter((c) => c.id === request.remix!.channelId) : candidates;
}

/** The vendor call for a job: a remix of an earlier video when the request is one, else a plain submit. */
export function prepareJob(
  adapter: VendorAdapter<unknown>,
  request: VideoRequest,
  job: VideoJob,
): PreparedSubmit {
  if (!request.remix) return adapter.prepareSubmit(job);
  if (!adapter.prepareRemix) {
    throw new InvalidRequestError(
      `Videos made with ${request.model} cannot be remixed`,
      'video_id',
      'remix_not_supported',
    );
  }
  return adapter.prepareRemix(job, request.remix.upstreamTaskId);
}

export class JobRunner {
  /** Polls that end within writeWindowMs of each other write back in one transaction, */
  private readonly reschedules: TurnBatch<JobReschedule, boolean>;
  /** and, on SQLite, end theirs in one transaction too. */
  private readonly ends: TurnBatch<JobFinish, TaskEnd | null>;
  /** How soon jobs end, per channel and model: young jobs wait for the fastest end seen before their polls. */
  private readonly completions = new CompletionTimes();

  constructor(private readonly deps: CoreDeps) {
    const { database } = deps;
    this.reschedules = new TurnBatch(
      (updates) =>
        eachInOneTransaction(database, updates, (trx, update) =>
          rescheduleJobIn(trx, database.dialect, update),
        ),
      writeWindowMs,
    );
    // PostgreSQL serves several instances, whose ends lock tasks and users: one transaction per end keeps
    // those locks short and free of deadlocks between instances.
    this.ends = new TurnBatch(
      (finishes) =>
        database.dialect === 'sqlite'
          ? eachInOneTransaction(database, finishes, (trx, finish) => finishJobIn(trx, 'sqlite', finish))
          : Promise.allSettled(
              finishes.map(({ job, leaseToken, end, now }) => finishJob(database, job, leaseToken, end, now)),
            ),
      writeWindowMs,
    );
  }

  /** Exponential backoff after the nth poll, capped. */
  backoffMs(attempts: number): number {
    const { POLL_INITIAL_DELAY_MS, POLL_BACKOFF_FACTOR, POLL_MAX_DELAY_MS } = this.deps.config;
    return Math.min(POLL_INITIAL_DELAY_MS * POLL_BACKOFF_FACTOR ** attempts, POLL_MAX_DELAY_MS);
  }

  /**
   * Submits a held job to the first channel that takes it, within a bounded number of attempts and a total
   * deadline. Retryable trouble moves on to the next channel; a vendor's rejection (content safety, invalid
   * parameters) ends the job at once. Channels whose circuit is open are skipped.
   */
  async submit(
    job: Pick<TaskJobRow, 'id' | 'task_id' | 'channel_id'>,
    leaseToken: string,
    request: VideoRequest,
    candidates: Channel[],
  ): Promise<SubmitResult> {
    const { SUBMIT_MAX_ATTEMPTS, SUBMIT_DEADLINE_MS } = this.deps.config;
    const deadline = Date.now() + SUBMIT_DEADLINE_MS;
    let trouble: Exclude<SubmitResult, { kind: 'accepted' | 'rejected' }> | null = null;
    let attempts = 0;
    // Channels whose vendor asked them to slow down (429) go last: new jobs go elsewhere while they rest.
    const resting = (c: Channel) => this.deps.limits.pausedUntil(c.id) !== null;
    const ordered = [...candidates.filter((c) => !resting(c)), ...candidates.filter(resting)];
    for (const channel of ordered) {
      if (attempts >= SUBMIT_MAX_ATTEMPTS || Date.now() >= deadline) break;
      if (!this.deps.health.allows(channel.id)) {
        trouble ??= { kind: 'retry_later', message: `${channel.name} is resting after repeated failures` };
        continue;
      }
      const adapter = requireAdapter(channel.vendor);
      let prepared: PreparedSubmit;
      const callbackUrl = this.deps.vendorCallbackUrl?.(job.id) ?? null;
      const vendorJob = jobFor(request, job.id, channel, callbackUrl);
      try {
        prepared = prepareJob(adapter, request, vendorJob);
      } catch (err) {
        // This channel's vendor cannot take the request as asked; another channel's may.
        if (err instanceof InvalidRequestError && channel.id !== candidates[0]!.id) continue;
        throw err;
      }
      if (channel.id !== job.channel_id) {
        const moved = await updateHeldJob(this.deps.database, job.id, leaseToken, {
          channel_id: channel.id,
          upstream_model: vendorJob.upstreamModel,
          poll_context: JSON.stringify(prepared.pollContext),
          facts: JSON.stringify(prepared.expected),
          updated_at: Date.now(),
        });
        if (!moved) return { kind: 'retry_later', message: 'the job was taken over by another worker' };
      }
      attempts++;
      const outcome = await this.submitOnce(adapter, channel, prepared, job.id);
      const log = this.deps.log.child({ job: job.id, channel: channel.id, vendor: channel.vendor });
      switch (outcome.kind) {
        case 'accepted': {
          const now = Date.now();
          const firstPollIn = Math.max(
            this.deps.config.POLL_INITIAL_DELAY_MS,
            this.completions.earliestMs(completionKey(channel.id, vendorJob.upstreamModel)),
          );
          await updateHeldJob(this.deps.database, job.id, leaseToken, {
            state: 'processing',
            upstream_task_id: outcome.upstreamTaskId,
            ...(outcome.pollContext
              ? { poll_context: JSON.stringify({ ...prepared.pollContext, ...outcome.pollContext }) }
              : {}),
            lease_token: null,
            next_poll_at: now + firstPollIn,
            updated_at: now,
          });
          log.info('job submitted');
          return { kind: 'accepted' };
        }
        case 'rejected':
          log.info({ reason: outcome.message }, 'vendor rejected the job');
          await this.end(job, leaseToken, {
            state: 'failed',
            error_code: outcome.code,
            error_message: outcome.message,
          });
          return outcome;
        case 'channel_broken':
          log.error({ reason: outcome.message }, 'channel disabled: the vendor refuses its account');
          await this.deps.channels.disable(channel, outcome.message);
          trouble = outcome;
          break;
        case 'busy':
          log.warn('channel at capacity, trying the next channel');
          trouble = trouble?.kind === 'channel_broken' ? trouble : outcome;
          break;
        case 'retry_later':
          log.warn({ reason: outcome.message }, 'submit failed, trying the next channel');
          trouble = outcome;
          break;
      }
    }
    const reason = trouble?.message ?? 'no channel can take this request';
    await this.end(job, leaseToken, {
      state: 'failed',
      error_code: 'upstream_unavailable',
      error_message: `No upstream could take the job: ${reason}`,
    });
    return trouble ?? { kind: 'retry_later', message: reason };
  }

  /**
   * One submit to one channel. When the call broke after the request may have reached the vendor (a timeout, a
   * reset), asks the vendor by Reelay's id where it can, so that moving on never starts the job twice.
   */
  private async submitOnce(
    adapter: VendorAdapter<unknown>,
    channel: Channel,
    prepared: PreparedSubmit,
    jobId: string,
  ): Promise<SubmitOutcome | { kind: 'busy'; message: string }> {
    let outcome: SubmitOutcome | CallTrouble;
    try {
      outcome = await this.call(adapter, channel, prepared.call, (a) => adapter.readSubmit(a), {
        bounded: true,
      });
    } catch (err) {
      if (err instanceof ChannelBusyError) return { kind: 'busy', message: err.message };
      throw err;
    }
    if (outcome.kind !== 'retry_later' || !('ambiguous' in outcome) || !outcome.ambiguous) return outcome;
    if (!adapter.prepareLookupByExternalId || !adapter.readLookup) return outcome;
    const lookup = await this.call(
      adapter,
      channel,
      adapter.prepareLookupByExternalId(jobId, prepared.pollContext),
      (a) => adapter.readLookup!(a),
    );
    return 'found' in lookup && lookup.found
      ? { kind: 'accepted', upstreamTaskId: lookup.upstreamTaskId }
      : outcome;
  }

  /**
   * One poll of a claimed job; any outcome other than an end reschedules it by its backoff. Given the caller's
   * `leaseUntil`, the job stays with the caller under its lease (see KeptJob); otherwise it is written back for
   * whichever poller is free when it is due.
   */
  async poll(job: PolledJob, leaseToken: string, options: PollOptions = {}): Promise<KeptJob | null> {
    const { leaseUntil, slot } = options;
    const now = Date.now();
    if (now >= job.deadline_at) {
      const minutes = Math.round((job.deadline_at - job.created_at) / 60_000);
      await this.end(job, leaseToken, {
        state: 'failed',
        error_code: 'timeout',
        error_message: `The vendor did not finish the job within ${minutes} minutes`,
      });
      return null;
    }
    if (job.state === 'submitting') return this.recover(job, leaseToken, options);

    const channel = job.channel_id ? await this.deps.channels.get(job.channel_id) : undefined;
    if (!channel || !job.upstream_task_id) {
      await this.end(job, leaseToken, {
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
    const call = adapter.preparePoll(job.upstream_task_id, pollContext);

    let outcome = await this.call(adapter, channel, call, (a) => adapter.readPoll(a, pollContext), { slot });
    for (let follows = 0; outcome.kind === 'follow'; follows++) {
      outcome =
        follows < maxFollowCalls
          ? await this.call(adapter, channel, outcome.call, (a) => adapter.readPoll(a, pollContext), { slot })
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
            progress: outcome.progress ?? (outcome.queued ? 0 : Math.max(job.progress, 10)),
            last_error: null,
          },
          { leaseUntil },
        );
      case 'succeeded': {
        const facts: VideoFacts = { ...jobFacts(job), ...outcome.facts };
        // Succeeded as soon as the vendor says so; the copy into Reelay's storage follows (core/result-copier.ts).
        const copy = this.deps.config.REHOST_CONTENT;
        await this.end(job, leaseToken, {
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
        await this.end(job, leaseToken, {
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
    job: PolledJob,
    leaseToken: string,
    { leaseUntil, slot }: PollOptions,
  ): Promise<KeptJob | null> {
    const log = this.deps.log.child({ job: job.id });
    const channel = job.channel_id ? await this.deps.channels.get(job.channel_id) : undefined;
    const adapter = channel ? requireAdapter(channel.vendor) : undefined;
    if (!channel || !adapter?.prepareLookupByExternalId || !adapter.readLookup) {
      log.warn('job interrupted before the vendor confirmed it; failing it');
      await this.end(job, leaseToken, {
        state: 'failed',
        error_code: 'interrupted',
        error_message:
          'Reelay stopped before the vendor confirmed this job, and this vendor cannot tell whether it started; it was not resubmitted to avoid a duplicate',
      });
      return null;
    }
    const pollContext = JSON.parse(job.poll_context ?? '{}') as Record<string, string>;
    const call = adapter.prepareLookupByExternalId(job.id, pollContext);
    const found = await this.call(adapter, channel, call, (a) => adapter.readLookup!(a), { slot });
    if ('found' in found && found.found) {
      log.info('recovered job: the vendor had it');
      const now = Date.now();
      await updateHeldJob(this.deps.database, job.id, leaseToken, {
        state: 'processing',
        upstream_task_id: found.upstreamTaskId,
        lease_token: null,
        next_poll_at: now,
        updated_at: now,
      });
      return null;
    }
    if ('found' in found) {
      log.info('recovered job: the vendor never saw it; submitting now');
      const task = await this.deps.database.db
        .selectFrom('tasks')
        .select('request')
        .where('id', '=', job.task_id)
        .executeTakeFirstOrThrow();
      const request = JSON.parse(task.request) as VideoRequest;
      const others = (await candidatesFor(this.deps.channels, request)).filter((c) => c.id !== channel.id);
      await this.submit(job, leaseToken, request, [channel, ...others]);
      return null;
    }
    return this.reschedule(job, leaseToken, { last_error: found.message }, { leaseUntil });
  }

  /**
   * Sends a call under the channel's limits and reads it, keeping the channel's health: trouble counts as a
   * failure (a 429 also pauses the channel), any real answer as a success. A call that never got an HTTP answer
   * is trouble worth retrying; `ambiguous` when the vendor may have received it.
   */
  private async call<T extends { kind: string } | { found: boolean }>(
    adapter: VendorAdapter<unknown>,
    channel: Channel,
    call: VendorCall,
    read: (a: VendorAnswer) => T,
    { bounded = false, slot = direct }: { bounded?: boolean; slot?: PollOptions['slot'] } = {},
  ): Promise<T | CallTrouble> {
    let answer: VendorAnswer;
    try {
      answer = await slot(() =>
        this.deps.limits.run(
          channel,
          async () =>
            this.deps.wire.send(
              await adapter.sign(call, channel.baseUrl, channel.credentials, this.deps.wire),
            ),
          bounded,
        ),
      );
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      this.deps.health.recordFailure(channel.id, err.message);
      return { kind: 'retry_later', message: err.message, ambiguous: err.ambiguous };
    }
    const outcome = read(answer);
    if ('kind' in outcome && (outcome.kind === 'retry_later' || outcome.kind === 'channel_broken')) {
      const trouble = outcome as unknown as VendorTrouble;
      this.deps.health.recordFailure(channel.id, trouble.message);
      if (answer.status === 429 || (trouble.kind === 'retry_later' && trouble.retryAfterMs !== undefined)) {
        this.deps.limits.pause(channel, trouble.kind === 'retry_later' ? trouble.retryAfterMs : undefined);
      }
    } else {
      this.deps.health.recordSuccess(channel.id);
    }
    return outcome;
  }

  /**
   * Sets a job's next poll by its backoff. With the caller's `leaseUntil`, the job stays with the caller when that
   * poll can still be made and written back under the lease, renewed if need be: then only what clients see (queued,
   * progress, last error) is written, when it changed, and the lease when renewed. Null when the job was given back,
   * or when its lease was lost (another poller has it now).
   */
  private async reschedule(
    job: PolledJob,
    leaseToken: string,
    changes: { queued?: number; progress?: number; last_error: string | null },
    { notBeforeMs = 0, leaseUntil }: { notBeforeMs?: number; leaseUntil?: number } = {},
  ): Promise<KeptJob | null> {
    const now = Date.now();
    // Not before the fastest job of this model was ever seen to end (core/completion-times.ts).
    const untilFastestEnd =
      this.completions.earliestMs(completionKey(job.channel_id, job.upstream_model)) - (now - job.created_at);
    const dueAt = now + Math.max(this.backoffMs(job.poll_attempts + 1), notBeforeMs, untilFastestEnd);
    const queued = changes.queued ?? job.queued;
    const progress = changes.progress ?? job.progress;
    const seen = queued !== job.queued || progress !== job.progress || changes.last_error !== job.last_error;
    // The job object is the caller's own: it changes in place (100,000 kept jobs, a poll every few seconds each).
    job.queued = queued;
    job.progress = progress;
    job.last_error = changes.last_error;
    job.poll_attempts++;
    const kept = leaseUntil === undefined ? null : this.leaseFor(dueAt, leaseUntil, now);
    if (kept === leaseUntil && !seen) return { job, dueAt, leaseUntil };
    const written = await this.reschedules.add({
      jobId: job.id,
      leaseToken,
      keepLease: kept !== null,
      queued: job.queued,
      progress: job.progress,
      last_error: job.last_error,
      poll_attempts: job.poll_attempts,
      next_poll_at: kept ?? dueAt,
      updated_at: now,
    });
    return kept !== null && written ? { job, dueAt, leaseUntil: kept } : null;
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

  private async end(job: Pick<TaskJobRow, 'id' | 'task_id'>, leaseToken: string, end: JobEnd): Promise<void> {
    const ended = await this.ends.add({ job, leaseToken, end, now: Date.now() });
    if (ended) {
      this.deps.log.info({ task: job.task_id, status: ended.status }, 'task ended');
      if (ended.webhookQueued) this.deps.onWebhookQueued();
    }
  }
}

/**
 * How long the poller's writes gather before they commit together: a commit cost about 90 µs at 100,000 tasks,
 * and one turn of the event loop held only three or four writes. Polls wait for it outside their channel's slot
 * (docs/benchmarks.md).
 */
const writeWindowMs = 2;

const direct = <T>(call: () => Promise<T>) => call();

const completionKey = (channelId: string | null, model: string | null) => `${channelId ?? ''} ${model ?? ''}`;
