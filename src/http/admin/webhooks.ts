/** /admin/v1/tasks/{id}/deliveries: any task's webhook deliveries and their attempts. */
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../errors.js';
import { deliveryView } from '../../engine/webhook-sender.js';
import type { Gateway } from '../../gateway.js';

export function adminWebhooks(gateway: Gateway) {
  const { admin } = gateway;
  return async function plugin(app: FastifyInstance) {
    app.get<{ Params: { id: string } }>('/tasks/:id/deliveries', async (request) => {
      const found = await admin.findTask(request.params.id);
      if (!found) throw new NotFoundError(`No task ${request.params.id}`, 'id', 'task_not_found');
      return { data: (await admin.deliveriesOfTask(found.task.id)).map(deliveryView) };
    });
  };
}
