/**
 * Kling's own API, served by Reelay: code written against Kling moves here by changing the base URL to
 * `…/kling` and the key to a Reelay `sk-` key (Bearer). Tasks run through Reelay's channels like every task
 * (any channel serving the model: Kling direct, fal's Kling, …), billed, failed over and re-hosted.
 */
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../../errors.js';
import type { Gateway } from '../../../gateway.js';
import type { TaskWithJobs } from '../../../store/tasks.js';
import { idempotencyKeyed } from '../../idempotency.js';
import { publicBaseUrl } from '../../public-url.js';
import { z } from 'zod';
import { apiDoc, jsonBodyErrors } from '../../openapi/route-doc.js';
import { klingEndpoints, klingNativeRequestSchema, parseKlingRequest } from './request.js';
import { klingEnvelope, klingTaskResponseSchema, klingTaskView } from './view.js';

const onKling = { tag: 'kling', security: 'apiKey' } as const;
const taskParams = z.object({
  task_id: z.string().meta({ description: "Reelay's task id, or the client's external_task_id." }),
});
const taskAnswer = { 200: { description: 'The task, in Kling’s envelope', schema: klingTaskResponseSchema } };

export function klingNativeApi(gateway: Gateway) {
  return async function plugin(app: FastifyInstance) {
    app.addHook('onRequest', async (request) => {
      request.caller = await gateway.apiKeys.authenticate(request);
    });
    const links = (request: Parameters<typeof publicBaseUrl>[1]) =>
      gateway.links.forBase(publicBaseUrl(gateway.config, request));

    for (const endpoint of klingEndpoints) {
      const submitDoc = apiDoc({
        ...onKling,
        summary: `Kling ${endpoint}: create a task`,
        body: { schema: klingNativeRequestSchema },
        responses: taskAnswer,
        errors: [403, 404, 409, 502, 503, ...jsonBodyErrors],
      });
      app.post(`/kling/v1/videos/${endpoint}`, submitDoc, async (request) => {
        const videoRequest = parseKlingRequest(request.body, endpoint, gateway.webhookTargets);
        // external_task_id is Kling's client-side id: the same one sent again answers the task it made.
        const idempotency =
          videoRequest.clientTaskId === undefined
            ? null
            : idempotencyKeyed(externalKey(videoRequest.clientTaskId), videoRequest);
        const task = await gateway.tasks.submit(request.caller, videoRequest, {
          idempotency,
          surface: 'kling',
        });
        return klingEnvelope(klingTaskView(task, links(request)));
      });

      // Kling's query takes the task id or the client's external_task_id in the path (Kling's docs, Query Task).
      const queryDoc = apiDoc({
        ...onKling,
        summary: `Kling ${endpoint}: a task`,
        params: taskParams,
        responses: taskAnswer,
        errors: [404],
      });
      app.get<{ Params: { task_id: string } }>(
        `/kling/v1/videos/${endpoint}/:task_id`,
        queryDoc,
        async (request) =>
          klingEnvelope(
            klingTaskView(await ownTask(request.params.task_id, request.caller.userId), links(request)),
          ),
      );
    }

    async function ownTask(id: string, userId: string): Promise<TaskWithJobs> {
      const found =
        (await gateway.tasks.findOwn(id, userId)) ??
        (await gateway.tasks.findOwnByIdempotencyKey(externalKey(id), userId));
      if (!found) throw new NotFoundError(`No task ${id}`, 'task_id', 'task_not_found');
      return found;
    }
  };
}

/** The idempotency key a Kling external_task_id is kept under (24 hours, like every idempotency key). */
const externalKey = (externalTaskId: string) => `kling-external:${externalTaskId}`;
