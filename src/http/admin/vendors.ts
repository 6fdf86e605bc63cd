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
import { apiDoc } from '../openapi/route-doc.js';

const vendorsSchema = z.object({
  data: z.array(
    z.object({
      vendor: z.string(),
      default_base_url: z.string(),
      models: z.array(z.string()),
      credentials: z.array(z.object({ name: z.string(), required: z.boolean() })),
    }),
  ),
});

const channelCheckSchema = z.object({
  ok: z.boolean(),
  message: z.string().meta({ description: 'Why it failed, or what proved it works.' }),
  latency_ms: z.number(),
});

const onVendors = { tag: 'admin', security: 'adminToken' } as const;

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
    const vendorsDoc = {
      ...onVendors,
      summary: "Each vendor's credential fields, default base URL and models",
      responses: { 200: { description: 'The vendors', schema: vendorsSchema } },
    };
    app.get('/vendors', apiDoc(vendorsDoc), async () => ({
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

    const testDoc = {
      ...onVendors,
      summary: 'A cheap check that a channel works (its credentials, its address)',
      params: z.object({ id: z.string() }),
      responses: { 200: { description: 'The outcome', schema: channelCheckSchema } },
      errors: [404],
    };
    app.post<{ Params: { id: string } }>('/channels/:id/test', apiDoc(testDoc), async (request) => {
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
