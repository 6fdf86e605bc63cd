/**
 * Model discovery in OpenAI's list shape: GET /v1/models lists the models this API key can use now (served by an
 * enabled channel, priced or free, and allowed for the key), GET /v1/models/{id} one of them. `reelay` adds the
 * vendors serving each model and its price.
 */
import type { FastifyInstance } from 'fastify';
import { priceOf } from '../../admin/service.js';
import { NotFoundError } from '../../errors.js';
import { z } from 'zod';
import type { Gateway } from '../../gateway.js';
import type { Caller } from '../../tasks/submit.js';
import { priceSchema } from '../../billing/prices.js';
import { apiDoc } from '../openapi/route-doc.js';

const modelEntrySchema = z
  .object({
    id: z.string(),
    object: z.literal('model'),
    created: z
      .number()
      .int()
      .meta({ description: 'Unix seconds: when the first channel serving it was added.' }),
    owned_by: z
      .string()
      .meta({ description: 'The vendor family of the channel tried first (highest priority).' }),
    reelay: z.object({ vendors: z.array(z.string()), price: priceSchema }),
  })
  .meta({ id: 'Model' });

type ModelEntry = z.infer<typeof modelEntrySchema>;

const onModels = { tag: 'models', security: 'apiKey' } as const;

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

    const listDoc = {
      ...onModels,
      summary: 'The models this key can use now (OpenAI’s models.list)',
      responses: {
        200: {
          description: 'The models',
          schema: z.object({ object: z.literal('list'), data: z.array(modelEntrySchema) }),
        },
      },
    };
    app.get('/v1/models', apiDoc(listDoc), async (request) => ({
      object: 'list',
      data: await usableModels(request.caller),
    }));

    const modelDoc = {
      ...onModels,
      summary: 'One model this key can use, with its vendors and price',
      params: z.object({ model: z.string() }),
      responses: { 200: { description: 'The model', schema: modelEntrySchema } },
      errors: [404],
    };
    app.get<{ Params: { model: string } }>('/v1/models/:model', apiDoc(modelDoc), async (request) => {
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
