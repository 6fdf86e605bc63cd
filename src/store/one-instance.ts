/**
 * Duties that one instance at a time performs for all (the content retention sweep): on PostgreSQL each is
 * guarded by an advisory lock, held by a transaction for as long as the duty runs, so an instance that finds it
 * taken skips this round, and a killed instance's lock goes with its connection. Migrations need nothing more:
 * Kysely's migrator already holds its own advisory lock. SQLite is one instance.
 */
import { sql } from 'kysely';
import { inTransaction, type Database } from './db.js';

/** Runs `work` unless another instance is running the same duty now; `undefined` when skipped. */
export async function runAlone<T>(
  database: Database,
  duty: string,
  work: () => Promise<T>,
): Promise<T | undefined> {
  if (!database.capabilities.severalWriters) return work();
  return inTransaction(database, async (trx) => {
    // Keyed by schema too: instances of separate deployments in one database do not exclude each other.
    const { rows } = await sql<{ taken: boolean }>`select pg_try_advisory_xact_lock(
      hashtextextended(current_schema() || ':' || ${duty}, 0)) as taken`.execute(trx.db);
    return rows[0]!.taken ? work() : undefined;
  });
}
