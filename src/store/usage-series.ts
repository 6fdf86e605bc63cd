/** Spend and task counts over time: one row per time bucket and group (model, key or channel), for charts. */
import { sql } from 'kysely';
import type { Database } from './db.js';
import type { UsageGrouping } from './billing.js';

export const bucketMs = { hour: 3_600_000, day: 86_400_000 } as const;
export type UsageBucket = keyof typeof bucketMs;

export interface UsageSeriesFilter {
  from: number;
  to: number;
  groupBy: UsageGrouping;
  bucket: UsageBucket;
  userId?: string;
  keyId?: string;
}

export interface UsagePoint {
  /** Unix ms: the bucket's start (UTC). */
  start: number;
  group: string | null;
  tasks: number;
  /** Micro-units charged (ended tasks). */
  cost: number;
}

export async function usageSeries(database: Database, filter: UsageSeriesFilter): Promise<UsagePoint[]> {
  const width = sql.lit(bucketMs[filter.bucket]);
  // Integer division on both databases: the columns are integers and so is the literal.
  const start = sql<number>`(tasks.created_at / ${width}) * ${width}`;
  let query = database.db
    .selectFrom('tasks')
    .leftJoin('task_jobs', 'task_jobs.task_id', 'tasks.id')
    .where('tasks.created_at', '>=', filter.from)
    .where('tasks.created_at', '<', filter.to);
  if (filter.userId) query = query.where('tasks.user_id', '=', filter.userId);
  if (filter.keyId) query = query.where('tasks.key_id', '=', filter.keyId);
  const group = {
    model: sql<string | null>`tasks.model`,
    key: sql<string | null>`tasks.key_id`,
    channel: sql<string | null>`task_jobs.channel_id`,
  }[filter.groupBy];
  const rows = await query
    .select((eb) => [
      start.as('start'),
      group.as('group'),
      eb.fn.count<number>('tasks.id').distinct().as('tasks'),
      // By channel, each job's own cost; otherwise the task's (counted once, not once per job).
      (filter.groupBy === 'channel'
        ? sql<number>`coalesce(sum(task_jobs.cost), 0)`
        : sql<number>`coalesce(sum(case when task_jobs.position = 0 then tasks.cost else 0 end), 0)`
      ).as('cost'),
    ])
    .groupBy([start, group])
    .orderBy(start)
    .execute();
  return rows.map((row) => ({
    start: Number(row.start),
    group: row.group,
    tasks: Number(row.tasks),
    cost: Number(row.cost),
  }));
}
