/**
 * What the API surfaces do with tasks, in one place: submit, find the caller's own, list, delete, and read their
 * webhook deliveries. Routes parse and render; this decides and reads (store/ stays below it).
 */
import type { ContentService } from '../content/service.js';
import { ApiError, ServiceUnavailableError } from '../errors.js';
import { cancelledCode } from '../store/task-cancel.js';
import type { EngineDeps } from '../engine/deps.js';
import type { JobRunner } from '../engine/job-runner.js';
import { channelOfJob } from '../store/tasks.js';
import { findTask, findTaskForUser, type TaskWithJobs } from '../store/tasks.js';
import { findIdempotencyKey } from '../store/idempotency.js';
import { listTasksForUser, softDeleteTask, type TaskListQuery } from '../store/videos.js';
import { deliveriesOfTask, type DeliveryWithAttempts } from '../store/webhooks.js';
import type { EndedTasks } from './ended-tasks.js';
import type { TaskChanges } from './task-changes.js';
import { submitTask, type Caller, type SubmitOptions } from './submit.js';
import { publicTaskIdPattern } from './task.js';
import type { VideoRequest } from './video-request.js';

export class TaskService {
  constructor(
    private readonly deps: EngineDeps,
    private readonly runner: JobRunner,
    private readonly endedTasks: EndedTasks,
    private readonly content: ContentService,
    private readonly changes: TaskChanges,
  ) {}

  submit(caller: Caller, request: VideoRequest, options?: SubmitOptions): Promise<TaskWithJobs> {
    return submitTask(this.deps, this.runner, caller, request, options);
  }

  /**
   * The caller's task; someone else's, a deleted one and a missing one are all undefined. `fresh` reads past the
   * ended-task cache (content: a copy into storage may have landed since).
   */
  async findOwn(taskId: string, userId: string, { fresh = false } = {}): Promise<TaskWithJobs | undefined> {
    if (!publicTaskIdPattern.test(taskId)) return undefined;
    return fresh
      ? findTaskForUser(this.deps.database, taskId, userId)
      : this.endedTasks.findForUser(taskId, userId);
  }

  /** The caller's task when memory holds it (an ended task read lately); undefined when only `findOwn` can tell. */
  heldOwn(taskId: string, userId: string): TaskWithJobs | undefined {
    if (!publicTaskIdPattern.test(taskId)) return undefined;
    return this.endedTasks.cachedForUser(taskId, userId) ?? undefined;
  }

  /** The caller's task made by a request with this idempotency key (within the key's 24 hours). */
  async findOwnByIdempotencyKey(key: string, userId: string): Promise<TaskWithJobs | undefined> {
    const earlier = await findIdempotencyKey(this.deps.database, userId, key, Date.now());
    return earlier ? this.findOwn(earlier.task_id, userId) : undefined;
  }

  /** Any user's task that is not deleted (a signed content link names it). */
  async findAny(taskId: string): Promise<TaskWithJobs | undefined> {
    const found = publicTaskIdPattern.test(taskId) ? await findTask(this.deps.database, taskId) : undefined;
    return found?.task.deleted_at === null ? found : undefined;
  }

  listOwn(query: TaskListQuery) {
    return listTasksForUser(this.deps.database, query);
  }

  /** Deletes an ended task of the caller's and its stored content; false when it was not theirs to delete. */
  async deleteOwn({ task, jobs }: TaskWithJobs, userId: string): Promise<boolean> {
    const deleted = await softDeleteTask(this.deps.database, task.id, userId, Date.now());
    this.endedTasks.forget(task.id);
    if (deleted) await this.content.discard(jobs);
    return deleted;
  }

  /** A task's answer as JSON, kept while the task has ended (see EndedTasks.serialize). */
  serialize(found: TaskWithJobs, key: string, view: (found: TaskWithJobs) => unknown): string {
    return this.endedTasks.serialize(found, key, view);
  }

  /**
   * Cancels the caller's task (engine/job-cancel.ts) and answers it as it now is. Cancelling a cancelled task
   * answers it; one that ended otherwise, or that its vendor cannot stop, is a 409 naming why.
   */
  async cancelOwn(found: TaskWithJobs, userId: string): Promise<TaskWithJobs> {
    if (found.task.status !== 'processing') {
      if (found.task.error_code === cancelledCode) return found;
      throw cancelNotPossible(`it has already ended (${found.task.status})`);
    }
    const result = await this.runner.cancel(found);
    if (result.kind === 'not_possible') throw cancelNotPossible(result.reason);
    if (result.kind === 'trouble') {
      throw new ServiceUnavailableError(
        `The vendor could not be asked to cancel the task now (${result.message}); try again`,
        'cancel_unavailable',
      );
    }
    this.endedTasks.forget(found.task.id);
    return (await this.findOwn(found.task.id, userId, { fresh: true })) ?? found;
  }

  /**
   * The caller's task as the database has it, read again each time the change feed says it moved (TaskChanges)
   * and every `intervalMs` in case a notice was missed, until it ends (the last one yielded is the ended task),
   * it is gone, or `signal` aborts. Reading the database, not this process's memory, makes it see what any
   * instance did.
   */
  async *watchOwn(
    taskId: string,
    userId: string,
    { intervalMs, signal }: { intervalMs: number; signal: AbortSignal },
  ): AsyncGenerator<TaskWithJobs> {
    const watch = this.changes.watch(taskId);
    try {
      while (!signal.aborted) {
        const found = await this.findOwn(taskId, userId, { fresh: true });
        if (!found) return;
        yield found;
        if (found.task.status !== 'processing') return;
        await watch.next(intervalMs, signal);
      }
    } finally {
      watch.close();
    }
  }

  deliveries(taskId: string): Promise<DeliveryWithAttempts[]> {
    return deliveriesOfTask(this.deps.database, taskId);
  }

  /** The channel a job runs on, for the vendor callback route (null before it has one, undefined: no such job). */
  channelOfJob(jobId: string): Promise<string | null | undefined> {
    return channelOfJob(this.deps.database, jobId);
  }
}

function cancelNotPossible(reason: string): ApiError {
  return new ApiError(
    409,
    'conflict_error',
    `This task cannot be cancelled: ${reason}`,
    null,
    'cancel_not_possible',
  );
}
