/** What a task looks like to its owner on the seed surface (GET /v1/video/generations/{task_id}). */
import type { VideoFacts } from '../vendors/adapter.js';
import type { ResultLinks } from '../content/links.js';
import type { TaskJobRow, TaskRow } from '../store/schema.js';
import type { TaskWithJobs } from '../store/tasks.js';

/** What Reelay's public task ids look like (newId('task')): anything else cannot name a task. */
export const publicTaskIdPattern = /^task_[0-9A-Za-z]{20}$/;

const noFacts: VideoFacts = { durationSeconds: null, fps: null, width: null, height: null, seed: null };

export function jobFacts(job: Pick<TaskJobRow, 'facts'>): VideoFacts {
  return job.facts ? { ...noFacts, ...(JSON.parse(job.facts) as Partial<VideoFacts>) } : noFacts;
}

export const seconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

/** The job a single-video view shows: the first that succeeded, else the first. */
export function leadJob(jobs: TaskJobRow[]): TaskJobRow {
  return jobs.find((j) => j.state === 'succeeded') ?? jobs[0]!;
}

function seedMetadata(facts: VideoFacts) {
  return {
    duration: facts.durationSeconds,
    fps: facts.fps,
    height: facts.height,
    seed: facts.seed,
    width: facts.width,
  };
}

function jobError(job: TaskJobRow) {
  return job.state === 'failed'
    ? { code: job.error_code ?? 'generation_failed', message: job.error_message ?? 'generation failed' }
    : null;
}

/** Why a failed task failed; null for any other. */
export function taskError(task: TaskRow) {
  return task.status === 'failed'
    ? { code: task.error_code ?? 'generation_failed', message: task.error_message ?? 'generation failed' }
    : null;
}

/** Overall progress: the mean of the jobs' progress, 100 once the task has ended. */
export function taskProgress({ task, jobs }: TaskWithJobs): number {
  if (task.status !== 'processing') return 100;
  return Math.floor(
    jobs.reduce(
      (sum, job) => sum + (job.state === 'processing' || job.state === 'submitting' ? job.progress : 100),
      0,
    ) / jobs.length,
  );
}

/** What the task costs, in micro-units: held while it runs, then charged (or refunded) when it ends. */
export function costView(task: TaskWithJobs['task']) {
  if (task.cost === null) return { state: 'reserved', amount: task.cost_reserved };
  return { state: task.status === 'failed' ? 'refunded' : 'charged', amount: task.cost };
}

/** `links` decides each video's url: Reelay's own content link or the vendor's (core/content-links.ts). */
export function seedTaskView(taskWithJobs: TaskWithJobs, links: ResultLinks) {
  const { task, jobs } = taskWithJobs;
  const lead = leadJob(jobs);
  const warnings = task.warnings ? (JSON.parse(task.warnings) as string[]) : [];
  return {
    task_id: task.id,
    status: task.status,
    format: 'mp4',
    url: task.status === 'succeeded' ? links.videoUrl(lead) : null,
    metadata: seedMetadata(jobFacts(lead)),
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
            metadata: seedMetadata(jobFacts(job)),
            error: jobError(job),
          })),
        }
      : {}),
    cost: costView(task),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

export type SeedTaskView = ReturnType<typeof seedTaskView>;
