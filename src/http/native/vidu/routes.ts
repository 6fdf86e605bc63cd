/**
 * Vidu's own API, served by Reelay: code written against Vidu moves here by changing the base URL and the key
 * (a Reelay `sk-` key, as `Authorization: Token …`, Vidu's scheme, or Bearer). Tasks run through Reelay's
 * channels like every task, billed, failed over and re-hosted.
 */
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../../errors.js';
import type { Gateway } from '../../../gateway.js';
import { viduEndpoints } from '../../../vendors/vidu/types.js';
import { idempotencyOf } from '../../idempotency.js';
import { publicBaseUrl } from '../../public-url.js';
import { z } from 'zod';
import { apiDoc, jsonBodyErrors } from '../../openapi/route-doc.js';
import { parseViduRequest, viduNativeRequestSchema } from './request.js';
import {
  viduCreateResponseSchema,
  viduCreateView,
  viduCreationsResponseSchema,
  viduCreationsView,
} from './view.js';

const onVidu = { tag: 'vidu', security: 'apiKey' } as const;

export function viduNativeApi(gateway: Gateway) {
  return async function plugin(app: FastifyInstance) {
    app.addHook('onRequest', async (request) => {
      request.caller = await gateway.apiKeys.authenticate(request, ['Token', 'Bearer']);
    });

    for (const endpoint of viduEndpoints) {
      const createDoc = apiDoc({
        ...onVidu,
        summary: `Vidu ${endpoint}: create a task`,
        body: { schema: viduNativeRequestSchema },
        responses: { 200: { description: 'The task created', schema: viduCreateResponseSchema } },
        errors: [403, 404, 409, 502, 503, ...jsonBodyErrors],
      });
      app.post(`/ent/v2/${endpoint}`, createDoc, async (request) => {
        const videoRequest = parseViduRequest(request.body, endpoint, gateway.webhookTargets);
        const idempotency = idempotencyOf(request, videoRequest);
        const task = await gateway.tasks.submit(request.caller, videoRequest, {
          idempotency,
          surface: 'vidu',
        });
        return viduCreateView(task);
      });
    }

    const creationsDoc = apiDoc({
      ...onVidu,
      summary: "A task's state and creations",
      params: z.object({ id: z.string().meta({ description: "Reelay's task id." }) }),
      responses: { 200: { description: 'The task', schema: viduCreationsResponseSchema } },
      errors: [404],
    });
    app.get<{ Params: { id: string } }>('/ent/v2/tasks/:id/creations', creationsDoc, async (request) => {
      const found = await gateway.tasks.findOwn(request.params.id, request.caller.userId);
      if (!found) throw new NotFoundError(`No task ${request.params.id}`, 'id', 'task_not_found');
      return viduCreationsView(found, gateway.links.forBase(publicBaseUrl(gateway.config, request)));
    });
  };
}
