/**
 * Limits that several instances on one PostgreSQL hold together, for any named scope (a channel's vendor calls
 * today; a key's requests could use the same): a concurrency limit as numbered slots held under expiring leases
 * (an instance killed mid-call frees its slots when their leases end), and a rate limit as the next start time,
 * each caller reserving its own start one interval after the previous one. Slots are claimed with
 * `FOR UPDATE SKIP LOCKED`, so callers racing for slots never wait on one another's row locks.
 */
import { sql } from 'kysely';
import type { Database } from './db.js';

/** Makes sure slots 0 … limit-1 exist for the scope (their rows are what a claim locks). */
export async function ensureSlots(database: Database, scope: string, limit: number): Promise<void> {
  await sql`insert into limit_leases (scope, slot, holder, expires_at)
    select ${scope}, slot, null, 0 from generate_series(0, ${limit - 1}::int) as slot
    on conflict do nothing`.execute(database.db);
}

/** Takes a free (or expired) slot below `limit` for `holder` until `expiresAt`; null when all are taken. */
export async function claimSlot(
  database: Database,
  {
    scope,
    limit,
    holder,
    now,
    expiresAt,
  }: { scope: string; limit: number; holder: string; now: number; expiresAt: number },
): Promise<number | null> {
  const { rows } = await sql<{
    slot: number;
  }>`update limit_leases set holder = ${holder}, expires_at = ${expiresAt}
    where scope = ${scope} and slot = (
      select slot from limit_leases
      where scope = ${scope} and slot < ${limit} and (holder is null or expires_at <= ${now})
      order by slot limit 1 for update skip locked)
    returning slot`.execute(database.db);
  return rows[0]?.slot ?? null;
}

/** Gives a slot back, if `holder` still has it (an expired lease may have gone to another). */
export async function releaseSlot(
  database: Database,
  scope: string,
  slot: number,
  holder: string,
): Promise<void> {
  await database.db
    .updateTable('limit_leases')
    .set({ holder: null, expires_at: 0 })
    .where('scope', '=', scope)
    .where('slot', '=', slot)
    .where('holder', '=', holder)
    .execute();
}

/**
 * Reserves the caller's start: the later of now and the scope's next start, and moves the next start one
 * `intervalMs` on. Returns when the caller may start (unix ms).
 */
export async function reserveStart(
  database: Database,
  scope: string,
  intervalMs: number,
  now: number,
): Promise<number> {
  const { rows } = await sql<{ start_at: number }>`insert into limit_schedules (scope, next_start_at)
    values (${scope}, ${now + intervalMs})
    on conflict (scope) do update
      set next_start_at = greatest(limit_schedules.next_start_at, ${now}) + ${intervalMs}
    returning next_start_at - ${intervalMs} as start_at`.execute(database.db);
  return Number(rows[0]!.start_at);
}

/** No start in the scope before `until` (a vendor asked to slow down). */
export async function postponeStarts(database: Database, scope: string, until: number): Promise<void> {
  await sql`insert into limit_schedules (scope, next_start_at) values (${scope}, ${until})
    on conflict (scope) do update set next_start_at = greatest(limit_schedules.next_start_at, ${until})`.execute(
    database.db,
  );
}
