/**
 * Ending a job because its owner cancelled it. The job may be held by a submitter or a poller on any instance:
 * the cancel takes its lease (a compare-and-set on the token it read), so the holder's next write finds the lease
 * gone and changes nothing, then ends the job as the holder would (store/tasks.ts endJobIn: the last job's end
 * ends the task, settles or refunds its reservation and queues its webhook).
 */
import { randomUUID } from 'node:crypto';
import { announceChange } from './change-feed.js';
import { inTransaction, type Database } from './db.js';
import { endJobIn, openJobStates, type EndedTask } from './tasks.js';

export const cancelledCode = 'cancelled';

/** How a job's end reads after a cancel; `where` says who stopped it. */
export function cancelledEnd(where: string) {
  return {
    state: 'failed' as const,
    error_code: cancelledCode,
    error_message: `Cancelled by the client (${where})`,
  };
}

/**
 * Ends an open job as cancelled, whoever holds it. Returns the task's end when this was its last open job;
 * `ended: false` when the job had already ended (another writer got there first).
 */
export async function endJobAsCancelled(
  database: Database,
  job: { id: string; task_id: string },
  where: string,
  now = Date.now(),
): Promise<{ ended: boolean; task: EndedTask | null }> {
  const cancelled = await inTransaction(database, async (trx) => {
    // The task first, as endJobIn locks it: one lock order with the engine's ends, so no deadlock.
    if (trx.capabilities.severalWriters) {
      await trx.db.selectFrom('tasks').select('id').where('id', '=', job.task_id).forUpdate().execute();
    }
    const held = await trx.db
      .selectFrom('task_jobs')
      .select(['lease_token', 'state'])
      .where('id', '=', job.id)
      .executeTakeFirst();
    if (!held || !openJobStates.includes(held.state)) return { ended: false, task: null };
    const leaseToken = randomUUID();
    const taken = await trx.db
      .updateTable('task_jobs')
      .set({ lease_token: leaseToken })
      .where('id', '=', job.id)
      .where('state', 'in', openJobStates)
      .where((eb) =>
        held.lease_token === null ? eb('lease_token', 'is', null) : eb('lease_token', '=', held.lease_token),
      )
      .executeTakeFirst();
    if (taken.numUpdatedRows === 0n) return { ended: false, task: null };
    const task = await endJobIn(trx, { job, leaseToken, end: cancelledEnd(where), now });
    return { ended: true, task };
  });
  // The task's watchers read it again now that the end is committed.
  if (cancelled.ended) await announceChange(database, 'task_state', job.task_id);
  return cancelled;
}
