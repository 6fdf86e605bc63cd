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
import { parseViduRequest } from './request.js';
import { viduCreateView, viduCreationsView } from './view.js';

export function viduNativeApi(gateway: Gateway) {
  return async function plugin(app: FastifyInstance) {
    app.addHook('onRequest', async (request) => {
      request.caller = await gateway.apiKeys.authenticate(request, ['Token', 'Bearer']);
    });

    for (const endpoint of viduEndpoints) {
      app.post(`/ent/v2/${endpoint}`, async (request) => {
        const videoRequest = parseViduRequest(request.body, endpoint, gateway.webhookTargets);
        const idempotency = idempotencyOf(request, videoRequest);
        const task = await gateway.tasks.submit(request.caller, videoRequest, {
          idempotency,
          surface: 'vidu',
        });
        return viduCreateView(task);
      });
    }

    app.get<{ Params: { id: string } }>('/ent/v2/tasks/:id/creations', async (request) => {
      const found = await gateway.tasks.findOwn(request.params.id, request.caller.userId);
      if (!found) throw new NotFoundError(`No task ${request.params.id}`, 'id', 'task_not_found');
      return viduCreationsView(found, gateway.links.forBase(publicBaseUrl(gateway.config, request)));
    });
  };
}
