/** The OpenAI-compatible surface and content delivery: soft deletion, re-hosted content and its retention. */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tasks').addColumn('deleted_at', 'bigint').execute();

  await db.schema.alterTable('task_jobs').addColumn('hosted_content', 'text').execute();
  await db.schema.alterTable('task_jobs').addColumn('content_expires_at', 'bigint').execute();
  await db.schema
    .alterTable('task_jobs')
    .addColumn('rehost_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // The retention sweep: hosted content by expiry. Partial, so jobs without stored content cost nothing.
  await db.schema
    .createIndex('task_jobs_content_expiry')
    .on('task_jobs')
    .column('content_expires_at')
    .where(sql.ref('hosted_content'), 'is not', null)
    .execute();
}
