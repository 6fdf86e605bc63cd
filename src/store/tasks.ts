/**
 * Tasks and their jobs (one job per generation). Every change to a job is a compare-and-set on its
 * lease token, so a slow poll, a second poller or a restarted process can never move a job twice.
 */
import { checkKeyLimits, keyLimitError } from './key-limits.js';
import { jobCosts, reserve, settleReservation } from './billing.js';
import { inTransaction, type Database } from './db.js';
import { precompiled } from './precompiled.js';
import { recordIdempotencyKey } from './idempotency.js';

import type { JobState, NewTaskJob, TaskJobRow, TaskJobUpdate, TaskRow, TaskStatus } from './schema.js';
import { queueTaskWebhook } from './webhooks.js';

export const openJobStates: JobState[] = ['submitting', 'processing'];

export interface TaskWithJobs {
  task: TaskRow;
  jobs: TaskJobRow[];
}

/** Saves an accepted task, its jobs and its reservation together: all of them or none. */
export async function insertTaskWithJobs(
  database: Database,
  task: TaskRow,
  jobs: NewTaskJob[],
  idempotency: { key: string; requestHash: string } | null = null,
): Promise<void> {
  await inTransaction(database, async (trx) => {
    const verdict = await checkKeyLimits(trx, task.key_id, task.created_at);
    if (verdict.kind !== 'ok') throw keyLimitError(verdict);
    if (idempotency) {
      await recordIdempotencyKey(trx, {
        user_id: task.user_id,
        key: idempotency.key,
        request_hash: idempotency.requestHash,
        task_id: task.id,
        created_at: task.created_at,
      });
    }
    await trx.db.insertInto('tasks').values(task).execute();
    await trx.db.insertInto('task_jobs').values(jobs).execute();
    await reserve(trx, {
      userId: task.user_id,
      keyId: task.key_id,
      taskId: task.id,
      amount: task.cost_reserved,
      now: task.created_at,
    });
  });
}

/** A task as its owner sees it; another user's task is indistinguishable from a missing one. */
export async function findTaskForUser(
  database: Database,
  taskId: string,
  userId: string,
): Promise<TaskWithJobs | undefined> {
  const { rows } = await ownTask.run(database, { taskId, userId });
  if (!rows[0]) return undefined;
  return { task: rows[0], jobs: await jobsOf(database, taskId) };
}

const ownTask = precompiled((db, v: { taskId: string; userId: string }) =>
  db
    .selectFrom('tasks')
    .selectAll()
    .where('id', '=', v.taskId)
    .where('user_id', '=', v.userId)
    .where('deleted_at', 'is', null),
);

export async function findTask(database: Database, taskId: string): Promise<TaskWithJobs | undefined> {
  const task = await database.db.selectFrom('tasks').selectAll().where('id', '=', taskId).executeTakeFirst();
  if (!task) return undefined;
  return { task, jobs: await jobsOf(database, taskId) };
}

async function jobsOf(database: Database, taskId: string): Promise<TaskJobRow[]> {
  return (await jobsOfTask.run(database, { taskId })).rows;
}

const jobsOfTask = precompiled((db, v: { taskId: string }) =>
  db.selectFrom('task_jobs').selectAll().where('task_id', '=', v.taskId).orderBy('position'),
);

/** The vendor's id for a job's task, once a submit (or a recovery) recorded it. */
export async function upstreamTaskIdOf(database: Database, jobId: string): Promise<string | null> {
  const row = await database.db
    .selectFrom('task_jobs')
    .select('upstream_task_id')
    .where('id', '=', jobId)
    .executeTakeFirst();
  return row?.upstream_task_id ?? null;
}

/** Changes a job still held under the lease `leaseToken`. False when someone else has it now, or it ended. */
export async function updateLeasedJob(
  database: Database,
  jobId: string,
  leaseToken: string,
  changes: TaskJobUpdate,
): Promise<boolean> {
  const result = await database.db
    .updateTable('task_jobs')
    .set(changes)
    .where('id', '=', jobId)
    .where('lease_token', '=', leaseToken)
    .where('state', 'in', openJobStates)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Runs `write` for each input in one transaction: one commit for many small writes (the poller's write-backs,
 * docs/benchmarks.md). If the batch fails, each input is tried again in a transaction of its own, so that one
 * bad write fails alone.
 */
export async function eachInOneTransaction<In, Out>(
  database: Database,
  inputs: In[],
  write: (trx: Database, input: In) => Promise<Out>,
): Promise<PromiseSettledResult<Out>[]> {
  try {
    const values = await inTransaction(database, async (trx) => {
      const done: Out[] = [];
      for (const input of inputs) done.push(await write(trx, input));
      return done;
    });
    return values.map((value) => ({ status: 'fulfilled', value }));
  } catch (err) {
    if (inputs.length === 1) return [{ status: 'rejected', reason: err }];
    return Promise.allSettled(inputs.map((input) => inTransaction(database, (trx) => write(trx, input))));
  }
}

/**
 * A poll's write-back for a job still running: what it found, and next_poll_at: when the job is due again if the
 * lease is given up, or the lease's end if it is kept (the poller keeps the job for its next poll).
 */
export interface JobReschedule {
  jobId: string;
  leaseToken: string;
  keepLease: boolean;
  queued: number;
  queue_position: number | null;
  progress: number;
  last_error: string | null;
  poll_attempts: number;
  next_poll_at: number;
  updated_at: number;
}

/** The write-back, giving up the lease or keeping it (next_poll_at is then the lease's end). */
const rescheduleStatement = (keepLease: boolean) =>
  precompiled<JobReschedule, never>((db, r) =>
    db
      .updateTable('task_jobs')
      .set({
        queued: r.queued,
        queue_position: r.queue_position,
        progress: r.progress,
        last_error: r.last_error,
        poll_attempts: r.poll_attempts,
        next_poll_at: r.next_poll_at,
        updated_at: r.updated_at,
        ...(keepLease ? {} : { lease_token: null }),
      })
      .where('id', '=', r.jobId)
      .where('lease_token', '=', r.leaseToken)
      .where('state', 'in', openJobStates),
  );
const releaseStatement = rescheduleStatement(false);
const keepStatement = rescheduleStatement(true);

/** Writes a poll's reschedule if the job is still held by its lease; in a transaction (eachInOneTransaction). */
export async function rescheduleJobIn(trx: Database, reschedule: JobReschedule): Promise<boolean> {
  return (reschedule.keepLease ? keepStatement : releaseStatement).changed(trx, reschedule);
}

export interface JobEnd {
  state: 'succeeded' | 'failed';
  result_url?: string | null;
  cover_url?: string | null;
  facts?: string | null;
  error_code?: string | null;
  error_message?: string | null;
  /** When the result is due to be copied into storage (engine/result-copier.ts); null: no copy. */
  copy_due_at?: number | null;
}

/** A task that ended with its last job: its status, and whether its webhook is waiting in the outbox. */
export interface EndedTask {
  status: TaskStatus;
  webhookQueued: boolean;
  /** For metrics: what ended, on which channel, and the money it settled (micro-units). */
  model: string;
  channelId: string | null;
  errorCode: string | null;
  charged: number;
  refunded: number;
}

/** A job's end as the holder of its lease writes it. */
export interface LeasedEnd {
  job: Pick<TaskJobRow, 'id' | 'task_id'>;
  leaseToken: string;
  end: JobEnd;
  now: number;
}

/**
 * Ends a leased job and, when it was the task's last open job, the task too, in one transaction.
 * Returns the task when this call ended it, null otherwise (including a lost race).
 */
export async function endJob(database: Database, end: LeasedEnd): Promise<EndedTask | null> {
  return inTransaction(database, (trx) => endJobIn(trx, end));
}

/**
 * endJob inside a transaction (see eachInOneTransaction). One read gives the task's jobs, its price and
 * reservation and its webhook target; then the job ends (with its cost when it is the task's last), the task
 * ends (with its cost), the reservation is settled and the webhook owed: three statements for a one-job task
 * without a reservation or a webhook.
 */
export async function endJobIn(
  trx: Database,
  { job, leaseToken, end, now }: LeasedEnd,
): Promise<EndedTask | null> {
  // With several writers, the jobs of one task end one at a time, so the last one always sees the others ended.
  if (trx.capabilities.severalWriters) await lockTask.run(trx, { taskId: job.task_id });
  const { rows } = await readForEnd.run(trx, { taskId: job.task_id });
  const held = rows.find((r) => r.id === job.id);
  if (!held || held.lease_token !== leaseToken || !openJobStates.includes(held.state)) return null;
  // The job as it will be once ended (what the end leaves out stays as it was), and the task's jobs with it.
  const endedJob = {
    ...held,
    state: end.state as JobState,
    result_url: end.result_url ?? held.result_url,
    cover_url: end.cover_url ?? held.cover_url,
    facts: end.facts ?? held.facts,
    error_code: end.error_code ?? held.error_code,
    error_message: end.error_message ?? held.error_message,
    copy_due_at: end.copy_due_at ?? held.copy_due_at,
    progress: end.state === 'succeeded' ? 100 : held.progress,
  };
  const jobs = rows.map((r) => (r.id === job.id ? endedJob : r));
  const task = rows[0]!;
  // The task ends with this job when it is still running and no other job of it is.
  const taskEnds = task.task_status === 'processing' && !jobs.some((j) => openJobStates.includes(j.state));
  const costs = taskEnds ? jobCosts(task.price, jobs) : null;

  const ended = await endJobStatement.changed(trx, {
    ...endedJob,
    cost: costs?.get(job.id) ?? held.cost,
    now,
    leaseToken,
  });
  // Watchers of the task (event streams, waiting requests) are told by the caller, after the commit: a NOTIFY in
  // each end held PostgreSQL's notification lock through every commit, one end at a time (docs/benchmarks.md).
  if (!ended || !costs) return null;

  // A task succeeds when at least one of its generations did; the failed ones stay visible in `videos`.
  const succeeded = jobs.some((j) => j.state === 'succeeded');
  const firstFailure = jobs.find((j) => j.state === 'failed');
  const status: TaskStatus = succeeded ? 'succeeded' : 'failed';
  let charged = 0;
  for (const cost of costs.values()) charged += cost;
  const errorCode = succeeded ? null : (firstFailure?.error_code ?? 'generation_failed');
  const taskEnded = await endTask.changed(trx, {
    taskId: job.task_id,
    status,
    errorCode,
    errorMessage: succeeded ? null : (firstFailure?.error_message ?? 'generation failed'),
    cost: charged,
    now,
  });
  if (!taskEnded) return null;
  for (const other of jobs) {
    if (other.id === job.id) continue;
    await trx.db
      .updateTable('task_jobs')
      .set({ cost: costs.get(other.id)! })
      .where('id', '=', other.id)
      .execute();
  }
  await settleReservation(trx, { ...task, id: job.task_id }, status, charged, now);
  const webhookUrl = task.callback_url ?? task.webhook_url;
  if (webhookUrl)
    await queueTaskWebhook(trx, { taskId: job.task_id, keyId: task.key_id, url: webhookUrl }, now);
  return {
    status,
    webhookQueued: Boolean(webhookUrl),
    model: task.model,
    channelId: held.channel_id,
    errorCode,
    charged,
    refunded: status === 'failed' ? task.cost_reserved : 0,
  };
}

const lockTask = precompiled<{ taskId: string }, { id: string }>((db, v) =>
  db.selectFrom('tasks').select('id').where('id', '=', v.taskId).forUpdate(),
);

/** A task's jobs in order, each with what ending the task needs: its status, price, reservation, webhook target. */
const readForEnd = precompiled((db, v: { taskId: string }) =>
  db
    .selectFrom('task_jobs')
    .innerJoin('tasks', 'tasks.id', 'task_jobs.task_id')
    .leftJoin('api_keys', 'api_keys.id', 'tasks.key_id')
    .select([
      'task_jobs.id',
      'task_jobs.state',
      'task_jobs.lease_token',
      'task_jobs.result_url',
      'task_jobs.cover_url',
      'task_jobs.facts',
      'task_jobs.error_code',
      'task_jobs.error_message',
      'task_jobs.copy_due_at',
      'task_jobs.progress',
      'task_jobs.cost_estimate',
      'task_jobs.cost',
      'task_jobs.channel_id',
      'tasks.status as task_status',
      'tasks.model',
      'tasks.user_id',
      'tasks.key_id',
      'tasks.price',
      'tasks.cost_reserved',
      'tasks.callback_url',
      'api_keys.webhook_url',
    ])
    .where('task_jobs.task_id', '=', v.taskId)
    .orderBy('task_jobs.position'),
);

type JobEndRow = Pick<
  TaskJobRow,
  | 'id'
  | 'state'
  | 'result_url'
  | 'cover_url'
  | 'facts'
  | 'error_code'
  | 'error_message'
  | 'copy_due_at'
  | 'progress'
  | 'cost'
> & { now: number; leaseToken: string };

const endJobStatement = precompiled<JobEndRow, never>((db, v) =>
  db
    .updateTable('task_jobs')
    .set({
      state: v.state,
      result_url: v.result_url,
      cover_url: v.cover_url,
      facts: v.facts,
      error_code: v.error_code,
      error_message: v.error_message,
      copy_due_at: v.copy_due_at,
      progress: v.progress,
      cost: v.cost,
      lease_token: null,
      completed_at: v.now,
      updated_at: v.now,
    })
    .where('id', '=', v.id)
    .where('lease_token', '=', v.leaseToken)
    .where('state', 'in', openJobStates),
);

const endTask = precompiled(
  (
    db,
    v: {
      taskId: string;
      status: TaskStatus;
      errorCode: string | null;
      errorMessage: string | null;
      cost: number;
      now: number;
    },
  ) =>
    db
      .updateTable('tasks')
      .set({
        status: v.status,
        error_code: v.errorCode,
        error_message: v.errorMessage,
        completed_at: v.now,
        updated_at: v.now,
        cost: v.cost,
      })
      .where('id', '=', v.taskId)
      .where('status', '=', 'processing'),
);

/** The channel a job runs on (null before it has one, undefined for no such job). */
export async function channelOfJob(database: Database, jobId: string): Promise<string | null | undefined> {
  const { rows } = await jobChannel.run(database, { jobId });
  return rows[0]?.channel_id;
}

const jobChannel = precompiled((db, v: { jobId: string }) =>
  db.selectFrom('task_jobs').select('channel_id').where('id', '=', v.jobId),
);

/** The request a task was made from, as stored JSON (recovery submits a job its submitter never sent). */
export async function findTaskRequest(database: Database, taskId: string): Promise<string> {
  const task = await database.db
    .selectFrom('tasks')
    .select('request')
    .where('id', '=', taskId)
    .executeTakeFirstOrThrow();
  return task.request;
}
