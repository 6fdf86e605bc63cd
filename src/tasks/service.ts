/**
 * What the API surfaces do with tasks, in one place: submit, find the caller's own, list, delete, and read their
 * webhook deliveries. Routes parse and render; this decides and reads (store/ stays below it).
 */
import type { ContentService } from '../content/service.js';
import type { EngineDeps } from '../engine/deps.js';
import type { JobRunner } from '../engine/job-runner.js';
import { channelOfJob } from '../store/tasks.js';
import { findTask, findTaskForUser, type TaskWithJobs } from '../store/tasks.js';
import { listTasksForUser, softDeleteTask, type TaskListQuery } from '../store/videos.js';
import { deliveriesOfTask, type DeliveryWithAttempts } from '../store/webhooks.js';
import type { EndedTasks } from './ended-tasks.js';
import { submitTask, type Caller, type SubmitOptions } from './submit.js';
import { publicTaskIdPattern } from './task.js';
import type { VideoRequest } from './video-request.js';

export class TaskService {
  constructor(
    private readonly deps: EngineDeps,
    private readonly runner: JobRunner,
    private readonly endedTasks: EndedTasks,
    private readonly content: ContentService,
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

  deliveries(taskId: string): Promise<DeliveryWithAttempts[]> {
    return deliveriesOfTask(this.deps.database, taskId);
  }

  /** The channel a job runs on, for the vendor callback route (null before it has one, undefined: no such job). */
  channelOfJob(jobId: string): Promise<string | null | undefined> {
    return channelOfJob(this.deps.database, jobId);
  }
}
