import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Money is integer micro-units of the operator's currency.
  await db.schema
    .alterTable('users')
    .addColumn('balance', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('api_keys').addColumn('spend_limit', 'bigint').execute();
  await db.schema
    .alterTable('api_keys')
    .addColumn('spent', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('tasks').addColumn('price', 'text').execute();
  await db.schema
    .alterTable('tasks')
    .addColumn('cost_reserved', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('tasks').addColumn('cost', 'bigint').execute();
  await db.schema
    .alterTable('task_jobs')
    .addColumn('cost_estimate', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('task_jobs').addColumn('cost', 'bigint').execute();

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
  await db.schema.createIndex('tasks_created').on('tasks').column('created_at').execute();
}
