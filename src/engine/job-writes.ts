/**
 * The engine's writes of a job it holds under a lease: a poll's write-back (reschedule) and a job's end. Writes
 * made within `writeWindowMs` of each other share one transaction (on PostgreSQL, ends keep one each).
 */
import { announceChanges } from '../store/change-feed.js';
import type { Database } from '../store/db.js';
import {
  eachInOneTransaction,
  endJob,
  endJobIn,
  rescheduleJobIn,
  type EndedTask,
  type JobEnd,
  type JobReschedule,
  type LeasedEnd,
} from '../store/tasks.js';
import type { TaskJobRow } from '../store/schema.js';
import type { EngineDeps } from './deps.js';
import { meterTaskEnd } from './task-metrics.js';
import { TurnBatch } from './turn-batch.js';

/**
 * How long the poller's writes gather before they commit together: a commit costs more than the small writes in
 * it, and one turn of the event loop holds too few of them (docs/benchmarks.md). Polls wait outside their slot.
 */
const writeWindowMs = 2;

export class JobWrites {
  private readonly reschedules: TurnBatch<JobReschedule, boolean>;
  private readonly ends: TurnBatch<LeasedEnd, EndedTask | null>;
  private readonly moves: TurnBatch<string, null>;

  constructor(private readonly deps: EngineDeps) {
    const { database } = deps;
    this.reschedules = new TurnBatch(
      (updates) => eachInOneTransaction(database, updates, (trx, update) => rescheduleJobIn(trx, update)),
      writeWindowMs,
    );
    this.ends = new TurnBatch((ends) => endTogether(database, ends), writeWindowMs);
    this.moves = new TurnBatch(async (taskIds) => {
      await announceChanges(database, 'task_state', [...new Set(taskIds)]);
      return taskIds.map(() => ({ status: 'fulfilled', value: null }));
    }, writeWindowMs);
  }

  /**
   * Tells the task's watchers (event streams, waiting requests, on any instance) that what they show moved: sent
   * to a vendor, queued, started, progress, ended. A lost notice only delays a watcher until its re-check, so a
   * failure here is not the job's.
   */
  announceMove(taskId: string): void {
    this.moves.add(taskId).catch((err: unknown) => this.deps.log.warn({ err }, 'task change notice failed'));
  }

  /** A poll's write-back; false when the lease was lost (another poller has the job now). */
  reschedule(update: JobReschedule): Promise<boolean> {
    return this.reschedules.add(update);
  }

  /** Ends a job held by `leaseToken` (and its task, when it was the last open job); then sends what is owed. */
  async end(job: Pick<TaskJobRow, 'id' | 'task_id'>, leaseToken: string, end: JobEnd): Promise<void> {
    const ended = await this.ends.add({ job, leaseToken, end, now: Date.now() });
    // Told after the commit, with the other ends of the moment (store/tasks.ts endJobIn).
    this.announceMove(job.task_id);
    if (ended) {
      meterTaskEnd(this.deps, ended);
      this.deps.log.info({ task: job.task_id, status: ended.status }, 'task ended');
      if (ended.webhookQueued) this.deps.onWebhookQueued();
    }
  }
}

/**
 * Several ends at once: in one transaction where one writer serves one instance; one transaction each where
 * several instances end jobs (ends lock tasks and users: short transactions keep them free of deadlocks).
 */
function endTogether(database: Database, ends: LeasedEnd[]) {
  return database.capabilities.severalWriters
    ? Promise.allSettled(ends.map((end) => endJob(database, end)))
    : eachInOneTransaction(database, ends, (trx, end) => endJobIn(trx, end));
}
