/**
 * What is still owed, counted for metrics at scrape time: each count reads a partial index (only the rows still
 * owed are in it), so it stays cheap however many tasks have ended.
 */
import { sql } from 'kysely';
import type { Database } from './db.js';

/** Webhook deliveries still pending (index webhook_deliveries_due). */
export async function pendingDeliveries(database: Database): Promise<number> {
  const row = await database.db
    .selectFrom('webhook_deliveries')
    .select(sql<number>`count(*)`.as('count'))
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Succeeded jobs whose result is still to be copied into storage (index task_jobs_copy_due). */
export async function pendingCopies(database: Database): Promise<number> {
  const row = await database.db
    .selectFrom('task_jobs')
    .select(sql<number>`count(*)`.as('count'))
    .where('copy_due_at', 'is not', null)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
