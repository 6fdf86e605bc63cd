/** Where a queued job stands in its vendor's queue, for vendors that say (fal's queue_position). */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('task_jobs').addColumn('queue_position', 'integer').execute();
}
