/** What a task looks like to its owner on the generations surface (GET /v1/video/generations/{task_id}). */
import type { ResultLinks } from '../../content/links.js';
import type { TaskJobRow } from '../../store/schema.js';
import type { TaskWithJobs } from '../../store/tasks.js';
import type { VideoFacts } from '../../vendors/adapter.js';
import {
  costView,
  jobFacts,
  leadJob,
  seconds,
  taskError,
  taskProgress,
  type TaskCost,
} from '../../tasks/task.js';

/** What the video is, in the origin document's names: the vendor's report, else what was asked and honoured. */
export interface GenerationsVideoMetadata {
  duration: number | null;
  fps: number | null;
  height: number | null;
  seed: number | null;
  width: number | null;
}

export interface GenerationsError {
  code: string;
  message: string;
}

/** The answer of POST and GET /v1/video/generations, as the origin document shows it, with Reelay's extras. */
export interface GenerationsTask {
  task_id: string;
  status: 'processing' | 'succeeded' | 'failed';
  format: 'mp4';
  /** Reelay's signed content link, on success. */
  url: string | null;
  metadata: GenerationsVideoMetadata;
  error: GenerationsError | null;
  model: string;
  /** 0–100; 100 once ended. */
  progress: number;
  /** Unix seconds. */
  created_at: number | null;
  completed_at: number | null;
  /** Each generation, when n > 1. */
  videos?: {
    status: 'processing' | 'succeeded' | 'failed';
    url: string | null;
    metadata: GenerationsVideoMetadata;
    error: GenerationsError | null;
  }[];
  cost: TaskCost;
  /** What the vendor could not honour. */
  warnings?: string[];
}

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
