/**
 * State that several instances on one PostgreSQL share (store/shared-limits.ts, store/circuits.ts): slots of a
 * concurrency limit held under expiring leases, the next start allowed by a rate limit, and channels' circuits.
 * Created on SQLite too (one instance, where they stay unused) so both databases have one schema.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('limit_leases')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('slot', 'integer', (c) => c.notNull())
    /** Who holds the slot (a random token per call); null when free. */
    .addColumn('holder', 'text')
    /** When a holder that never gave the slot back (a killed instance) loses it; unix ms. */
    .addColumn('expires_at', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('limit_leases_pk', ['scope', 'slot'])
    .execute();

  await db.schema
    .createTable('limit_schedules')
    .addColumn('scope', 'text', (c) => c.primaryKey())
    /** The earliest a next call may start (rate limit spacing, or a vendor's request to slow down); unix ms. */
    .addColumn('next_start_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('channel_circuits')
    .addColumn('channel_id', 'text', (c) => c.primaryKey())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
