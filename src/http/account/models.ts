/**
 * Model discovery in OpenAI's list shape: GET /v1/models lists the models this API key can use now (served by an
 * enabled channel, priced or free, and allowed for the key), GET /v1/models/{id} one of them. `reelay` adds the
 * vendors serving each model, its price, and what it takes (durations, aspect ratios, sizes, resolutions, images) as the first
 * channel's adapter declares it: the table its submit validation checks against (VendorAdapter.capabilities).
 */
import type { FastifyInstance } from 'fastify';
import { priceOf } from '../../admin/service.js';
import { NotFoundError } from '../../errors.js';
import type { Gateway } from '../../gateway.js';
import type { Caller } from '../../tasks/submit.js';
import type { ModelCapabilities } from '../../vendors/adapter.js';
import { adapterFor } from '../../vendors/registry.js';

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
    /** Seconds the model renders; null where its adapter declares no table (the vendor decides). */
    durations: readonly number[] | null;
    /** Aspect ratios rendered (a size is mapped to the nearest); null where not declared. */
    aspect_ratios: readonly string[] | null;
    /** Exact sizes rendered ("1280x720"), for vendors that take sizes; null otherwise. */
    sizes: readonly string[] | null;
    /** Resolution tiers rendered ("720p"), for vendors that take them; null otherwise. */
    resolutions: readonly string[] | null;
    /** Images taken; null where not declared. */
    images: {
      first_frame: boolean;
      last_frame: boolean;
      references: number;
      required: boolean;
    } | null;
  };
}

/** What the model takes on the channel tried first, as that vendor's adapter declares it. */
function capabilitiesView(capabilities: ModelCapabilities | undefined) {
  if (!capabilities)
    return { durations: null, aspect_ratios: null, sizes: null, resolutions: null, images: null };
  const { images } = capabilities;
  return {
    durations: capabilities.durations,
    aspect_ratios: capabilities.aspectRatios,
    sizes: capabilities.sizes ?? null,
    resolutions: capabilities.resolutions ?? null,
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
