/**
 * /admin/v1/vendors: what a channel of each vendor needs (its credential fields, default base URL, models), so a
 * form can ask for exactly that; and POST /admin/v1/channels/{id}/test, a cheap check that a channel works.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { checkChannel } from '../../channels/check.js';
import { NotFoundError } from '../../errors.js';
import { adapterFor, vendorNames } from '../../vendors/registry.js';
import type { VendorAdapter } from '../../vendors/adapter.js';
import type { Gateway } from '../../gateway.js';

/** The fields of the vendor's credentials object, read off its schema. */
function credentialFields(adapter: VendorAdapter<unknown>): { name: string; required: boolean }[] {
  const schema = adapter.credentials;
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, field]) => ({
    name,
    required: !field.safeParse(undefined).success,
  }));
}

export function adminVendors(gateway: Gateway) {
  const { channels, wire } = gateway.deps;
  return async function plugin(app: FastifyInstance) {
    app.get('/vendors', async () => ({
      data: vendorNames.map((vendor) => {
        const adapter = adapterFor(vendor)!;
        return {
          vendor,
          default_base_url: adapter.defaultBaseUrl,
          models: [...adapter.models],
          credentials: credentialFields(adapter),
        };
      }),
    }));

    app.post<{ Params: { id: string } }>('/channels/:id/test', async (request) => {
      // Fresh from the database: the check must see an edit made a moment ago on any instance.
      channels.invalidate();
      const channel = await channels.get(request.params.id);
      if (!channel) throw new NotFoundError(`No channel ${request.params.id}`, 'id', 'channel_not_found');
      const adapter = adapterFor(channel.vendor);
      if (!adapter) return { ok: false, message: `Unknown vendor ${channel.vendor}`, latency_ms: 0 };
      return checkChannel(adapter, channel, wire);
    });
  };
}
