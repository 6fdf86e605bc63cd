/**
 * Submitting a job: the first channel that takes it, within a bounded number of attempts and a total deadline,
 * asking the vendor by Reelay's id after an ambiguous failure so that moving on never starts a job twice.
 */
import { ChannelBusyError } from '../channels/limits.js';
import type { Channel, ChannelDirectory } from '../channels/directory.js';
import { InvalidRequestError } from '../errors.js';
import { renewSubmitLease } from '../store/claims.js';
import { updateLeasedJob, upstreamTaskIdOf } from '../store/tasks.js';
import type { TaskJobRow } from '../store/schema.js';
import type { VideoRequest } from '../tasks/video-request.js';
import type { PreparedSubmit, SubmitOutcome, VendorAdapter, VideoJob } from '../vendors/adapter.js';
import { completionKey, type CompletionTimes } from './completion-times.js';
import type { EngineDeps } from './deps.js';
import { cancelAtVendor } from './job-cancel.js';
import type { JobWrites } from './job-writes.js';
import { requireAdapter, type CallTrouble, type VendorCaller } from './vendor-call.js';

/** How a submit attempt ended, for the client's answer when no job could start. */
export type SubmitResult =
  { kind: 'accepted' } | Exclude<SubmitOutcome, { kind: 'accepted' }> | { kind: 'busy'; message: string };

/** The job a channel's vendor receives for a request: the client's model mapped by the channel. */
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

export class JobSubmitter {
  constructor(
    private readonly deps: EngineDeps,
    private readonly vendor: VendorCaller,
    private readonly writes: JobWrites,
    private readonly completions: CompletionTimes,
  ) {}

  /**
   * Submits a leased job to the first channel that takes it. Retryable trouble moves on to the next channel; a
   * vendor's rejection (content safety, invalid parameters) ends the job at once. Channels whose circuit is open
   * are skipped. The lease is renewed for as long as the submit lasts (see holdLease).
   */
  async submit(
    job: Pick<TaskJobRow, 'id' | 'task_id' | 'channel_id'>,
    leaseToken: string,
    request: VideoRequest,
    candidates: Channel[],
  ): Promise<SubmitResult> {
    const release = this.holdLease(job.id, leaseToken);
    try {
      return await this.submitWithFailover(job, leaseToken, request, candidates);
    } finally {
      release();
    }
  }

  /**
   * Renews a submitting job's lease every third of SUBMIT_LEASE_MS until released. A submit may outlast one lease
   * (a slow vendor, a wait for the channel's slot, failover over several channels); were the lease to run out
   * meanwhile, recovery would send the job again while this send is still on its way (a second upstream task, or
   * Kling refusing the repeated external_task_id). A dead instance renews nothing, so its jobs still come back
   * when their lease ends.
   */
  private holdLease(jobId: string, leaseToken: string): () => void {
    const { SUBMIT_LEASE_MS } = this.deps.config;
    const timer = setInterval(() => {
      renewSubmitLease(this.deps.database, jobId, leaseToken, Date.now() + SUBMIT_LEASE_MS).then(
        (held) => {
          if (!held) clearInterval(timer);
        },
        (err: unknown) => this.deps.log.warn({ err, job: jobId }, 'could not renew a submit lease'),
      );
    }, SUBMIT_LEASE_MS / 3);
    timer.unref();
    return () => clearInterval(timer);
  }

  private async submitWithFailover(
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
      const callbackUrl = this.deps.vendorCallbackUrl?.(job.id, channel.id) ?? null;
      const vendorJob = jobFor(request, job.id, channel, callbackUrl);
      try {
        prepared = prepareJob(adapter, request, vendorJob);
      } catch (err) {
        // This channel's vendor cannot take the request as asked; another channel's may.
        if (err instanceof InvalidRequestError && channel.id !== candidates[0]!.id) continue;
        throw err;
      }
      if (channel.id !== job.channel_id) {
        const moved = await updateLeasedJob(this.deps.database, job.id, leaseToken, {
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
          const recorded = await updateLeasedJob(this.deps.database, job.id, leaseToken, {
            state: 'processing',
            upstream_task_id: outcome.upstreamTaskId,
            ...(outcome.pollContext
              ? { poll_context: JSON.stringify({ ...prepared.pollContext, ...outcome.pollContext }) }
              : {}),
            lease_token: null,
            next_poll_at: now + firstPollIn,
            updated_at: now,
          });
          if (!recorded) {
            // Taken over by recovery, which found this very task at the vendor (by Reelay's id): it is followed.
            if ((await upstreamTaskIdOf(this.deps.database, job.id)) === outcome.upstreamTaskId) {
              log.warn({ upstream: outcome.upstreamTaskId }, 'job accepted after another worker adopted it');
              return { kind: 'accepted' };
            }
            // Cancelled (or taken over) while the vendor was accepting it: stop the vendor's job, which no one follows.
            const stopped = await cancelAtVendor(this.vendor, adapter, channel, outcome.upstreamTaskId, {
              ...prepared.pollContext,
              ...outcome.pollContext,
            });
            log.warn(
              { upstream: outcome.upstreamTaskId, cancel: stopped.kind },
              'job accepted after it ended',
            );
            return { kind: 'accepted' };
          }
          log.info('job submitted');
          this.writes.announceMove(job.task_id);
          return { kind: 'accepted' };
        }
        case 'rejected':
          log.info({ reason: outcome.message }, 'vendor rejected the job');
          await this.writes.end(job, leaseToken, {
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
    await this.writes.end(job, leaseToken, {
      state: 'failed',
      error_code: 'upstream_unavailable',
      error_message: `No upstream could take the job: ${reason}`,
    });
    return trouble ?? { kind: 'retry_later', message: reason };
  }

  /**
   * One submit to one channel. When the call broke after the request may have reached the vendor (a timeout, a
   * reset), asks the vendor by Reelay's id where it can, so that moving on never starts the job twice. A refusal
   * is checked the same way: it may be the vendor refusing a job it already has (Kling: external_task_id is
   * unique per account, a second submit with it is refused with 400/1201; reference notes on Kling K1), when an
   * earlier send of this job reached it after all. Then the job is adopted, not failed.
   */
  private async submitOnce(
    adapter: VendorAdapter<unknown>,
    channel: Channel,
    prepared: PreparedSubmit,
    jobId: string,
  ): Promise<SubmitOutcome | { kind: 'busy'; message: string }> {
    let outcome: SubmitOutcome | CallTrouble;
    try {
      outcome = await this.vendor.call(adapter, channel, prepared.call, (a) => adapter.readSubmit(a), {
        bounded: true,
        kind: 'submit',
      });
    } catch (err) {
      if (err instanceof ChannelBusyError) return { kind: 'busy', message: err.message };
      throw err;
    }
    const mayBeKnown =
      outcome.kind === 'rejected' ||
      (outcome.kind === 'retry_later' && 'ambiguous' in outcome && outcome.ambiguous);
    if (!mayBeKnown || !adapter.prepareLookupByExternalId || !adapter.readLookup) return outcome;
    const lookup = await this.vendor.call(
      adapter,
      channel,
      adapter.prepareLookupByExternalId(jobId, prepared.pollContext),
      (a) => adapter.readLookup!(a),
    );
    return 'found' in lookup && lookup.found
      ? { kind: 'accepted', upstreamTaskId: lookup.upstreamTaskId }
      : outcome;
  }
}
