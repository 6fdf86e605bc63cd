/**
 * Accepting a task: check the caller may use the model, validate against the chosen vendor, save the task
 * (before any vendor call, so a crash never loses it), then start each generation on a channel.
 */
import { randomUUID } from 'node:crypto';
import { generationCost } from '../billing/prices.js';
import { newId } from '../security/secrets.js';
import { findPrice, type PriceSnapshot } from '../store/billing.js';
import type { TaskJobRow, TaskRow, TaskSurface } from '../store/schema.js';
import { isUniqueViolation } from '../store/db.js';
import { cancelledCode } from '../store/task-cancel.js';
import { findIdempotencyKey, releaseIdempotencyKey } from '../store/idempotency.js';
import { findTask, findTaskForUser, insertTaskWithJobs, type TaskWithJobs } from '../store/tasks.js';
import {
  ApiError,
  InvalidRequestError,
  PermissionError,
  ServiceUnavailableError,
  UpstreamError,
} from '../errors.js';
import type { EngineDeps } from '../engine/deps.js';
import type { JobRunner } from '../engine/job-runner.js';
import { candidatesFor, jobFor, prepareJob, type SubmitResult } from '../engine/job-submit.js';
import { requireAdapter } from '../engine/vendor-call.js';
import type { VideoRequest } from './video-request.js';

/** Who is asking: resolved from the API key. */
export interface Caller {
  userId: string;
  keyId: string;
  /** Models this key may use; null = all. */
  models: string[] | null;
}

/** A client's Idempotency-Key and the fingerprint of the request it came with. */
export interface Idempotency {
  key: string;
  requestHash: string;
}

export interface SubmitOptions {
  idempotency?: Idempotency | null;
  /** The surface the task is made on: its webhook is rendered in that surface's shape. */
  surface?: TaskSurface;
}

export async function submitTask(
  deps: EngineDeps,
  runner: JobRunner,
  caller: Caller,
  request: VideoRequest,
  { idempotency = null, surface = 'generations' }: SubmitOptions = {},
): Promise<TaskWithJobs> {
  if (idempotency) {
    const replay = await replayed(deps, caller, idempotency);
    if (replay) return replay;
  }
  if (caller.models && !caller.models.includes(request.model)) {
    throw new PermissionError(
      `This API key may not use model ${request.model}`,
      'model',
      'model_not_allowed',
    );
  }
  const candidates = await candidatesFor(deps.channels, request);
  if (candidates.length === 0) {
    if (await deps.channels.isServed(request.model)) {
      throw new ServiceUnavailableError(
        `Every channel serving ${request.model} is disabled; try again later`,
      );
    }
    throw new InvalidRequestError(
      `Model ${request.model} is not available on this gateway; GET /v1/models lists the models this key can use`,
      'model',
      'model_not_found',
    );
  }

  const price = await findPrice(deps.database, request.model);
  if (!price) {
    throw new InvalidRequestError(
      `Model ${request.model} has no price set; the operator must price it or mark it free`,
      'model',
      'model_not_priced',
    );
  }
  const mode = typeof request.metadata.mode === 'string' ? request.metadata.mode : null;

  const primary = candidates[0]!;
  const adapter = requireAdapter(primary.vendor);
  const taskId = newId('task');
  const now = Date.now();
  const leaseToken = randomUUID();
  const jobs: TaskJobRow[] = [];
  let warnings: string[] = [];
  for (let position = 0; position < request.n; position++) {
    const jobId = newId('job');
    // Throws the client's 400 before anything is stored.
    const job = jobFor(request, jobId, primary);
    const prepared = prepareJob(adapter, request, job);
    warnings = prepared.warnings.map((w) => w.details);
    const costEstimate = generationCost(price, prepared.expected, mode);
    if (costEstimate === null) {
      throw new InvalidRequestError(
        `Model ${request.model} is priced per second: give a duration`,
        'duration',
        'duration_required',
      );
    }
    jobs.push({
      id: jobId,
      task_id: taskId,
      position,
      channel_id: primary.id,
      upstream_model: job.upstreamModel,
      upstream_task_id: null,
      poll_context: JSON.stringify(prepared.pollContext),
      facts: JSON.stringify(prepared.expected),
      state: 'submitting',
      queued: 1,
      queue_position: null,
      progress: 0,
      result_url: null,
      cover_url: null,
      error_code: null,
      error_message: null,
      // If this process dies mid-submit, the job becomes due for recovery when the lease runs out.
      next_poll_at: now + deps.config.SUBMIT_LEASE_MS,
      poll_attempts: 0,
      lease_token: leaseToken,
      deadline_at: now + deps.config.TASK_TIMEOUT_MINUTES * 60_000,
      last_error: null,
      cost_estimate: costEstimate,
      cost: null,
      created_at: now,
      updated_at: now,
      completed_at: null,
      hosted_content: null,
      content_expires_at: null,
      rehost_attempts: 0,
      copy_due_at: null,
    });
  }
  const snapshot: PriceSnapshot = { ...price, mode };
  const task: TaskRow = {
    id: taskId,
    user_id: caller.userId,
    key_id: caller.keyId,
    model: request.model,
    status: 'processing',
    request: JSON.stringify(request),
    n: request.n,
    end_user: request.endUser,
    callback_url: request.callbackUrl,
    surface,
    warnings: warnings.length > 0 ? JSON.stringify(warnings) : null,
    error_code: null,
    error_message: null,
    price: JSON.stringify(snapshot),
    cost_reserved: jobs.reduce((sum, job) => sum + job.cost_estimate, 0),
    cost: null,
    created_at: now,
    updated_at: now,
    completed_at: null,
    deleted_at: null,
  };
  // Saved and paid for (reserved) together, before any vendor is called.
  try {
    await insertTaskWithJobs(deps.database, task, jobs, idempotency);
  } catch (err) {
    // A twin request with the same Idempotency-Key won the race: answer with its task.
    if (idempotency && isUniqueViolation(err)) {
      const replay = await replayed(deps, caller, idempotency);
      if (replay) return replay;
    }
    throw err;
  }
  deps.metrics.taskCreated(request.model, surface);

  const results = await Promise.all(jobs.map((job) => runner.submit(job, leaseToken, request, candidates)));
  const saved = await findTask(deps.database, taskId);
  if (!saved) throw new Error(`task ${taskId} vanished after submit`);
  // Cancelled by its owner while it was being sent: the answer is the task as it now is.
  if (saved.task.status === 'failed' && saved.task.error_code !== cancelledCode) {
    // Not accepted: the client may retry with the same key.
    if (idempotency) await releaseIdempotencyKey(deps.database, caller.userId, idempotency.key, taskId);
    throw errorForClient(results);
  }
  return saved;
}

/** The task an earlier request with this Idempotency-Key created; a 409 if that request was a different one. */
async function replayed(
  deps: EngineDeps,
  caller: Caller,
  idempotency: Idempotency,
): Promise<TaskWithJobs | null> {
  const earlier = await findIdempotencyKey(deps.database, caller.userId, idempotency.key, Date.now());
  if (!earlier) return null;
  if (earlier.request_hash !== idempotency.requestHash) {
    throw new ApiError(
      409,
      'conflict_error',
      'This Idempotency-Key was already used with a different request body',
      'Idempotency-Key',
      'idempotency_key_reused',
    );
  }
  return (await findTaskForUser(deps.database, earlier.task_id, caller.userId)) ?? null;
}

/** Why no generation of the task could start, as the client's error. */
function errorForClient(results: SubmitResult[]): ApiError {
  const rejected = results.find((r) => r.kind === 'rejected');
  if (rejected) return new InvalidRequestError(rejected.message, rejected.param ?? null, rejected.code);
  const broken = results.find((r) => r.kind === 'channel_broken');
  if (broken)
    return new UpstreamError(
      "The upstream vendor refused this gateway's account; the operator has been alerted",
      'upstream_account_error',
    );
  if (results.some((r) => r.kind === 'busy')) {
    return new ApiError(
      429,
      'rate_limit_error',
      'The upstreams for this model are at capacity; retry shortly',
      null,
      'channel_busy',
    );
  }
  return new ServiceUnavailableError(
    'No upstream could take the job right now; try again later',
    'upstream_unavailable',
  );
}
