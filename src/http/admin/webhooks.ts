/** /admin/v1/tasks/{id}/deliveries: any task's webhook deliveries and their attempts. */
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../errors.js';
import { deliveryView } from '../../engine/webhook-sender.js';
import { deliveriesOfTask } from '../../store/webhooks.js';
import type { Gateway } from '../../gateway.js';

export function adminWebhooks(gateway: Gateway) {
  const { database } = gateway.deps;
  return async function plugin(app: FastifyInstance) {
    app.get<{ Params: { id: string } }>('/tasks/:id/deliveries', async (request) => {
      const task = await database.db
        .selectFrom('tasks')
        .select('id')
        .where('id', '=', request.params.id)
        .executeTakeFirst();
      if (!task) throw new NotFoundError(`No task ${request.params.id}`, 'id', 'task_not_found');
      return { data: (await deliveriesOfTask(database, task.id)).map(deliveryView) };
    });
  };
}
