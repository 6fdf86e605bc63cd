/** /admin/v1/tasks/{id}/deliveries: any task's webhook deliveries and their attempts. */
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../errors.js';
import { deliveryView } from '../../engine/webhook-sender.js';
import type { Gateway } from '../../gateway.js';
import { z } from 'zod';
import { apiDoc } from '../openapi/route-doc.js';
import { deliveryListSchema } from '../generations/view.js';

const deliveriesDoc = {
  tag: 'admin',
  security: 'adminToken',
  summary: "Any task's webhook deliveries and their attempts",
  params: z.object({ id: z.string() }),
  responses: { 200: { description: 'The deliveries', schema: deliveryListSchema } },
  errors: [404],
} as const;

export function adminWebhooks(gateway: Gateway) {
  const { admin } = gateway;
  return async function plugin(app: FastifyInstance) {
    app.get<{ Params: { id: string } }>('/tasks/:id/deliveries', apiDoc(deliveriesDoc), async (request) => {
      const found = await admin.findTask(request.params.id);
      if (!found) throw new NotFoundError(`No task ${request.params.id}`, 'id', 'task_not_found');
      return { data: (await admin.deliveriesOfTask(found.task.id)).map(deliveryView) };
    });
  };
}
