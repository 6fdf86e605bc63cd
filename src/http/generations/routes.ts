/** The generations surface of the origin document: POST /v1/video/generations and GET …/{task_id}. */
import type { FastifyInstance } from 'fastify';
import { InvalidRequestError, NotFoundError } from '../../errors.js';
import { listQuerySchema, parseWith } from '../openai/request.js';
import { generationsRequestSchema, parseGenerationsRequest } from './request.js';
import { z } from 'zod';
import {
  deliveryListSchema,
  generationsTaskListSchema,
  generationsTaskSchema,
  generationsTaskView,
} from './view.js';
import { originJimengExample, originKlingExample, originViduExample } from './origin-examples.js';
import { apiDoc, jsonBodyErrors, type RouteDoc } from '../openapi/route-doc.js';
import { deliveryView } from '../../engine/webhook-sender.js';
import type { TaskWithJobs } from '../../store/tasks.js';
import type { Gateway } from '../../gateway.js';
import { idempotencyOf } from '../idempotency.js';
import { publicBaseUrl } from '../public-url.js';
import { afterPreferredWait } from '../prefer-wait.js';
import { taskEventStreams } from '../task-events.js';
import { taskJson, taskJsonType, taskRoute } from './task-query.js';

const taskParams = z.object({
  task_id: z.string().max(100).meta({ description: 'The task_id of the submit.' }),
});

/** What every route on one task shares in the document. */
const onTask = { tag: 'generations', security: 'apiKey', params: taskParams, errors: [404] } as const;
const oneTask = { 200: { description: 'The task', schema: generationsTaskSchema } };

const preferWait =
  'Send `Prefer: wait=N` (seconds, at most PREFER_WAIT_MAX_SECONDS) to hold the answer until the task ends or N seconds pass.';

const submitDoc: RouteDoc = {
  summary: 'Submit a video generation task',
  description: `Answers at once with the task (status processing); follow it with GET …/{task_id}, its events, or a callback_url. ${preferWait} An Idempotency-Key header makes a retried submit answer the first task.`,
  tag: 'generations',
  security: 'apiKey',
  body: {
    schema: generationsRequestSchema,
    examples: {
      kling: { summary: 'Kling (the origin document’s example)', value: originKlingExample },
      jimeng: { summary: 'Jimeng (the origin document’s example)', value: originJimengExample },
      vidu: { summary: 'Vidu (the origin document’s example)', value: originViduExample },
    },
  },
  responses: oneTask,
  errors: [403, 404, 409, 502, 503, ...jsonBodyErrors],
};

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

    app.post('/v1/video/generations', apiDoc(submitDoc), async (request, reply) => {
      const videoRequest = parseGenerationsRequest(request.body, gateway.webhookTargets);
      const idempotency = idempotencyOf(request, videoRequest);
      const submitted = await gateway.tasks.submit(request.caller, videoRequest, { idempotency });
      const task = await afterPreferredWait(request, reply, gateway.tasks, submitted, waiting);
      return generationsTaskView(task, gateway.links.forBase(publicBaseUrl(gateway.config, request)));
    });

    // The caller's tasks, newest first (`after`: the last task_id of the previous page); the console's table.
    const listDoc: RouteDoc = {
      summary: "The caller's tasks, newest first",
      tag: 'generations',
      security: 'apiKey',
      query: listQuerySchema,
      responses: { 200: { description: 'A page of tasks', schema: generationsTaskListSchema } },
    };
    app.get('/v1/video/generations', apiDoc(listDoc), async (request) => {
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

    const taskDoc = {
      ...onTask,
      summary: 'A task: its status, progress, video link and cost',
      description: preferWait,
      responses: oneTask,
    };
    // An ended task read with a key seen lately is mostly answered before reaching here (task-query.ts).
    app.get<{ Params: { task_id: string } }>(taskRoute, apiDoc(taskDoc), async (request, reply) => {
      const found = await afterPreferredWait(
        request,
        reply,
        gateway.tasks,
        await ownTask(request.params.task_id, request.caller.userId),
        waiting,
      );
      const json = taskJson(gateway, found, publicBaseUrl(gateway.config, request));
      return reply.type(taskJsonType).send(json);
    });

    app.get<{ Params: { task_id: string } }>(
      '/v1/video/generations/:task_id/events',
      apiDoc({
        ...onTask,
        summary: "A task's progress as server-sent events",
        description:
          '`event: status` with the task (as GET …/{task_id} answers it) each time it moves forward, `event: done` once it has ended; `Last-Event-ID` resumes.',
        responses: { 200: { description: 'An event stream', contentType: 'text/event-stream' } },
      }),
      async (request, reply) => {
        const { task } = await ownTask(request.params.task_id, request.caller.userId);
        const base = publicBaseUrl(gateway.config, request);
        await events.stream(request, reply, task.id, (found) =>
          generationsTaskView(found, gateway.links.forBase(base)),
        );
      },
    );

    const cancelDoc = {
      ...onTask,
      summary: 'Cancel a task (refunded; the vendor is told when it can be)',
      description:
        '409 `cancel_not_possible` where the vendor cannot stop it (the task goes on); 503 `cancel_unavailable` when the vendor could not be asked just now.',
      responses: oneTask,
      errors: [404, 409, 502, 503],
    };
    app.post<{ Params: { task_id: string } }>(
      '/v1/video/generations/:task_id/cancel',
      apiDoc(cancelDoc),
      async (request) => {
        const found = await ownTask(request.params.task_id, request.caller.userId);
        const task = await gateway.tasks.cancelOwn(found, request.caller.userId);
        return generationsTaskView(task, gateway.links.forBase(publicBaseUrl(gateway.config, request)));
      },
    );

    // The task's webhook deliveries and every attempt: what was sent where, and what the receiver answered.
    const deliveriesDoc = {
      ...onTask,
      summary: "A task's webhook deliveries and every attempt",
      responses: { 200: { description: 'The deliveries', schema: deliveryListSchema } },
    };
    app.get<{ Params: { task_id: string } }>(
      '/v1/video/generations/:task_id/deliveries',
      apiDoc(deliveriesDoc),
      async (request) => {
        const { task } = await ownTask(request.params.task_id, request.caller.userId);
        return { data: (await gateway.tasks.deliveries(task.id)).map(deliveryView) };
      },
    );
  };
}
