/**
 * The webhook outbox and its attempts, and each API key's webhook settings. A delivery is written in the
 * transaction that ends its task, so a task never ends without its webhook being owed; every change to a
 * delivery is a compare-and-set on the sender's lease token, as with jobs.
 */
import { newId } from '../security/secrets.js';
import type { Database } from './db.js';
import type { WebhookAttemptRow, WebhookDeliveryRow } from './schema.js';

/**
 * Owes a task's webhook to `url` (the task's own callback_url, else its key's webhook_url). Called inside the
 * transaction that ends the task.
 */
export async function queueTaskWebhook(
  trx: Database,
  target: { taskId: string; keyId: string; url: string },
  now: number,
): Promise<void> {
  await trx.db
    .insertInto('webhook_deliveries')
    .values({
      id: newId('msg'),
      task_id: target.taskId,
      key_id: target.keyId,
      url: target.url,
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      lease_token: null,
      last_error: null,
      created_at: now,
      updated_at: now,
      delivered_at: null,
    })
    .execute();
}

/** What an attempt decided: delivered, retry at a time, or given up. */
export type DeliveryNext =
  { status: 'delivered' } | { status: 'pending'; nextAttemptAt: number } | { status: 'failed' };

/** Records one attempt and its consequence, if the delivery is still ours. */
export async function recordAttempt(
  database: Database,
  delivery: WebhookDeliveryRow,
  leaseToken: string,
  attempt: WebhookAttemptRow,
  next: DeliveryNext,
  now: number,
): Promise<boolean> {
  return database.db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('webhook_deliveries')
      .set({
        status: next.status,
        attempts: attempt.attempt,
        next_attempt_at: next.status === 'pending' ? next.nextAttemptAt : now,
        lease_token: null,
        last_error: attempt.error,
        updated_at: now,
        delivered_at: next.status === 'delivered' ? now : null,
      })
      .where('id', '=', delivery.id)
      .where('lease_token', '=', leaseToken)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (updated.numUpdatedRows === 0n) return false;
    await trx.insertInto('webhook_attempts').values(attempt).execute();
    return true;
  });
}

export interface DeliveryWithAttempts {
  delivery: WebhookDeliveryRow;
  attempts: WebhookAttemptRow[];
}

export async function deliveriesOfTask(database: Database, taskId: string): Promise<DeliveryWithAttempts[]> {
  const deliveries = await database.db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('task_id', '=', taskId)
    .orderBy('created_at')
    .execute();
  if (deliveries.length === 0) return [];
  const attempts = await database.db
    .selectFrom('webhook_attempts')
    .selectAll()
    .where(
      'delivery_id',
      'in',
      deliveries.map((d) => d.id),
    )
    .orderBy('attempt')
    .execute();
  return deliveries.map((delivery) => ({
    delivery,
    attempts: attempts.filter((a) => a.delivery_id === delivery.id),
  }));
}

/** The key's sealed signing secret, or null when it has none yet. */
export async function findWebhookSecret(database: Database, keyId: string): Promise<string | null> {
  const row = await database.db
    .selectFrom('api_keys')
    .select('webhook_secret')
    .where('id', '=', keyId)
    .executeTakeFirst();
  return row?.webhook_secret ?? null;
}

/** Gives a key its first secret; false when it already had one (another sender was first). */
export async function setFirstWebhookSecret(
  database: Database,
  keyId: string,
  sealed: string,
): Promise<boolean> {
  const result = await database.db
    .updateTable('api_keys')
    .set({ webhook_secret: sealed })
    .where('id', '=', keyId)
    .where('webhook_secret', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
