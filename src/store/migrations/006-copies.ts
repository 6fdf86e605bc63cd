import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // A succeeded job whose result is still to be copied into Reelay's storage: when its next copy is due.
  await db.schema.alterTable('task_jobs').addColumn('copy_due_at', 'bigint').execute();
  // The copier's claim query. Partial, so jobs with nothing to copy cost it nothing.
  await db.schema
    .createIndex('task_jobs_copy_due')
    .on('task_jobs')
    .column('copy_due_at')
    .where(sql.ref('copy_due_at'), 'is not', null)
    .execute();
}
