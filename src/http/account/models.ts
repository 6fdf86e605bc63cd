/**
 * Model discovery in OpenAI's list shape: GET /v1/models lists the models this API key can use now (served by an
 * enabled channel, priced or free, and allowed for the key), GET /v1/models/{id} one of them. `reelay` adds the
 * vendors serving each model, its price, and what it takes (durations, aspect ratios, sizes, resolutions, images) as the first
 * channel's adapter declares it: the table its submit validation checks against (VendorAdapter.capabilities).
 */
import type { FastifyInstance } from 'fastify';
import { priceOf } from '../../admin/service.js';
import { NotFoundError } from '../../errors.js';
import { z } from 'zod';
import type { Gateway } from '../../gateway.js';
import type { Caller } from '../../tasks/submit.js';
import { priceSchema } from '../../billing/prices.js';
import type { ModelCapabilities } from '../../vendors/adapter.js';
import { adapterFor } from '../../vendors/registry.js';
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
    reelay: z.object({
      vendors: z.array(z.string()),
      price: priceSchema,
      durations: z
        .array(z.number())
        .nullable()
        .meta({ description: 'Seconds the model renders; null where its adapter declares no table.' }),
      aspect_ratios: z.array(z.string()).nullable().meta({
        description: 'Aspect ratios rendered (a size maps to the nearest); null where not declared.',
      }),
      sizes: z.array(z.string()).nullable().meta({
        description: 'Exact sizes rendered ("1280x720"), for vendors that take sizes; null otherwise.',
      }),
      resolutions: z.array(z.string()).nullable().meta({
        description: 'Resolution tiers rendered ("720p"), for vendors that take them; null otherwise.',
      }),
      images: z
        .object({
          first_frame: z.boolean(),
          last_frame: z.boolean(),
          references: z.number().int(),
          required: z.boolean(),
        })
        .nullable()
        .meta({ description: 'Images taken; null where not declared.' }),
    }),
  })
  .meta({ id: 'Model' });

type ModelEntry = z.infer<typeof modelEntrySchema>;

const onModels = { tag: 'models', security: 'apiKey' } as const;

/** What the model takes on the channel tried first, as that vendor's adapter declares it. */
function capabilitiesView(
  capabilities: ModelCapabilities | undefined,
): Pick<ModelEntry['reelay'], 'durations' | 'aspect_ratios' | 'sizes' | 'resolutions' | 'images'> {
  if (!capabilities)
    return { durations: null, aspect_ratios: null, sizes: null, resolutions: null, images: null };
  const { images } = capabilities;
  return {
    durations: capabilities.durations ? [...capabilities.durations] : null,
    aspect_ratios: capabilities.aspectRatios ? [...capabilities.aspectRatios] : null,
    sizes: capabilities.sizes ? [...capabilities.sizes] : null,
    resolutions: capabilities.resolutions ? [...capabilities.resolutions] : null,
    images: {
      first_frame: images.firstFrame,
      last_frame: images.lastFrame,
      references: images.references,
      required: images.required,
    },
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
          const upstream = (JSON.parse(channel.model_mapping) as Record<string, string>)[model] ?? model;
          entries.set(model, {
            id: model,
            object: 'model',
            created,
            owned_by: channel.vendor,
            reelay: {
              vendors: [channel.vendor],
              price,
              ...capabilitiesView(adapterFor(channel.vendor)?.capabilities?.(upstream)),
            },
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
