/** The generations surface of the origin document: POST /v1/video/generations and GET …/{task_id}. */
import type { FastifyInstance } from 'fastify';
import { InvalidRequestError, NotFoundError } from '../../errors.js';
import { listQuerySchema, parseWith } from '../openai/request.js';
import { parseGenerationsRequest } from './request.js';
import { generationsTaskView } from './view.js';
import { deliveryView } from '../../engine/webhook-sender.js';
import type { TaskWithJobs } from '../../store/tasks.js';
import type { Gateway } from '../../gateway.js';
import { idempotencyOf } from '../idempotency.js';
import { publicBaseUrl } from '../public-url.js';
import { afterPreferredWait } from '../prefer-wait.js';
import { taskEventStreams } from '../task-events.js';

export function generationsApi(gateway: Gateway) {
  return async function plugin(app: FastifyInstance) {
    app.addHook('onRequest', async (request) => {
      request.caller = await gateway.apiKeys.authenticate(request);
    });

    const { config } = gateway;
    const waiting = { intervalMs: config.TASK_WATCH_INTERVAL_MS, maxSeconds: config.PREFER_WAIT_MAX_SECONDS };
    const events = taskEventStreams(app, gateway.tasks, {
      intervalMs: config.TASK_WATCH_INTERVAL_MS,
      heartbeatMs: config.EVENT_STREAM_HEARTBEAT_MS,
    });

    app.post('/v1/video/generations', async (request, reply) => {
      const videoRequest = parseGenerationsRequest(request.body, gateway.webhookTargets);
      const idempotency = idempotencyOf(request, videoRequest);
      const submitted = await gateway.tasks.submit(request.caller, videoRequest, { idempotency });
      const task = await afterPreferredWait(request, reply, gateway.tasks, submitted, waiting);
      return generationsTaskView(task, gateway.links.forBase(publicBaseUrl(gateway.config, request)));
    });

    // The caller's tasks, newest first (`after`: the last task_id of the previous page); the console's table.
    app.get('/v1/video/generations', async (request) => {
      const query = parseWith(listQuerySchema, request.query);
      const page = await gateway.tasks.listOwn({
        userId: request.caller.userId,
        after: query.after ?? null,
        limit: query.limit,
        order: query.order,
      });
      if (page.kind === 'unknown_cursor') throw new InvalidRequestError(`No task ${query.after}`, 'after');
      const links = gateway.links.forBase(publicBaseUrl(gateway.config, request));
      return { data: page.tasks.map((task) => generationsTaskView(task, links)), has_more: page.hasMore };
    });

    async function ownTask(taskId: string, userId: string): Promise<TaskWithJobs> {
      if (taskId.length > 100) throw new InvalidRequestError('task_id is too long', 'task_id');
      const found = await gateway.tasks.findOwn(taskId, userId);
      if (!found) throw new NotFoundError(`No task ${taskId}`, 'task_id', 'task_not_found');
      return found;
    }

    app.get<{ Params: { task_id: string } }>('/v1/video/generations/:task_id', async (request, reply) => {
      const found = await afterPreferredWait(
        request,
        reply,
        gateway.tasks,
        await ownTask(request.params.task_id, request.caller.userId),
        waiting,
      );
      const now = Date.now();
      const base = publicBaseUrl(gateway.config, request);
      const json = gateway.tasks.serialize(
        found,
        `generations ${base} ${gateway.links.expiryOfLinksMadeAt(now)}`,
        (task) => generationsTaskView(task, gateway.links.forBase(base, now)),
      );
      return reply.type('application/json; charset=utf-8').send(json);
    });

    app.get<{ Params: { task_id: string } }>(
      '/v1/video/generations/:task_id/events',
      async (request, reply) => {
        const { task } = await ownTask(request.params.task_id, request.caller.userId);
        const base = publicBaseUrl(gateway.config, request);
        await events.stream(request, reply, task.id, (found) =>
          generationsTaskView(found, gateway.links.forBase(base)),
        );
      },
    );

    app.post<{ Params: { task_id: string } }>('/v1/video/generations/:task_id/cancel', async (request) => {
      const found = await ownTask(request.params.task_id, request.caller.userId);
      const task = await gateway.tasks.cancelOwn(found, request.caller.userId);
      return generationsTaskView(task, gateway.links.forBase(publicBaseUrl(gateway.config, request)));
    });

    // The task's webhook deliveries and every attempt: what was sent where, and what the receiver answered.
    app.get<{ Params: { task_id: string } }>('/v1/video/generations/:task_id/deliveries', async (request) => {
      const { task } = await ownTask(request.params.task_id, request.caller.userId);
      return { data: (await gateway.tasks.deliveries(task.id)).map(deliveryView) };
    });
  };
}
