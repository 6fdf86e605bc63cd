/**
 * What Vidu-shaped clients read: the create answer (a flat object echoing the request, state `created` …), the
 * creations query (`{id, state, err_code, creations: [{id, url, cover_url, watermarked_url}]}`), and errors as
 * Vidu's `{code, reason, message, metadata}` with the HTTP status as `code`. Task ids are Reelay's; the URLs are
 * Reelay's signed content links. Source: Vidu's API reference (copies at ZeoXel/SUNSTUDIO docs/vidu.md for the
 * create answers, ZeoXel/ZeoCanvas "vidu查询生成结果.md" for the query, and the cancel page for the error shape).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ResultLinks } from '../../../content/links.js';
import type { ApiError } from '../../../errors.js';
import type { TaskWithJobs } from '../../../store/tasks.js';
import { leadJob } from '../../../tasks/task.js';
import type { VideoRequest } from '../../../tasks/video-request.js';
import { nativeErrorMessage, nativeParam } from '../error-message.js';

export const viduStates = ['created', 'queueing', 'processing', 'success', 'failed'] as const;

/** The create answer: the task and what was asked (fields not sent are left out: Reelay does not guess Vidu's defaults). */
export const viduCreateResponseSchema = z
  .object({
    task_id: z.string(),
    state: z.enum(viduStates),
    model: z.string(),
    prompt: z.string().optional(),
    images: z.array(z.string()).optional(),
    duration: z.number().int().optional(),
    seed: z.number().int().optional(),
    aspect_ratio: z.string().optional(),
    resolution: z.string().optional(),
    style: z.string().optional(),
    movement_amplitude: z.string().optional(),
    bgm: z.boolean(),
    audio: z.boolean().optional(),
    payload: z.string(),
    off_peak: z.boolean(),
    watermark: z.boolean(),
    /** RFC 3339, as Vidu gives it. */
    created_at: z.string(),
  })
  .meta({ id: 'ViduCreateResponse' });
export type ViduCreateResponse = z.infer<typeof viduCreateResponseSchema>;

export const viduCreationsResponseSchema = z
  .object({
    id: z.string(),
    state: z.enum(viduStates),
    /** Why the task failed (Reelay's error code); empty otherwise. */
    err_code: z.string(),
    payload: z.string(),
    bgm: z.boolean(),
    off_peak: z.boolean(),
    creations: z.array(
      z.object({ id: z.string(), url: z.string(), cover_url: z.string(), watermarked_url: z.string() }),
    ),
  })
  .meta({ id: 'ViduCreationsResponse' });
export type ViduCreationsResponse = z.infer<typeof viduCreationsResponseSchema>;

export const viduErrorResponseSchema = z
  .object({
    code: z.number().int(),
    reason: z.string(),
    message: z.string(),
    metadata: z.record(z.string(), z.string()),
  })
  .meta({ id: 'ViduError' });

function viduState({ task, jobs }: TaskWithJobs): ViduCreationsResponse['state'] {
  if (task.status === 'succeeded') return 'success';
  if (task.status === 'failed') return 'failed';
  if (jobs.every((job) => job.state === 'submitting')) return 'created';
  return jobs.some((job) => job.state === 'processing' && !job.queued) ? 'processing' : 'queueing';
}

/** The request's Vidu fields, as stored (native/vidu/request.ts put them in metadata). */
function viduFields(found: TaskWithJobs) {
  const request = JSON.parse(found.task.request) as VideoRequest;
  const meta = request.metadata;
  return { request, meta, payload: (meta.payload as string | undefined) ?? '' };
}

const defined = <T extends Record<string, unknown>>(fields: T): Partial<T> =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;

export function viduCreateView(found: TaskWithJobs): ViduCreateResponse {
  const { request, meta, payload } = viduFields(found);
  return {
    task_id: found.task.id,
    state: viduState(found),
    model: found.task.model,
    ...defined({
      prompt: request.prompt || undefined,
      images: (meta.images ?? meta.reference_images) as string[] | undefined,
      duration: request.durationSeconds ?? undefined,
      seed: request.seed ?? undefined,
      aspect_ratio: meta.aspect_ratio as string | undefined,
      resolution: meta.resolution as string | undefined,
      style: meta.style as string | undefined,
      movement_amplitude: meta.movement_amplitude as string | undefined,
      audio: meta.audio as boolean | undefined,
    }),
    bgm: meta.bgm === true,
    payload,
    off_peak: meta.off_peak === true,
    watermark: meta.watermark === true,
    created_at: new Date(found.task.created_at).toISOString(),
  };
}

export function viduCreationsView(found: TaskWithJobs, links: ResultLinks): ViduCreationsResponse {
  const { meta, payload } = viduFields(found);
  const { task, jobs } = found;
  const lead = leadJob(jobs);
  const url = task.status === 'succeeded' ? links.videoUrl(lead) : null;
  return {
    id: task.id,
    state: viduState(found),
    err_code: task.status === 'failed' ? (task.error_code ?? 'generation_failed') : '',
    payload,
    bgm: meta.bgm === true,
    off_peak: meta.off_peak === true,
    // Reelay keeps the video only: no cover or watermarked copy to link to.
    creations: url ? [{ id: lead.id, url, cover_url: '', watermarked_url: '' }] : [],
  };
}

/** Vidu's reason words (go-kratos style errors), by HTTP status. */
const viduReasons: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  413: 'RequestEntityTooLarge',
  414: 'RequestURITooLong',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
};

export function viduErrorBody(error: ApiError): z.infer<typeof viduErrorResponseSchema> {
  const param = nativeParam(error);
  return {
    code: error.status,
    reason:
      error.code === 'insufficient_balance'
        ? 'CreditInsufficient'
        : (viduReasons[error.status] ?? 'InternalServiceFailure'),
    message: nativeErrorMessage(error),
    metadata: {
      trace_id: randomUUID(),
      ...(error.code ? { reelay_code: error.code } : {}),
      ...(param ? { param } : {}),
    },
  };
}
