/** The admin audit trail: one row per change made through the admin API, newest first. */
import type { Database } from './db.js';
import type { AdminAuditRow } from './schema.js';

export async function insertAuditEntry(database: Database, entry: AdminAuditRow): Promise<void> {
  await database.db.insertInto('admin_audit_log').values(entry).execute();
}

/** A page of entries, newest first; `before`: the id of the last entry of the previous page. */
export async function listAuditEntries(
  database: Database,
  { limit, before }: { limit: number; before: string | null },
): Promise<{ entries: AdminAuditRow[]; hasMore: boolean } | { unknownCursor: true }> {
  let query = database.db.selectFrom('admin_audit_log').selectAll();
  if (before !== null) {
    const cursor = await database.db
      .selectFrom('admin_audit_log')
      .select(['at', 'id'])
      .where('id', '=', before)
      .executeTakeFirst();
    if (!cursor) return { unknownCursor: true };
    query = query.where((eb) =>
      eb.or([eb('at', '<', cursor.at), eb.and([eb('at', '=', cursor.at), eb('id', '<', cursor.id)])]),
    );
  }
  const rows = await query
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  return { entries: rows.slice(0, limit), hasMore: rows.length > limit };
}
