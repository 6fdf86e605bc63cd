/**
 * Copies succeeded jobs' results into Reelay's storage after they are marked succeeded, so that a client sees
 * the success as soon as the vendor reports it: copying first delayed every success by the download, and at
 * 100,000 tasks the copies were most of the poller's work (docs/benchmarks.md). Until a copy lands, Reelay's
 * content link streams the video from the vendor. Copies are claimed from the database under a lease, as polls
 * are, so a crash loses none; a failed copy is tried again with backoff up to REHOST_MAX_ATTEMPTS, after which
 * the result stays at the vendor only (the success stands). An object store that is down is waited for: its
 * failures do not use up the attempts, since the vendor still has the file and the store will come back.
 */
import { randomUUID } from 'node:crypto';
import { claimDueCopies } from '../store/claims.js';
import type { TaskJobRow } from '../store/schema.js';
import { eachInOneTransaction } from '../store/tasks.js';
import { recordCopy, type CopyRecord } from '../store/videos.js';
import { copyTimeoutMs, describeFailure } from '../content/service.js';
import { StorageUnavailableError } from '../content/storage/storage.js';
import { ClaimLoop } from './claim-loop.js';
import type { EngineDeps } from './deps.js';
import { TurnBatch } from './turn-batch.js';

interface ClaimedCopy {
  job: TaskJobRow;
  leaseToken: string;
}

/** How long a claimed copy is this copier's before another may take it (a video and a cover, with room). */
const copyLeaseMs = 3 * copyTimeoutMs;
/** How often the copier looks for due copies when nothing woke it. */
const tickMs = 1_000;
/** Polling this late means jobs are waiting to be seen ending: copies then wait (REHOST_MAX_WAIT_MS). */
const pollingLateMs = 500;

export class ResultCopier {
  private readonly loop: ClaimLoop<ClaimedCopy>;
  /** Copies that end in the same turn are recorded in one transaction. */
  private readonly records: TurnBatch<CopyRecord, boolean>;
  /** Copies are waiting for polling to catch up: news of a success need not wake the copier. */
  private waitingForPolls = false;

  /** `pollingLateness`: how late the poller runs (Poller.lateness); copies give way to polls while it is late. */
  constructor(
    private readonly deps: EngineDeps,
    private readonly pollingLateness: () => number = () => 0,
  ) {
    const { database } = deps;
    this.records = new TurnBatch((records) =>
      eachInOneTransaction(database, records, (trx, record) => recordCopy(trx, record)),
    );
    this.loop = new ClaimLoop(
      {
        name: 'copier',
        tickMs,
        capacity: () => this.capacity(),
        claim: (limit) => this.claim(limit),
        handle: ({ job, leaseToken }) => this.copy(job, leaseToken),
      },
      deps.log,
    );
  }

  start(): void {
    this.loop.start();
  }

  /** Looks for due copies now (a job just succeeded), not at the next tick; not while copies wait for polling. */
  wake(): void {
    if (!this.waitingForPolls) this.loop.wake();
  }

  /** Stops claiming and waits for the copies under way to be recorded. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass: claim what is due, up to the free slots, and start copying it. Exposed for tests. */
  tick(): Promise<number> {
    return this.loop.tick();
  }

  /**
   * A copy costs several polls' worth of CPU (download, file, two writes): while polling runs late, copies go
   * one at a time and only once they have waited REHOST_MAX_WAIT_MS, so that the successes of 100,000 tasks
   * become visible first (docs/benchmarks.md). None waits much longer: vendors' URLs last an hour or more.
   */
  private capacity(): number {
    const maxWaitMs = this.deps.config.REHOST_MAX_WAIT_MS;
    this.waitingForPolls = maxWaitMs > 0 && this.pollingLateness() > pollingLateMs;
    return this.waitingForPolls ? 1 : this.deps.config.REHOST_CONCURRENCY;
  }

  private async claim(limit: number): Promise<ClaimedCopy[]> {
    const now = Date.now();
    const leaseToken = randomUUID();
    const jobs = await claimDueCopies(this.deps.database, {
      now: this.waitingForPolls ? now - this.deps.config.REHOST_MAX_WAIT_MS : now,
      limit,
      leaseToken,
      leaseUntil: now + copyLeaseMs,
    });
    return jobs.map((job) => ({ job, leaseToken }));
  }

  private async copy(job: TaskJobRow, leaseToken: string): Promise<void> {
    const { content, config, log } = this.deps;
    const channel = job.channel_id ? await this.deps.channels.get(job.channel_id) : undefined;
    let failure: string;
    let storeDown = false;
    try {
      if (!channel) throw new Error('the channel that made it was deleted');
      const download = () => content.store(job, channel, leaseToken.slice(0, 8));
      const hosted = await this.deps.metrics.timeVendorCall(channel, 'download', download);
      const now = Date.now();
      const recorded = await this.records.add({
        jobId: job.id,
        leaseToken,
        hosted_content: JSON.stringify(hosted),
        content_expires_at: now + Math.round(config.CONTENT_RETENTION_HOURS * 3_600_000),
        copy_due_at: null,
        rehost_attempts: job.rehost_attempts,
        now,
      });
      // The task was deleted meanwhile: nothing may keep its files.
      if (!recorded) await content.deleteFiles(job, hosted);
      return;
    } catch (err) {
      failure = describeFailure(err);
      storeDown = err instanceof StorageUnavailableError;
    }
    // Counted even while the store is down, for the backoff; a vendor whose file expired meanwhile ends it.
    const attempts = job.rehost_attempts + 1;
    const givingUp = (attempts >= config.REHOST_MAX_ATTEMPTS && !storeDown) || !channel;
    if (givingUp) {
      log.warn(
        { job: job.id, attempts, reason: failure },
        'result could not be copied into storage; it stays at the vendor only',
      );
    } else {
      log.warn({ job: job.id, attempts, reason: failure }, 'result not copied yet, will retry');
    }
    const now = Date.now();
    await this.records.add({
      jobId: job.id,
      leaseToken,
      hosted_content: job.hosted_content,
      content_expires_at: job.content_expires_at,
      copy_due_at: givingUp ? null : now + this.backoffMs(attempts),
      rehost_attempts: attempts,
      now,
    });
  }

  /** REHOST_RETRY_MS after the first failure, doubling, at most 5 minutes: vendors' URLs last an hour or more. */
  backoffMs(attempts: number): number {
    return Math.min(this.deps.config.REHOST_RETRY_MS * 2 ** (attempts - 1), 5 * 60_000);
  }
}
