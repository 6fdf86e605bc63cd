/**
 * Server-sent events of one task (GET /v1/video/generations/{task_id}/events, GET /v1/videos/{id}/events): an
 * `event: status` each time what the client sees moves forward, the task in the surface's shape as `data`, a
 * final `event: done` once it has ended, then the stream closes. The stream reads the task's row
 * (TaskService.watchOwn), so it sees what any instance did. Each event's `id` is a sequence number computed from
 * the task's state itself (not a counter of this connection), so `Last-Event-ID` resumes on any instance.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TaskWithJobs } from '../store/tasks.js';
import { taskProgress } from '../tasks/task.js';
import type { TaskService } from '../tasks/service.js';

/** Every ended task's sequence number: above any running state's. */
const endedSequence = 2_000;
/** Generating states' numbers start here, above every waiting state's. */
const generatingSequence = 1_000;

/**
 * Where a task is, as one number that only grows while the task moves forward: waiting (at an unknown place, then
 * at its place in the vendor's queue, nearer the front higher), then waiting (even) or started (odd) at each
 * percent of progress, then ended. A vendor's progress going backwards sends no event.
 */
export function taskSequence(found: TaskWithJobs): number {
  if (found.task.status !== 'processing') return endedSequence;
  const started = found.jobs.some((job) => job.state === 'processing' && job.queued === 0);
  const progress = taskProgress(found);
  if (started || progress > 0) return generatingSequence + 1 + 2 * progress + (started ? 1 : 0);
  const place = queuePosition(found);
  return place === null ? 1 : generatingSequence - 1 - Math.min(place, generatingSequence - 3);
}

/** How many wait ahead of the task's first queued generation, where its vendor says (fal); else null. */
export function queuePosition(found: TaskWithJobs): number | null {
  const positions = found.jobs.flatMap((job) =>
    job.state === 'processing' && job.queued === 1 && job.queue_position !== null ? [job.queue_position] : [],
  );
  return positions.length > 0 ? Math.min(...positions) : null;
}

/**
 * The task in its surface's shape, plus `queue_position` while a vendor says where it waits: an extra of the
 * event stream only (docs: README "Events"); the documented GET shapes stay as they are.
 */
function withQueuePosition(found: TaskWithJobs, render: (found: TaskWithJobs) => unknown): unknown {
  const view = render(found);
  const place = queuePosition(found);
  return place === null || typeof view !== 'object' || view === null
    ? view
    : { ...view, queue_position: place };
}

export interface TaskEventStreams {
  /** Streams the caller's task; the task must have been found (a 404 is answered before the stream starts). */
  stream(
    request: FastifyRequest,
    reply: FastifyReply,
    taskId: string,
    render: (found: TaskWithJobs) => unknown,
  ): Promise<void>;
}

/** Open streams end when the server closes, so that a graceful stop does not wait for clients. */
export function taskEventStreams(
  app: FastifyInstance,
  tasks: TaskService,
  { intervalMs, heartbeatMs }: { intervalMs: number; heartbeatMs: number },
): TaskEventStreams {
  const open = new Set<AbortController>();
  app.addHook('preClose', async () => {
    for (const stream of open) stream.abort();
  });

  return {
    async stream(request, reply, taskId, render) {
      const lastSeen = Number(request.headers['last-event-id']);
      let sent = Number.isInteger(lastSeen) ? lastSeen : 0;
      const stop = new AbortController();
      open.add(stop);
      reply.hijack();
      const out = reply.raw;
      out.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // Proxies such as nginx would otherwise hold the events back.
        'x-accel-buffering': 'no',
      });
      out.write('retry: 2000\n\n');
      reply.raw.on('close', () => stop.abort());
      const heartbeat = setInterval(() => out.write(': heartbeat\n\n'), heartbeatMs);
      try {
        const watch = tasks.watchOwn(taskId, request.caller.userId, { intervalMs, signal: stop.signal });
        for await (const found of watch) {
          const sequence = taskSequence(found);
          if (sequence > sent) {
            out.write(
              `event: status\nid: ${sequence}\ndata: ${JSON.stringify(withQueuePosition(found, render))}\n\n`,
            );
            sent = sequence;
          }
          if (found.task.status !== 'processing') {
            out.write(`event: done\ndata: ${JSON.stringify({ status: found.task.status })}\n\n`);
          }
        }
      } catch (err) {
        request.log.warn({ err, task: taskId }, 'event stream failed');
      } finally {
        clearInterval(heartbeat);
        open.delete(stop);
        out.end();
      }
    },
  };
}
