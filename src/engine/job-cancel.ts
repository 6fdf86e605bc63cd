/**
 * Cancelling a task at its owner's request: jobs not yet sent to a vendor end at once; a job at a vendor is
 * cancelled there first (adapters with prepareCancel/readCancel), and ends only when the vendor confirms. Where a
 * vendor cannot cancel, nothing changes and the reason is given. Every end goes through store/task-cancel.ts,
 * which takes the job's lease from whoever holds it, on any instance.
 */
import type { Channel } from '../channels/directory.js';
import { endJobAsCancelled } from '../store/task-cancel.js';
import { meterTaskEnd } from './task-metrics.js';
import { openJobStates, type TaskWithJobs } from '../store/tasks.js';
import type { TaskJobRow } from '../store/schema.js';
import type { CancelOutcome, VendorAdapter } from '../vendors/adapter.js';
import type { EngineDeps } from './deps.js';
import { requireAdapter, type CallTrouble, type VendorCaller } from './vendor-call.js';

export type CancelResult =
  | { kind: 'cancelled' }
  /** The task goes on: the reason, in words for the client. */
  | { kind: 'not_possible'; reason: string }
  /** The vendor could not be asked now (transient trouble); nothing changed at Reelay. */
  | { kind: 'trouble'; message: string };

/** A job at a vendor, with what asking that vendor to cancel it needs. */
interface SentJob {
  job: TaskJobRow;
  channel: Channel;
  adapter: VendorAdapter<unknown>;
}

/** Asks a vendor to cancel one of its jobs; a vendor without a cancel call answers not_cancellable. */
export async function cancelAtVendor(
  vendor: VendorCaller,
  adapter: VendorAdapter<unknown>,
  channel: Channel,
  upstreamTaskId: string,
  pollContext: Record<string, string>,
): Promise<CancelOutcome | CallTrouble> {
  if (!adapter.prepareCancel || !adapter.readCancel) {
    return {
      kind: 'not_cancellable',
      reason: `${channel.vendor} offers no way to cancel a video once it is sent`,
    };
  }
  const read = adapter.readCancel.bind(adapter);
  return vendor.call(adapter, channel, adapter.prepareCancel(upstreamTaskId, pollContext), read, {
    kind: 'cancel',
  });
}

export class JobCanceller {
  constructor(
    private readonly deps: EngineDeps,
    private readonly vendor: VendorCaller,
  ) {}

  async cancel({ jobs }: TaskWithJobs): Promise<CancelResult> {
    const open = jobs.filter((job) => openJobStates.includes(job.state));
    const notSent = open.filter((job) => job.upstream_task_id === null);
    const sent: SentJob[] = [];
    // Every vendor must be able to cancel before anything is cancelled: a task is stopped whole or not at all.
    for (const job of open) {
      if (job.upstream_task_id === null) continue;
      const channel = job.channel_id ? await this.deps.channels.get(job.channel_id) : undefined;
      if (!channel) return { kind: 'not_possible', reason: 'the channel running it no longer exists' };
      const adapter = requireAdapter(channel.vendor);
      if (!adapter.prepareCancel || !adapter.readCancel) {
        return {
          kind: 'not_possible',
          reason: `${channel.vendor} offers no way to cancel a video once it is sent`,
        };
      }
      sent.push({ job, channel, adapter });
    }
    for (const job of notSent) await this.end(job, 'before it was sent to a vendor');
    for (const { job, channel, adapter } of sent) {
      const pollContext = JSON.parse(job.poll_context ?? '{}') as Record<string, string>;
      const outcome = await cancelAtVendor(this.vendor, adapter, channel, job.upstream_task_id!, pollContext);
      switch (outcome.kind) {
        case 'cancelled':
          await this.end(job, `at ${channel.vendor}`);
          break;
        case 'not_cancellable':
          return { kind: 'not_possible', reason: outcome.reason };
        default:
          return { kind: 'trouble', message: outcome.message };
      }
    }
    return { kind: 'cancelled' };
  }

  private async end(job: TaskJobRow, where: string): Promise<void> {
    const { task } = await endJobAsCancelled(this.deps.database, job, where);
    if (task) meterTaskEnd(this.deps, task);
    if (task) this.deps.log.info({ task: job.task_id, status: task.status }, 'task cancelled');
    if (task?.webhookQueued) this.deps.onWebhookQueued();
  }
}
