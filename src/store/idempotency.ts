/** Idempotency keys: a client's key maps to the task its first request created, for 24 hours. */
import type { Database } from './db.js';
import type { IdempotencyKeysTable } from './schema.js';

export const idempotencyWindowMs = 24 * 3600 * 1000;

export async function findIdempotencyKey(
  database: Database,
  userId: string,
  key: string,
  now: number,
): Promise<IdempotencyKeysTable | undefined> {
  return database.db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('user_id', '=', userId)
    .where('key', '=', key)
    .where('created_at', '>', now - idempotencyWindowMs)
    .executeTakeFirst();
}

/** Records the key with its task, inside the task's own transaction; a concurrent twin fails on the primary key. */
export async function recordIdempotencyKey(trx: Database, row: IdempotencyKeysTable): Promise<void> {
  await trx.db
    .deleteFrom('idempotency_keys')
    .where('user_id', '=', row.user_id)
    .where('key', '=', row.key)
    .where('created_at', '<=', row.created_at - idempotencyWindowMs)
    .execute();
  await trx.db.insertInto('idempotency_keys').values(row).execute();
}

/** Frees a key whose request was not accepted (it failed before any job started), so the client may retry with it. */
export async function releaseIdempotencyKey(
  database: Database,
  userId: string,
  key: string,
  taskId: string,
): Promise<void> {
  await database.db
    .deleteFrom('idempotency_keys')
    .where('user_id', '=', userId)
    .where('key', '=', key)
    .where('task_id', '=', taskId)
    .execute();
}
