/**
 * A key's own limits, checked in the transaction that saves a task: submits in any 60 seconds (`rpm`) and tasks
 * processing at once (`max_concurrent_tasks`). The counts come from the tasks table, and on PostgreSQL the key's row
 * is locked first, so instances sharing the database enforce one limit together.
 */
import { RateLimitError } from '../errors.js';
import type { Database } from './db.js';

export const rateWindowMs = 60_000;

export type KeyLimitVerdict =
  | { kind: 'ok' }
  | { kind: 'rpm'; limit: number; retryAfterMs: number }
  | { kind: 'concurrency'; limit: number };

export async function checkKeyLimits(trx: Database, keyId: string, now: number): Promise<KeyLimitVerdict> {
  const limitsOf = () =>
    trx.db.selectFrom('api_keys').select(['rpm', 'max_concurrent_tasks']).where('id', '=', keyId);
  let limits = await limitsOf().executeTakeFirst();
  if (!limits || (limits.rpm === null && limits.max_concurrent_tasks === null)) return { kind: 'ok' };
  // Only keys with limits pay for the lock: submits of one key wait for each other, across instances.
  if (trx.capabilities.severalWriters) limits = await limitsOf().forUpdate().executeTakeFirst();
  if (!limits) return { kind: 'ok' };

  if (limits.max_concurrent_tasks !== null) {
    const { running } = await trx.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<number>().as('running'))
      .where('key_id', '=', keyId)
      .where('status', '=', 'processing')
      .executeTakeFirstOrThrow();
    if (Number(running) >= limits.max_concurrent_tasks)
      return { kind: 'concurrency', limit: limits.max_concurrent_tasks };
  }
  if (limits.rpm !== null) {
    const recent = await trx.db
      .selectFrom('tasks')
      .select('created_at')
      .where('key_id', '=', keyId)
      .where('created_at', '>', now - rateWindowMs)
      .orderBy('created_at', 'desc')
      .limit(limits.rpm)
      .execute();
    if (recent.length >= limits.rpm) {
      // The window frees a place when the oldest of the last `rpm` submits leaves it.
      const oldest = recent[recent.length - 1]!.created_at;
      return { kind: 'rpm', limit: limits.rpm, retryAfterMs: oldest + rateWindowMs - now };
    }
  }
  return { kind: 'ok' };
}

/** A verdict that refuses, as the client's 429. */
export function keyLimitError(verdict: Exclude<KeyLimitVerdict, { kind: 'ok' }>): RateLimitError {
  return verdict.kind === 'rpm'
    ? new RateLimitError(
        `This API key may submit ${verdict.limit} tasks per minute; try again shortly`,
        Math.max(1, Math.ceil(verdict.retryAfterMs / 1000)),
        'key_rate_limited',
      )
    : new RateLimitError(
        `This API key may have ${verdict.limit} tasks processing at once; wait for one to end`,
        concurrencyRetrySeconds,
        'key_concurrency_limited',
      );
}

/** When a key at its concurrency limit should ask again: a task's end cannot be foreseen. */
const concurrencyRetrySeconds = 5;
