/**
 * Every claim of the durable queues, in one place: due jobs for the poller (next_poll_at), due copies for the
 * result copier (copy_due_at), due webhook deliveries for the sender. A claim sets a fresh lease token and pushes
 * the due time to the lease's end, so a crashed holder's work comes back by itself; every later write is a
 * compare-and-set on that token.
 */
import { sql, type SelectQueryBuilder } from 'kysely';
import type { Database } from './db.js';
import { precompiled } from './precompiled.js';
import type { Schema, TaskJobRow, WebhookDeliveryRow } from './schema.js';
import { eachInOneTransaction, openJobStates } from './tasks.js';

/**
 * Claims open jobs that are due: sets a fresh lease token and pushes next_poll_at to the lease's end, so a
 * crashed holder's jobs come back by themselves. Where rows can be locked, rows another instance is claiming are skipped.
 */
export const claimDueJobs = dueClaim('next_poll_at', (due) =>
  // Literals, not parameters: only then can SQLite see that the partial index task_jobs_due applies (with
  // parameters it scanned and sorted the whole table on every claim; docs/benchmarks.md).
  due.where(
    'state',
    'in',
    openJobStates.map((state) => sql.lit(state)),
  ),
);

export interface ClaimOptions {
  now: number;
  limit: number;
  leaseToken: string;
  leaseUntil: number;
}

/**
 * A claim of the jobs whose `dueColumn` has come (among those `which` selects), earliest first: a fresh lease
 * token, and `dueColumn` pushed to the lease's end, so a crashed holder's jobs come back by themselves. PostgreSQL
 * skips rows another instance is claiming. The poller's claims (next_poll_at) and the copier's (copy_due_at).
 */
export function dueClaim(
  dueColumn: 'next_poll_at' | 'copy_due_at',
  which: (
    due: SelectQueryBuilder<Schema, 'task_jobs', { id: string }>,
  ) => SelectQueryBuilder<Schema, 'task_jobs', { id: string }>,
): (database: Database, options: ClaimOptions) => Promise<TaskJobRow[]> {
  const claim = precompiled<ClaimOptions, TaskJobRow>((db, options, database) => {
    let due = which(db.selectFrom('task_jobs').select('id'))
      .where(dueColumn, '<=', options.now)
      .orderBy(dueColumn)
      .limit(options.limit);
    if (database.capabilities.skipLocked) due = due.forUpdate().skipLocked();
    return db
      .updateTable('task_jobs')
      .set({ lease_token: options.leaseToken, [dueColumn]: options.leaseUntil })
      .where('id', 'in', due)
      .returningAll();
  });
  return async (database, options) => (await claim.run(database, options)).rows;
}

/** Claims one processing job out of turn (a vendor said it changed), unless a poll holds it right now. */
async function claimJobNow(
  database: Database,
  jobId: string,
  options: { now: number; leaseToken: string; leaseUntil: number },
): Promise<TaskJobRow | undefined> {
  const { rows } = await claimOne.run(database, { jobId, ...options });
  return rows[0];
}

/**
 * claimJobNow for several jobs under one lease token: in one transaction where one writer serves one instance (a
 * commit cost more than the claim: 100,000 callbacks, docs/benchmarks.md); one statement each where several
 * instances claim (a claim waits on no lock but its row's).
 */
export function claimJobsNow(
  database: Database,
  jobIds: string[],
  options: { now: number; leaseToken: string; leaseUntil: number },
): Promise<PromiseSettledResult<TaskJobRow | undefined>[]> {
  const claim = (db: Database, jobId: string) => claimJobNow(db, jobId, options);
  return database.capabilities.severalWriters
    ? Promise.allSettled(jobIds.map((jobId) => claim(database, jobId)))
    : eachInOneTransaction(database, jobIds, claim);
}

const claimOne = precompiled(
  (db, v: { jobId: string; now: number; leaseToken: string; leaseUntil: number }) =>
    db
      .updateTable('task_jobs')
      .set({ lease_token: v.leaseToken, next_poll_at: v.leaseUntil })
      .where('id', '=', v.jobId)
      .where('state', '=', 'processing')
      .where((eb) => eb.or([eb('lease_token', 'is', null), eb('next_poll_at', '<=', v.now)]))
      .returningAll(),
);

/**
 * Pushes the end of a submit's lease while the job is still being sent under it (not yet answered by the vendor).
 * False when the lease is no longer this holder's, or the job has moved on.
 */
export async function renewSubmitLease(
  database: Database,
  jobId: string,
  leaseToken: string,
  leaseUntil: number,
): Promise<boolean> {
  const result = await database.db
    .updateTable('task_jobs')
    .set({ next_poll_at: leaseUntil })
    .where('id', '=', jobId)
    .where('lease_token', '=', leaseToken)
    .where('state', '=', 'submitting')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Claims succeeded jobs whose result is due to be copied into storage (see dueClaim). */
export const claimDueCopies = dueClaim('copy_due_at', (due) => due.where('copy_due_at', 'is not', null));

/** Claims pending deliveries that are due; a crashed sender's claims come back when their lease runs out. */
export async function claimDueDeliveries(
  database: Database,
  options: { now: number; limit: number; leaseToken: string; leaseUntil: number },
): Promise<WebhookDeliveryRow[]> {
  let due = database.db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', options.now)
    .orderBy('next_attempt_at')
    .limit(options.limit);
  if (database.capabilities.skipLocked) due = due.forUpdate().skipLocked();
  return database.db
    .updateTable('webhook_deliveries')
    .set({ lease_token: options.leaseToken, next_attempt_at: options.leaseUntil })
    .where('id', 'in', due)
    .returningAll()
    .execute();
}

/** Whether a processing job is held by a poller now (under a lease that has not ended). */
export async function isJobLeased(database: Database, jobId: string, now: number): Promise<boolean> {
  const { rows } = await leased.run(database, { jobId, now });
  return rows.length > 0;
}

const leased = precompiled((db, v: { jobId: string; now: number }) =>
  db
    .selectFrom('task_jobs')
    .select('id')
    .where('id', '=', v.jobId)
    .where('state', '=', 'processing')
    .where('lease_token', 'is not', null)
    .where('next_poll_at', '>', v.now),
);

/**
 * Brings a channel's jobs resting in the database (their routine polls backed off while callbacks arrived) back
 * to the normal schedule: due now. Jobs a poller holds keep their own schedule.
 */
export async function makeChannelJobsDue(
  database: Database,
  channelId: string,
  now: number,
): Promise<number> {
  return Number((await channelDue.run(database, { channelId, now })).numAffectedRows ?? 0);
}

const channelDue = precompiled((db, v: { channelId: string; now: number }) =>
  db
    .updateTable('task_jobs')
    .set({ next_poll_at: v.now })
    .where('channel_id', '=', v.channelId)
    .where('state', '=', 'processing')
    .where('lease_token', 'is', null)
    .where('next_poll_at', '>', v.now),
);
