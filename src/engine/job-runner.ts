/**
 * Moves one job forward by talking to its vendor: submit with failover (job-submit.ts), poll and recovery
 * (job-poll.ts), each vendor call guarded by the channel's limits and health (vendor-call.ts), every write a
 * compare-and-set on the job's lease (job-writes.ts).
 */
import { JobCanceller, type CancelResult } from './job-cancel.js';
import { CompletionTimes } from './completion-times.js';
import type { EngineDeps } from './deps.js';
import { JobPolls, type NextPoll, type OpenJob, type PollOptions } from './job-poll.js';
import { JobSubmitter, type SubmitResult } from './job-submit.js';
import { JobWrites } from './job-writes.js';
import { VendorCaller } from './vendor-call.js';
import type { TaskJobRow } from '../store/schema.js';
import type { Channel } from '../channels/directory.js';
import type { VideoRequest } from '../tasks/video-request.js';
import type { TaskWithJobs } from '../store/tasks.js';

export class JobRunner {
  private readonly submitter: JobSubmitter;
  private readonly polls: JobPolls;
  private readonly canceller: JobCanceller;

  constructor(deps: EngineDeps) {
    const vendor = new VendorCaller(deps);
    const writes = new JobWrites(deps);
    // How soon jobs end, per channel and model: young jobs wait for the fastest end seen before their polls.
    const completions = new CompletionTimes();
    this.submitter = new JobSubmitter(deps, vendor, writes, completions);
    this.polls = new JobPolls(deps, vendor, writes, completions, this.submitter);
    this.canceller = new JobCanceller(deps, vendor);
  }

  submit(
    job: Pick<TaskJobRow, 'id' | 'task_id' | 'channel_id'>,
    leaseToken: string,
    request: VideoRequest,
    candidates: Channel[],
  ): Promise<SubmitResult> {
    return this.submitter.submit(job, leaseToken, request, candidates);
  }

  poll(job: OpenJob, leaseToken: string, options?: PollOptions): Promise<NextPoll | null> {
    return this.polls.poll(job, leaseToken, options);
  }

  /** Cancels a task's open jobs: at once when not yet sent, at the vendor when sent (job-cancel.ts). */
  cancel(task: TaskWithJobs): Promise<CancelResult> {
    return this.canceller.cancel(task);
  }

  backoffMs(attempts: number): number {
    return this.polls.backoffMs(attempts);
  }
}
