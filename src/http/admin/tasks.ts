/**
 * /admin/v1/tasks: every user's tasks for operators, newest first with filters, and one task in full: the
 * request, each generation's history (channel, poll attempts, last error, times) and a signed link to the video.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { InvalidRequestError, NotFoundError } from '../../errors.js';
import type { ResultLinks } from '../../content/links.js';
import { costView, jobFacts, seconds, taskError, taskProgress } from '../../tasks/task.js';
import type { VideoRequest } from '../../tasks/video-request.js';
import { requestAsSent } from './request-as-sent.js';
import type { TaskJobRow } from '../../store/schema.js';
import type { TaskWithJobs } from '../../store/tasks.js';
import type { Gateway } from '../../gateway.js';
import { publicBaseUrl } from '../public-url.js';
import { parseQuery } from './billing.js';
import { apiDoc } from '../openapi/route-doc.js';
import { taskCostSchema } from '../generations/view.js';

const listQuery = z
  .object({
    status: z.enum(['processing', 'succeeded', 'failed']).optional(),
    model: z.string().min(1).max(200).optional(),
    user_id: z.string().min(1).max(100).optional(),
    key_id: z.string().min(1).max(100).optional(),
    channel_id: z.string().min(1).max(100).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    /** The last id of the previous page. */
    before: z.string().min(1).max(100).optional(),
  })
  .strict();

const taskSummarySchema = z
  .object({
    id: z.string(),
    status: z.enum(['processing', 'succeeded', 'failed']),
    model: z.string(),
    user_id: z.string(),
    key_id: z.string().nullable(),
    channel_ids: z.array(z.string()),
    n: z.number().int(),
    surface: z.string().meta({ description: 'Where it was submitted: generations, openai, kling or vidu.' }),
    progress: z.number(),
    cost: taskCostSchema,
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    created_at: z.number().int().nullable(),
    completed_at: z.number().int().nullable(),
    duration_ms: z
      .number()
      .nullable()
      .meta({ description: 'How long it took, submit to end; null while it runs.' }),
    video_seconds: z
      .number()
      .nullable()
      .meta({ description: 'Length of the video, as the vendor reported it; null until known.' }),
    deleted: z.boolean(),
  })
  .meta({ id: 'AdminTaskSummary' });

const taskDetailSchema = taskSummarySchema
  .extend({
    request: z.unknown().meta({ description: 'The unified request, long strings shortened.' }),
    warnings: z.array(z.string()),
    end_user: z.string().nullable(),
    callback_url: z.string().nullable(),
    updated_at: z.number().int().nullable(),
    jobs: z.array(
      z.object({
        position: z.number().int(),
        state: z.string(),
        channel_id: z.string().nullable(),
        upstream_model: z.string().nullable(),
        progress: z.number().nullable(),
        queued: z.boolean(),
        poll_attempts: z.number().int(),
        last_error: z.string().nullable(),
        error: z.object({ code: z.string().nullable(), message: z.string().nullable() }).nullable(),
        cost_estimate: z.number().nullable(),
        cost: z.number().nullable(),
        created_at: z.number().int().nullable(),
        updated_at: z.number().int().nullable(),
        completed_at: z.number().int().nullable(),
        video_url: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'AdminTask' });

const onTasks = { tag: 'admin', security: 'adminToken' } as const;

/** One row of the operator's task table. */
export function taskSummary({ task, jobs }: TaskWithJobs): z.infer<typeof taskSummarySchema> {
  return {
    id: task.id,
    status: task.status,
    model: task.model,
    user_id: task.user_id,
    key_id: task.key_id,
    channel_ids: [...new Set(jobs.flatMap((job) => (job.channel_id ? [job.channel_id] : [])))],
    n: task.n,
    surface: task.surface,
    progress: taskProgress({ task, jobs }),
    cost: costView(task),
    error: taskError(task),
    created_at: seconds(task.created_at),
    completed_at: seconds(task.completed_at),
    /** How long it took, submit to end; null while it runs. */
    duration_ms: task.completed_at === null ? null : task.completed_at - task.created_at,
    /** The video's length in seconds, as made (or as asked while it runs); null when unknown. */
    video_seconds: jobs.map((job) => jobFacts(job).durationSeconds).find((s) => s !== null) ?? null,
    deleted: task.deleted_at !== null,
  };
}

/** Long strings (base64 images) shortened, so the request stays readable and small. */
function abbreviated(value: unknown): unknown {
  if (typeof value === 'string')
    return value.length > 300 ? `${value.slice(0, 80)}… (${value.length} characters)` : value;
  if (Array.isArray(value)) return value.map(abbreviated);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, abbreviated(v)]));
  return value;
}

function jobHistory(job: TaskJobRow, links: ResultLinks) {
  return {
    position: job.position,
    state: job.state,
    channel_id: job.channel_id,
    upstream_model: job.upstream_model,
    progress: job.progress,
    queued: job.queued === 1,
    poll_attempts: job.poll_attempts,
    last_error: job.last_error,
    error: job.state === 'failed' ? { code: job.error_code, message: job.error_message } : null,
    cost_estimate: job.cost_estimate,
    cost: job.cost,
    created_at: seconds(job.created_at),
    updated_at: seconds(job.updated_at),
    completed_at: seconds(job.completed_at),
    video_url: links.videoUrl(job),
  };
}

export function adminTasks(gateway: Gateway) {
  const { admin } = gateway;
  return async function plugin(app: FastifyInstance) {
    const listDoc = {
      ...onTasks,
      summary: "Every user's tasks, newest first, with filters",
      query: listQuery,
      responses: {
        200: {
          description: 'A page of tasks',
          schema: z.object({ data: z.array(taskSummarySchema), has_more: z.boolean() }),
        },
      },
    };
    app.get('/tasks', apiDoc(listDoc), async (request) => {
      const query = parseQuery(listQuery, request.query);
      const page = await admin.listTasks({
        status: query.status,
        model: query.model,
        userId: query.user_id,
        keyId: query.key_id,
        channelId: query.channel_id,
        before: query.before,
        limit: query.limit,
      });
      if (page.kind === 'unknown_cursor') throw new InvalidRequestError(`No task ${query.before}`, 'before');
      return { data: page.tasks.map(taskSummary), has_more: page.hasMore };
    });

    const taskDoc = {
      ...onTasks,
      summary: 'A task in full: the request and each generation’s history',
      params: z.object({ id: z.string() }),
      responses: { 200: { description: 'The task', schema: taskDetailSchema } },
      errors: [404],
    };
    app.get<{ Params: { id: string } }>('/tasks/:id', apiDoc(taskDoc), async (request) => {
      const found = await admin.findTask(request.params.id);
      if (!found) throw new NotFoundError(`No task ${request.params.id}`, 'id', 'task_not_found');
      const links = gateway.links.forBase(publicBaseUrl(gateway.config, request));
      const { task, jobs } = found;
      const detail: z.infer<typeof taskDetailSchema> = {
        ...taskSummary(found),
        request: abbreviated(requestAsSent(JSON.parse(task.request) as VideoRequest, task.surface)),
        warnings: task.warnings ? (JSON.parse(task.warnings) as string[]) : [],
        end_user: task.end_user,
        callback_url: task.callback_url,
        updated_at: seconds(task.updated_at),
        jobs: jobs.map((job) => jobHistory(job, links)),
      };
      return detail;
    });
  };
}
