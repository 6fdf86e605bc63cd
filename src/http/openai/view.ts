/**
 * What a task looks like on the OpenAI-compatible surface: OpenAI's Video object. The id is the public task id,
 * so a task is the same task on both surfaces.
 */
import { z } from 'zod';
import type { TaskJobRow } from '../../store/schema.js';
import type { TaskWithJobs } from '../../store/tasks.js';
import type { VideoRequest } from '../../tasks/video-request.js';
import { jobFacts, leadJob, seconds, taskError, taskProgress } from '../../tasks/task.js';

const videoStatusSchema = z.enum(['queued', 'in_progress', 'completed', 'failed']);
export type OpenAIVideoStatus = z.infer<typeof videoStatusSchema>;

/** A job waits in a queue until its vendor has confirmed it and says it started. */
const isQueued = (job: TaskJobRow) =>
  job.state === 'submitting' || (job.state === 'processing' && job.queued === 1);

function videoStatus({ task, jobs }: TaskWithJobs): OpenAIVideoStatus {
  if (task.status === 'succeeded') return 'completed';
  if (task.status === 'failed') return 'failed';
  const open = jobs.filter((j) => j.state === 'submitting' || j.state === 'processing');
  return open.length > 0 && open.every(isQueued) ? 'queued' : 'in_progress';
}

/** OpenAI's Video object (openai-node `Video`), as /v1/videos answers it. */
export const openaiVideoSchema = z
  .object({
    id: z.string(),
    object: z.literal('video'),
    model: z.string(),
    status: videoStatusSchema,
    progress: z.number().min(0).max(100).meta({ description: '0–100.' }),
    created_at: z.number().int().meta({ description: 'Unix seconds.' }),
    completed_at: z.number().int().nullable().meta({ description: 'Unix seconds.' }),
    expires_at: z.number().int().nullable().meta({
      description:
        "When the content stops being downloadable: the end of Reelay's retention; null while only the vendor has it.",
    }),
    prompt: z.string(),
    seconds: z.string().nullable().meta({ description: 'Length in seconds, as a string ("4", "8", …).' }),
    size: z.string().nullable().meta({ description: 'Width x height in pixels: "1280x720".' }),
    remixed_from_video_id: z.string().nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
  })
  .meta({ id: 'OpenAIVideo' });

export type OpenAIVideo = z.infer<typeof openaiVideoSchema>;

export function openaiVideoView(taskWithJobs: TaskWithJobs): OpenAIVideo {
  const { task, jobs } = taskWithJobs;
  const request = JSON.parse(task.request) as VideoRequest;
  const lead = leadJob(jobs);
  const facts = jobFacts(lead);
  const duration = facts.durationSeconds ?? request.durationSeconds;
  const width = facts.width ?? request.width;
  const height = facts.height ?? request.height;
  return {
    id: task.id,
    object: 'video',
    model: task.model,
    status: videoStatus(taskWithJobs),
    progress: taskProgress(taskWithJobs),
    created_at: seconds(task.created_at)!,
    completed_at: seconds(task.completed_at),
    expires_at: seconds(lead.content_expires_at),
    prompt: request.prompt,
    seconds: duration === null ? null : String(duration),
    size: width !== null && height !== null ? `${width}x${height}` : null,
    remixed_from_video_id: request.remix?.sourceTaskId ?? null,
    error: taskError(task),
  };
}
