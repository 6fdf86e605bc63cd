/** The operator's view of tasks: every user's, newest first, filtered, a page at a time. */
import type { Database } from './db.js';
import type { TaskRow, TaskStatus } from './schema.js';
import type { TaskWithJobs } from './tasks.js';

export interface TaskFilter {
  status?: TaskStatus;
  model?: string;
  userId?: string;
  keyId?: string;
  /** Tasks with a generation sent to this channel. */
  channelId?: string;
  /** The id of the last task of the previous page. */
  before?: string;
  limit: number;
}

export type TaskPage = { kind: 'page'; tasks: TaskWithJobs[]; hasMore: boolean } | { kind: 'unknown_cursor' };

export async function listTasks(database: Database, filter: TaskFilter): Promise<TaskPage> {
  let select = database.db.selectFrom('tasks').selectAll();
  if (filter.status) select = select.where('status', '=', filter.status);
  if (filter.model) select = select.where('model', '=', filter.model);
  if (filter.userId) select = select.where('user_id', '=', filter.userId);
  if (filter.keyId) select = select.where('key_id', '=', filter.keyId);
  if (filter.channelId) {
    const onChannel = database.db
      .selectFrom('task_jobs')
      .select('task_id')
      .where('channel_id', '=', filter.channelId);
    select = select.where('id', 'in', onChannel);
  }
  if (filter.before) {
    const cursor = await database.db
      .selectFrom('tasks')
      .select(['id', 'created_at'])
      .where('id', '=', filter.before)
      .executeTakeFirst();
    if (!cursor) return { kind: 'unknown_cursor' };
    select = select.where((eb) =>
      eb.or([
        eb('created_at', '<', cursor.created_at),
        eb.and([eb('created_at', '=', cursor.created_at), eb('id', '<', cursor.id)]),
      ]),
    );
  }
  const rows = await select
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  const tasks = rows.slice(0, filter.limit);
  return { kind: 'page', tasks: await withJobs(database, tasks), hasMore: rows.length > filter.limit };
}

/** The tasks with their jobs, in one query. */
export async function withJobs(database: Database, tasks: TaskRow[]): Promise<TaskWithJobs[]> {
  if (tasks.length === 0) return [];
  const jobs = await database.db
    .selectFrom('task_jobs')
    .selectAll()
    .where(
      'task_id',
      'in',
      tasks.map((t) => t.id),
    )
    .orderBy('position')
    .execute();
  return tasks.map((task) => ({ task, jobs: jobs.filter((j) => j.task_id === task.id) }));
}
