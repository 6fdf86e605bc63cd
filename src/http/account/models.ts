/**
 * Model discovery in OpenAI's list shape: GET /v1/models lists the models this API key can use now (served by an
 * enabled channel, priced or free, and allowed for the key), GET /v1/models/{id} one of them. `reelay` adds the
 * vendors serving each model and its price.
 */
import type { FastifyInstance } from 'fastify';
import { priceOf } from '../../admin/service.js';
import { NotFoundError } from '../../errors.js';
import type { Gateway } from '../../gateway.js';
import type { Caller } from '../../tasks/submit.js';

export interface ModelEntry {
  id: string;
  object: 'model';
  /** Unix seconds: when the first channel serving it was added. */
  created: number;
  /** The vendor family of the channel tried first (highest priority). */
  owned_by: string;
  reelay: {
    vendors: string[];
    price: ReturnType<typeof priceOf>;
  };
}

export function modelsApi(gateway: Gateway) {
  const { admin } = gateway;

  async function usableModels(caller: Caller): Promise<ModelEntry[]> {
    const channels = (await admin.listChannels())
      .filter((channel) => channel.enabled === 1)
      .sort((a, b) => b.priority - a.priority);
    const prices = new Map((await admin.listPrices()).map((row) => [row.model, priceOf(row)]));
    const entries = new Map<string, ModelEntry>();
    for (const channel of channels) {
      for (const model of JSON.parse(channel.models) as string[]) {
        const price = prices.get(model);
        // Refused at submit all the same: not allowed for this key, or without a price.
        if (!price || (caller.models && !caller.models.includes(model))) continue;
        const entry = entries.get(model);
        const created = Math.floor(channel.created_at / 1000);
        if (!entry) {
          entries.set(model, {
            id: model,
            object: 'model',
            created,
            owned_by: channel.vendor,
            reelay: { vendors: [channel.vendor], price },
          });
          continue;
        }
        entry.created = Math.min(entry.created, created);
        if (!entry.reelay.vendors.includes(channel.vendor)) entry.reelay.vendors.push(channel.vendor);
      }
    }
    return [...entries.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  return async function plugin(app: FastifyInstance) {
    app.addHook('onRequest', async (request) => {
      request.caller = await gateway.apiKeys.authenticate(request);
    });

    app.get('/v1/models', async (request) => ({ object: 'list', data: await usableModels(request.caller) }));

    app.get<{ Params: { model: string } }>('/v1/models/:model', async (request) => {
      const model = (await usableModels(request.caller)).find((entry) => entry.id === request.params.model);
      if (!model) {
        throw new NotFoundError(
          `The model '${request.params.model.slice(0, 100)}' does not exist or this key may not use it`,
          'model',
          'model_not_found',
        );
      }
      return model;
    });
  };
}
