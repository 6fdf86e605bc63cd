/**
 * `Prefer: wait=N` (RFC 7240) on submits and reads: the answer is held until the task ends or N seconds pass,
 * then it is the task as it is then, with `Preference-Applied: wait=N`. A client that goes away stops the wait,
 * never the task.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TaskWithJobs } from '../store/tasks.js';
import type { TaskService } from '../tasks/service.js';

/** The wait the client prefers, in whole seconds capped at `maxSeconds`; null when it asks for none. */
export function preferredWait(request: FastifyRequest, maxSeconds: number): number | null {
  const header = request.headers.prefer;
  if (header === undefined) return null;
  const values = Array.isArray(header) ? header.join(',') : (header ?? '');
  // Preferences are comma-separated, each `token[=value]` followed by optional `;` parameters.
  for (const preference of values.split(',')) {
    const match = /^\s*wait\s*=\s*"?(\d+)"?\s*(;.*)?$/i.exec(preference);
    if (match) return Math.min(Number(match[1]), maxSeconds);
  }
  return null;
}

export interface WaitSettings {
  intervalMs: number;
  maxSeconds: number;
}

/** The task once it has ended or the preferred wait has passed (or at once, when no wait is preferred). */
export async function afterPreferredWait(
  request: FastifyRequest,
  reply: FastifyReply,
  tasks: TaskService,
  found: TaskWithJobs,
  { intervalMs, maxSeconds }: WaitSettings,
): Promise<TaskWithJobs> {
  const seconds = preferredWait(request, maxSeconds);
  if (seconds === null) return found;
  reply.header('preference-applied', `wait=${seconds}`);
  if (found.task.status !== 'processing' || seconds === 0) return found;
  const gone = new AbortController();
  const stopWhenGone = () => gone.abort();
  reply.raw.on('close', stopWhenGone);
  const signal = AbortSignal.any([gone.signal, AbortSignal.timeout(seconds * 1000)]);
  let latest = found;
  try {
    const watch = tasks.watchOwn(found.task.id, found.task.user_id, { intervalMs, signal });
    for await (const seen of watch) latest = seen;
  } finally {
    reply.raw.off('close', stopWhenGone);
  }
  return latest;
}
