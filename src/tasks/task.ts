/** The task model's readings shared by every surface's view: facts, lead job, error, progress, cost. */
import type { VideoFacts } from '../vendors/adapter.js';
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
export function costView(task: TaskWithJobs['task']): TaskCost {
  if (task.cost === null) return { state: 'reserved', amount: task.cost_reserved };
  return { state: task.status === 'failed' ? 'refunded' : 'charged', amount: task.cost };
}

export interface TaskCost {
  state: 'reserved' | 'charged' | 'refunded';
  /** Micro-units: held while the task runs, then charged or refunded. */
  amount: number | null;
}
