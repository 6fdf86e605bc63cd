/**
 * The schema as of the first release, in one migration (the per-feature migrations before it were squashed: no
 * released database depended on them). Later changes go in migrations numbered after this one.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Money is integer micro-units of the operator's currency; times are Unix milliseconds.
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('balance', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('name', 'text')
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('key_hint', 'text', (c) => c.notNull())
    .addColumn('models', 'text')
    .addColumn('expires_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .addColumn('spend_limit', 'bigint')
    .addColumn('spent', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('webhook_url', 'text')
    .addColumn('webhook_secret', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('api_keys_user').on('api_keys').column('user_id').execute();

  await db.schema
    .createTable('channels')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('vendor', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('base_url', 'text', (c) => c.notNull())
    .addColumn('credentials', 'text', (c) => c.notNull())
    .addColumn('models', 'text', (c) => c.notNull())
    .addColumn('model_mapping', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('weight', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('disabled_reason', 'text')
    // Limits toward the vendor (null = none).
    .addColumn('max_concurrency', 'integer')
    .addColumn('max_rps', 'real')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('request', 'text', (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull())
    .addColumn('end_user', 'text')
    .addColumn('callback_url', 'text')
    // The API the task was created on: its webhook is rendered in that surface's shape.
    .addColumn('surface', 'text', (c) => c.notNull().defaultTo('generations'))
    .addColumn('warnings', 'text')
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('price', 'text')
    .addColumn('cost_reserved', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('cost', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('completed_at', 'bigint')
    .addColumn('deleted_at', 'bigint')
    .execute();
  await db.schema.createIndex('tasks_user_created').on('tasks').columns(['user_id', 'created_at']).execute();
  await db.schema.createIndex('tasks_created').on('tasks').column('created_at').execute();

  await db.schema
    .createTable('task_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('task_id', 'text', (c) => c.notNull().references('tasks.id'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('channel_id', 'text')
    .addColumn('upstream_model', 'text')
    .addColumn('upstream_task_id', 'text')
    .addColumn('poll_context', 'text')
    .addColumn('facts', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('queued', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('progress', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('result_url', 'text')
    .addColumn('cover_url', 'text')
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('next_poll_at', 'bigint', (c) => c.notNull())
    .addColumn('poll_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('lease_token', 'text')
    .addColumn('deadline_at', 'bigint', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('cost_estimate', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('cost', 'bigint')
    // Results copied into Reelay's storage: where, until when, and when the next copy is due.
    .addColumn('hosted_content', 'text')
    .addColumn('content_expires_at', 'bigint')
    .addColumn('rehost_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('copy_due_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('completed_at', 'bigint')
    .execute();
  await db.schema.createIndex('task_jobs_task').on('task_jobs').columns(['task_id', 'position']).execute();
  // The claim queries, each partial so that jobs with nothing due cost it nothing: the poller's (open jobs by due
  // time), the copier's, and the retention sweep's.
  await db.schema
    .createIndex('task_jobs_due')
    .on('task_jobs')
    .column('next_poll_at')
    .where(sql.ref('state'), 'in', [sql.lit('submitting'), sql.lit('processing')])
    .execute();
  await db.schema
    .createIndex('task_jobs_copy_due')
    .on('task_jobs')
    .column('copy_due_at')
    .where(sql.ref('copy_due_at'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('task_jobs_content_expiry')
    .on('task_jobs')
    .column('content_expires_at')
    .where(sql.ref('hosted_content'), 'is not', null)
    .execute();

  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('model_prices')
    .addColumn('model', 'text', (c) => c.primaryKey())
    .addColumn('unit', 'text', (c) => c.notNull())
    .addColumn('price', 'bigint', (c) => c.notNull())
    .addColumn('resolution_multipliers', 'text', (c) => c.notNull())
    .addColumn('mode_multipliers', 'text', (c) => c.notNull())
    .addColumn('free', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('ledger')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('key_id', 'text')
    .addColumn('task_id', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  // A task's reserve, settle and refund can each be written once, whatever retries or restarts happen.
  await db.schema
    .createIndex('ledger_task_kind')
    .on('ledger')
    .columns(['task_id', 'kind'])
    .unique()
    .where(sql.ref('task_id'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('ledger_user_created')
    .on('ledger')
    .columns(['user_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('task_id', 'text', (c) => c.notNull().references('tasks.id'))
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_token', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .execute();
  await db.schema.createIndex('webhook_deliveries_task').on('webhook_deliveries').column('task_id').execute();
  // The sender's claim query: pending deliveries by due time. Partial, so finished ones cost nothing.
  await db.schema
    .createIndex('webhook_deliveries_due')
    .on('webhook_deliveries')
    .column('next_attempt_at')
    .where(sql.ref('status'), '=', sql.lit('pending'))
    .execute();

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('delivery_id', 'text', (c) => c.notNull().references('webhook_deliveries.id'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('webhook_attempts_pk', ['delivery_id', 'attempt'])
    .execute();

  // Idempotency-Key: one task per (user, key) for 24 h; the body hash tells a replay from a different request.
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['user_id', 'key'])
    .execute();
  await db.schema
    .createIndex('idempotency_keys_created')
    .on('idempotency_keys')
    .column('created_at')
    .execute();
}
