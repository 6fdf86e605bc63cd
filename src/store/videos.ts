/** Queries of the OpenAI-compatible surface and of content retention: listing, soft deletion, expired content. */
import { announceChange } from './change-feed.js';
import type { Database } from './db.js';
import { precompiled } from './precompiled.js';
import type { TaskJobRow } from './schema.js';
import { withJobs } from './task-list.js';
import type { TaskWithJobs } from './tasks.js';

export interface TaskListQuery {
  userId: string;
  /** The id of the last task of the previous page. */
  after: string | null;
  limit: number;
  order: 'asc' | 'desc';
}

export type TaskListPage =
  { kind: 'page'; tasks: TaskWithJobs[]; hasMore: boolean } | { kind: 'unknown_cursor' };

/**
 * One page of the user's tasks by creation time (id breaks ties), deleted ones left out. The cursor may name a
 * task deleted since the previous page: it still marks a place in the order.
 */
export async function listTasksForUser(database: Database, query: TaskListQuery): Promise<TaskListPage> {
  const forward = query.order === 'asc';
  let select = database.db
    .selectFrom('tasks')
    .selectAll()
    .where('user_id', '=', query.userId)
    .where('deleted_at', 'is', null);
  if (query.after !== null) {
    const cursor = await database.db
      .selectFrom('tasks')
      .select(['id', 'created_at'])
      .where('id', '=', query.after)
      .where('user_id', '=', query.userId)
      .executeTakeFirst();
    if (!cursor) return { kind: 'unknown_cursor' };
    const beyond = forward ? '>' : '<';
    select = select.where((eb) =>
      eb.or([
        eb('created_at', beyond, cursor.created_at),
        eb.and([eb('created_at', '=', cursor.created_at), eb('id', beyond, cursor.id)]),
      ]),
    );
  }
  const direction = forward ? 'asc' : 'desc';
  const rows = await select
    .orderBy('created_at', direction)
    .orderBy('id', direction)
    .limit(query.limit + 1)
    .execute();
  const tasks = rows.slice(0, query.limit);
  return {
    kind: 'page',
    tasks: await withJobs(database, tasks),
    hasMore: rows.length > query.limit,
  };
}

/** Marks the task deleted; false when it was already gone. */
export async function softDeleteTask(
  database: Database,
  taskId: string,
  userId: string,
  now: number,
): Promise<boolean> {
  const result = await database.db
    .updateTable('tasks')
    .set({ deleted_at: now, updated_at: now })
    .where('id', '=', taskId)
    .where('user_id', '=', userId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) return false;
  await announceChange(database, 'task', taskId);
  return true;
}

/** Jobs holding stored content whose retention has run out, oldest first. */
export async function jobsWithExpiredContent(
  database: Database,
  now: number,
  limit: number,
): Promise<TaskJobRow[]> {
  return database.db
    .selectFrom('task_jobs')
    .selectAll()
    .where('hosted_content', 'is not', null)
    .where('content_expires_at', '<=', now)
    .orderBy('content_expires_at')
    .limit(limit)
    .execute();
}

/**
 * Forgets the stored content of these ended jobs (its files are gone), and any copy not made yet: a copy under
 * way loses its lease and throws its files away. content_expires_at stays, to say why.
 */
export async function forgetHostedContent(database: Database, jobIds: string[], now: number): Promise<void> {
  if (jobIds.length === 0) return;
  await database.db
    .updateTable('task_jobs')
    .set({ hosted_content: null, copy_due_at: null, lease_token: null, updated_at: now })
    .where('id', 'in', jobIds)
    .where('state', 'in', ['succeeded', 'failed'])
    .execute();
}

/** What a copy came to: every column it writes (a failed attempt keeps the job's own values for the rest). */
export interface CopyRecord {
  jobId: string;
  leaseToken: string;
  hosted_content: string | null;
  content_expires_at: number | null;
  /** When to try again; null when done (copied, or given up). */
  copy_due_at: number | null;
  rehost_attempts: number;
  now: number;
}

/**
 * Writes what a copy came to, if the copier still holds the job; on a connection or in a transaction (see
 * eachInOneTransaction). False when the copier lost the job (its task was deleted meanwhile).
 */
export async function recordCopy(database: Database, record: CopyRecord): Promise<boolean> {
  return copyRecord.changed(database, record);
}

const copyRecord = precompiled((db, v: CopyRecord) =>
  db
    .updateTable('task_jobs')
    .set({
      hosted_content: v.hosted_content,
      content_expires_at: v.content_expires_at,
      copy_due_at: v.copy_due_at,
      rehost_attempts: v.rehost_attempts,
      lease_token: null,
      updated_at: v.now,
    })
    .where('id', '=', v.jobId)
    .where('lease_token', '=', v.leaseToken)
    .where('copy_due_at', 'is not', null),
);
