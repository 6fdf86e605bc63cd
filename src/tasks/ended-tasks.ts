/**
 * Ended tasks as their owners read them, kept in memory for a short while. Clients poll a task until it ends and
 * then read it again (and SDKs retrieve before downloading): those reads are answered without the database.
 * An ended task whose results are copied into storage changes only when it is deleted (or its content expires):
 * this instance forgets a task it deletes at once, and one deleted on another instance when PostgreSQL's notice
 * arrives (or within `ttlMs`, CACHE_TTL_MS, should it be missed). Running tasks, and those with a copy still to
 * make, are always read afresh.
 */
import { LRUCache } from 'lru-cache';
import type { Database } from '../store/db.js';
import { findTaskForUser, type TaskWithJobs } from '../store/tasks.js';

/** Ended, and no result still to be copied into storage (a copy changes the job). */
const settled = ({ task, jobs }: TaskWithJobs) =>
  task.status !== 'processing' && jobs.every((job) => job.copy_due_at === null);

function approximateBytes({ task, jobs }: TaskWithJobs): number {
  let bytes = 1024 + task.request.length + (task.warnings?.length ?? 0);
  for (const job of jobs) {
    bytes += 512;
    for (const text of [job.poll_context, job.facts, job.hosted_content, job.result_url, job.cover_url])
      bytes += text?.length ?? 0;
  }
  return bytes;
}

export class EndedTasks {
  private readonly cache: LRUCache<string, TaskWithJobs> | null;
  /** The last answer made of each task the cache holds; it goes when the task leaves the cache. */
  private readonly serialized = new WeakMap<TaskWithJobs, { key: string; json: string }>();
  /** Counts forgets: a read that started before one must not be kept (it may predate the delete). */
  private generation = 0;

  constructor(
    private readonly database: Database,
    ttlMs: number,
    maxEntries = 10_000,
  ) {
    this.cache =
      ttlMs > 0
        ? new LRUCache({
            max: maxEntries,
            ttl: ttlMs,
            // A task's stored request carries its images (base64 up to BODY_LIMIT_BYTES): bound the bytes, and
            // leave such tasks to the database.
            maxSize: 32 * 1024 * 1024,
            maxEntrySize: 256 * 1024,
            sizeCalculation: approximateBytes,
          })
        : null;
  }

  /**
   * What memory tells of the user's task: the task; null when the cache holds it for someone else (answered as
   * missing); undefined when the cache does not hold it.
   */
  cachedForUser(taskId: string, userId: string): TaskWithJobs | null | undefined {
    const cached = this.cache?.get(taskId);
    if (!cached) return undefined;
    return cached.task.user_id === userId ? cached : null;
  }

  /** The user's task, unless it is missing, deleted or someone else's (all answered alike by the caller). */
  async findForUser(taskId: string, userId: string): Promise<TaskWithJobs | undefined> {
    const cached = this.cachedForUser(taskId, userId);
    if (cached !== undefined) return cached ?? undefined;
    const generation = this.generation;
    const found = await findTaskForUser(this.database, taskId, userId);
    if (found && settled(found) && generation === this.generation) this.cache?.set(taskId, found);
    return found;
  }

  /**
   * `view(found)` as JSON. An ended task's is made once per `key` (what else it depends on: the surface, the
   * links' base URL and expiry) and kept with the task; a running task's every time.
   */
  serialize(found: TaskWithJobs, key: string, view: (found: TaskWithJobs) => unknown): string {
    if (!settled(found)) return JSON.stringify(view(found));
    const kept = this.serialized.get(found);
    if (kept?.key === key) return kept.json;
    const json = JSON.stringify(view(found));
    this.serialized.set(found, { key, json });
    return json;
  }

  /** After the task was deleted, here or on another instance. */
  forget(taskId: string): void {
    this.generation++;
    this.cache?.delete(taskId);
  }

  /** Announcements may have been missed: read every task afresh. */
  forgetAll(): void {
    this.generation++;
    this.cache?.clear();
  }
}
