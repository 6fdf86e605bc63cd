/**
 * GET /v1/video/generations/{task_id}: the answer both ways it is made. The route (routes.ts) answers through
 * Fastify; the read clients repeat most (an ended task, with a key seen lately) is also answered before Fastify's
 * router, from memory: Fastify's lifecycle alone costs more than the goal of issue 21 allows (docs/benchmarks.md).
 * Both take the key, the task and its JSON from the same functions, and the client sees the same bytes and the
 * metrics count the same (task-query.test.ts compares them).
 */
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { GatewayParts } from '../../gateway.js';
import type { HttpSeries } from '../../observability/http-metrics.js';
import type { TaskWithJobs } from '../../store/tasks.js';
import { bareRequestBaseUrl } from '../public-url.js';
import { generationsTaskView } from './view.js';

export const taskRoute = '/v1/video/generations/:task_id';
export const taskJsonType = 'application/json; charset=utf-8';
const taskPathPrefix = '/v1/video/generations/';

type QueryParts = Pick<GatewayParts, 'config' | 'apiKeys' | 'tasks' | 'links' | 'metrics'>;

/** The task as GET answers it, its links based at `base`; an ended task's JSON is made once (EndedTasks). */
export function taskJson({ tasks, links }: QueryParts, found: TaskWithJobs, base: string): string {
  const now = Date.now();
  return tasks.serialize(found, `generations ${base} ${links.expiryOfLinksMadeAt(now)}`, (task) =>
    generationsTaskView(task, links.forBase(base, now)),
  );
}

export class TaskQueryFastPath {
  /** Requests answered here (tests check that the fast path was taken). */
  answered = 0;
  /** Off once the app starts closing (Fastify then answers 503), or where a test compares with Fastify alone. */
  enabled = true;

  /** What a fast answer counts in: the route's 200s. */
  private readonly metricsSeries: HttpSeries;

  constructor(private readonly parts: QueryParts) {
    this.metricsSeries = parts.metrics.httpSeries(taskRoute, 'GET', 200);
  }

  /**
   * Answers an ended task's read when everything it needs is in memory: a plain GET of the path (no query, no
   * `Prefer`), a Bearer key known and good, the caller's task in the ended-task cache. False otherwise, with
   * nothing done: Fastify answers, as it would have.
   */
  answer(request: IncomingMessage, response: ServerResponse): boolean {
    const url = request.url!;
    if (!this.enabled || request.method !== 'GET' || !url.startsWith(taskPathPrefix)) return false;
    if (request.headers.prefer !== undefined) return false;
    const started = performance.now();
    const { apiKeys, tasks, config } = this.parts;
    const caller = apiKeys.knownCaller(request.headers.authorization, request.socket);
    // A query string or a trailing slash is no task id: the route decides those.
    const found = caller && tasks.heldOwn(url.slice(taskPathPrefix.length), caller.userId);
    const base = found && bareRequestBaseUrl(config, request);
    if (!found || base === undefined) return false;
    let json: string;
    try {
      json = taskJson(this.parts, found, base);
    } catch {
      // Nothing is written yet: the route fails the same way and answers the error.
      return false;
    }
    response.writeHead(200, { 'content-type': taskJsonType, 'content-length': Buffer.byteLength(json) });
    response.end(json);
    this.answered++;
    this.metricsSeries.record((performance.now() - started) / 1000);
    return true;
  }
}

/**
 * Puts `fastPath` in front of Fastify on the server Fastify made (with its timeouts and options): every request
 * the fast path leaves goes to Fastify's handler, Fastify's only 'request' listener.
 */
export function answerBeforeRouter(server: Server, fastPath: TaskQueryFastPath): void {
  const listeners = server.listeners('request') as RequestListener[];
  if (listeners.length !== 1) throw new Error(`expected Fastify's handler alone, found ${listeners.length}`);
  const [fastify] = listeners as [RequestListener];
  server.removeListener('request', fastify);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (!fastPath.answer(request, response)) fastify.call(server, request, response);
  });
}
