/**
 * What a task looks like on the OpenAI-compatible surface: OpenAI's Video object. The id is the public task id,
 * so a task is the same task on both surfaces.
 */
import type { TaskJobRow } from '../../store/schema.js';
import type { TaskWithJobs } from '../../store/tasks.js';
import type { VideoRequest } from '../../tasks/video-request.js';
import { jobFacts, leadJob, seconds, taskError, taskProgress } from '../../tasks/task.js';

export type OpenAIVideoStatus = 'queued' | 'in_progress' | 'completed' | 'failed';

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
export interface OpenAIVideo {
  id: string;
  object: 'video';
  model: string;
  status: OpenAIVideoStatus;
  /** 0–100. */
  progress: number;
  /** Unix seconds. */
  created_at: number;
  completed_at: number | null;
  /** When the content stops being downloadable: the end of Reelay's retention; null while only the vendor has it. */
  expires_at: number | null;
  prompt: string;
  /** Length in seconds, as a string ("4", "8", …). */
  seconds: string | null;
  /** "1280x720". */
  size: string | null;
  remixed_from_video_id: string | null;
  error: { code: string; message: string } | null;
}

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
