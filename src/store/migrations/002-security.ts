/** Per-key limits (submits per minute, tasks at once) and the admin audit trail. */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('rpm', 'integer').execute();
  await db.schema.alterTable('api_keys').addColumn('max_concurrent_tasks', 'integer').execute();
  // A key's recent and running tasks, counted at every submit of a key with limits.
  await db.schema.createIndex('tasks_key_created').on('tasks').columns(['key_id', 'created_at']).execute();

  await db.schema
    .createTable('admin_audit_log')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at', 'bigint', (c) => c.notNull())
    /** "token:<first 8 hex of the token's SHA-256>" or "console:<…>": which credential, never the credential. */
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text')
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .execute();
  await db.schema.createIndex('admin_audit_log_at').on('admin_audit_log').column('at').execute();
}
