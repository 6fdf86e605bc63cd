/** What a task looks like to its owner on the generations surface (GET /v1/video/generations/{task_id}). */
import { z } from 'zod';
import type { ResultLinks } from '../../content/links.js';
import type { TaskJobRow } from '../../store/schema.js';
import type { TaskWithJobs } from '../../store/tasks.js';
import type { VideoFacts } from '../../vendors/adapter.js';
import { costView, jobFacts, leadJob, seconds, taskError, taskProgress } from '../../tasks/task.js';

const taskStatus = z.enum(['processing', 'succeeded', 'failed']);

/** What the video is, in the origin document's names: the vendor's report, else what was asked and honoured. */
const videoMetadataSchema = z
  .object({
    duration: z.number().nullable().meta({ description: 'Seconds.' }),
    fps: z.number().nullable(),
    height: z.number().nullable().meta({ description: 'Pixels.' }),
    seed: z.number().nullable(),
    width: z.number().nullable().meta({ description: 'Pixels.' }),
  })
  .meta({ id: 'GenerationsVideoMetadata' });

const taskErrorSchema = z.object({ code: z.string(), message: z.string() }).meta({ id: 'TaskError' });

export const taskCostSchema = z
  .object({
    state: z.enum(['reserved', 'charged', 'refunded']),
    amount: z
      .number()
      .nullable()
      .meta({ description: 'Micro-units: held while the task runs, then charged or refunded.' }),
  })
  .meta({ id: 'TaskCost' });

/** The answer of POST and GET /v1/video/generations, as the origin document shows it, with Reelay's extras. */
export const generationsTaskSchema = z
  .object({
    task_id: z.string(),
    status: taskStatus,
    format: z.literal('mp4'),
    url: z.string().nullable().meta({ description: "Reelay's signed content link, on success." }),
    metadata: videoMetadataSchema,
    error: taskErrorSchema.nullable(),
    model: z.string(),
    progress: z.number().min(0).max(100).meta({ description: '0–100; 100 once ended.' }),
    created_at: z.number().int().nullable().meta({ description: 'Unix seconds.' }),
    completed_at: z.number().int().nullable().meta({ description: 'Unix seconds.' }),
    videos: z
      .array(
        z.object({
          status: taskStatus,
          url: z.string().nullable(),
          metadata: videoMetadataSchema,
          error: taskErrorSchema.nullable(),
        }),
      )
      .optional()
      .meta({ description: 'Each generation, when n > 1.' }),
    cost: taskCostSchema,
    warnings: z.array(z.string()).optional().meta({ description: 'What the vendor could not honour.' }),
  })
  .meta({ id: 'GenerationsTask' });

export type GenerationsTask = z.infer<typeof generationsTaskSchema>;

/** A page of the caller's tasks (GET /v1/video/generations). */
export const generationsTaskListSchema = z.object({
  data: z.array(generationsTaskSchema),
  has_more: z.boolean(),
});

/** A task's webhook delivery and its attempts (engine/webhook-sender.ts deliveryView). */
export const deliverySchema = z
  .object({
    id: z.string(),
    url: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    created_at: z.number().int().nullable(),
    delivered_at: z.number().int().nullable(),
    next_attempt_at: z.number().int().nullable(),
    attempts: z.array(
      z.object({
        attempt: z.number().int(),
        at: z.number().int().nullable(),
        duration_ms: z.number(),
        status_code: z.number().int().nullable(),
        error: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'WebhookDelivery' });

export const deliveryListSchema = z.object({ data: z.array(deliverySchema) });
type GenerationsVideoMetadata = z.infer<typeof videoMetadataSchema>;
type GenerationsError = z.infer<typeof taskErrorSchema>;

function videoMetadata(facts: VideoFacts): GenerationsVideoMetadata {
  return {
    duration: facts.durationSeconds,
    fps: facts.fps,
    height: facts.height,
    seed: facts.seed,
    width: facts.width,
  };
}

function jobError(job: TaskJobRow): GenerationsError | null {
  return job.state === 'failed'
    ? { code: job.error_code ?? 'generation_failed', message: job.error_message ?? 'generation failed' }
    : null;
}

/** `links` decides each video's url: Reelay's own content link or the vendor's (content/links.ts). */
export function generationsTaskView(taskWithJobs: TaskWithJobs, links: ResultLinks): GenerationsTask {
  const { task, jobs } = taskWithJobs;
  const lead = leadJob(jobs);
  const warnings = task.warnings ? (JSON.parse(task.warnings) as string[]) : [];
  return {
    task_id: task.id,
    status: task.status,
    format: 'mp4',
    url: task.status === 'succeeded' ? links.videoUrl(lead) : null,
    metadata: videoMetadata(jobFacts(lead)),
    error: taskError(task),
    model: task.model,
    progress: taskProgress(taskWithJobs),
    created_at: seconds(task.created_at),
    completed_at: seconds(task.completed_at),
    ...(task.n > 1
      ? {
          videos: jobs.map((job) => ({
            status: job.state === 'submitting' ? 'processing' : job.state,
            url: links.videoUrl(job),
            metadata: videoMetadata(jobFacts(job)),
            error: jobError(job),
          })),
        }
      : {}),
    cost: costView(task),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}
