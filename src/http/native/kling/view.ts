/**
 * What Kling-shaped clients read: Kling's envelope `{code, message, request_id, data}` around Kling's task data
 * (status words submitted / processing / succeed / failed, millisecond timestamps, `task_result.videos`), with
 * Reelay's public task id and Reelay's signed content links; errors as Kling's `{code, message, request_id}`
 * with Reelay's HTTP status. Source: Kling's API reference (copy at WHQ25/rawgenai
 * docs/research/kling/text-to-video.md, "响应体", and common-info.md for the error codes).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ResultLinks } from '../../../content/links.js';
import type { ApiError } from '../../../errors.js';
import type { TaskWithJobs } from '../../../store/tasks.js';
import { jobFacts, leadJob } from '../../../tasks/task.js';
import type { VideoRequest } from '../../../tasks/video-request.js';
import { nativeErrorMessage } from '../error-message.js';

export const klingTaskStatuses = ['submitted', 'processing', 'succeed', 'failed'] as const;

export const klingTaskDataSchema = z.object({
  /** Reelay's public task id. */
  task_id: z.string(),
  task_status: z.enum(klingTaskStatuses),
  /** Why the task failed; empty otherwise. */
  task_status_msg: z.string(),
  task_info: z.object({ external_task_id: z.string().optional() }),
  task_result: z
    .object({
      videos: z.array(z.object({ id: z.string(), url: z.string(), duration: z.string() })),
    })
    .optional(),
  watermark_info: z.object({ enabled: z.boolean() }).optional(),
  /** Unix milliseconds, as Kling gives them. */
  created_at: z.number().int(),
  updated_at: z.number().int(),
});
export type KlingTaskData = z.infer<typeof klingTaskDataSchema>;

export const klingTaskResponseSchema = z
  .object({
    code: z.literal(0),
    message: z.string(),
    request_id: z.string(),
    data: klingTaskDataSchema,
  })
  .meta({ id: 'KlingTaskResponse' });

export const klingErrorResponseSchema = z
  .object({
    code: z.number().int(),
    message: z.string(),
    request_id: z.string(),
  })
  .meta({ id: 'KlingError' });

function klingStatus({ task, jobs }: TaskWithJobs): KlingTaskData['task_status'] {
  if (task.status === 'succeeded') return 'succeed';
  if (task.status === 'failed') return 'failed';
  // Kling says submitted until its queue lets the task run.
  return jobs.some((job) => job.state === 'processing' && !job.queued) ? 'processing' : 'submitted';
}

export function klingTaskView(found: TaskWithJobs, links: ResultLinks): KlingTaskData {
  const { task, jobs } = found;
  const request = JSON.parse(task.request) as VideoRequest;
  const lead = leadJob(jobs);
  const url = task.status === 'succeeded' ? links.videoUrl(lead) : null;
  const duration = jobFacts(lead).durationSeconds;
  const watermark = request.metadata.watermark_info as KlingTaskData['watermark_info'];
  return {
    task_id: task.id,
    task_status: klingStatus(found),
    task_status_msg: task.status === 'failed' ? (task.error_message ?? 'generation failed') : '',
    task_info: request.clientTaskId === undefined ? {} : { external_task_id: request.clientTaskId },
    ...(url
      ? {
          task_result: {
            videos: [{ id: lead.id, url, duration: duration === null ? '' : String(duration) }],
          },
        }
      : {}),
    ...(watermark ? { watermark_info: watermark } : {}),
    created_at: task.created_at,
    updated_at: task.updated_at,
  };
}

export function klingEnvelope(data: KlingTaskData) {
  return { code: 0 as const, message: 'SUCCEED', request_id: randomUUID(), data };
}

/** Kling's business code for each of Reelay's failures (Kling's error table: 1xxx client, 5xxx server). */
function klingCode(error: ApiError): number {
  if (error.status === 401) {
    if (error.code === 'missing_api_key') return 1001;
    return error.code === 'expired_api_key' ? 1004 : 1002;
  }
  if (error.code === 'insufficient_balance' || error.code === 'key_spend_limit_reached') return 1102;
  if (error.status === 403) return 1103;
  if (error.status === 404) return 1203;
  if (error.status === 429) return error.code === 'key_concurrency_limited' ? 1303 : 1302;
  if (error.code === 'content_policy_violation') return 1301;
  if (error.status === 413 || error.status === 415 || error.status === 414) return 1200;
  if (error.status < 500) return 1201;
  if (error.status === 503) return 5001;
  if (error.status === 504) return 5002;
  return 5000;
}

export function klingErrorBody(error: ApiError): z.infer<typeof klingErrorResponseSchema> {
  return { code: klingCode(error), message: nativeErrorMessage(error), request_id: randomUUID() };
}
