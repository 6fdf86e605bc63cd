/** /admin/v1/channels: vendor accounts. Credentials are write-only: sealed at rest, never returned. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { InvalidRequestError, NotFoundError } from '../../errors.js';
import { invalidRequestFrom } from '../generations/request.js';
import type { ChannelRow } from '../../store/schema.js';
import { newId } from '../../security/secrets.js';
import { credentialsPlace } from '../../security/sealing.js';
import { adapterFor, vendorNames } from '../../vendors/registry.js';
import type { Gateway } from '../../gateway.js';
import { parseBody, toSeconds } from './validation.js';
import { apiDoc, jsonBodyErrors } from '../openapi/route-doc.js';

const modelName = z.string().min(1).max(200);
const channelFields = {
  name: z.string().trim().min(1).max(200),
  base_url: z
    .string()
    .url()
    .max(500)
    .refine((u) => /^https?:\/\//.test(u), 'base_url must be http(s)'),
  credentials: z.record(z.string(), z.unknown()),
  models: z.array(modelName).min(1).max(500),
  model_mapping: z.record(modelName, modelName),
  priority: z.number().int().min(-1000).max(1000),
  weight: z.number().int().min(0).max(10_000),
  enabled: z.boolean(),
  max_concurrency: z.number().int().min(1).max(10_000).nullable(),
  max_rps: z.number().positive().max(10_000).nullable(),
};

const createChannel = z
  .object({
    vendor: z.string().min(1),
    ...channelFields,
    base_url: channelFields.base_url.optional(),
    model_mapping: channelFields.model_mapping.optional(),
    priority: channelFields.priority.optional(),
    weight: channelFields.weight.optional(),
    enabled: channelFields.enabled.optional(),
    max_concurrency: channelFields.max_concurrency.optional(),
    max_rps: channelFields.max_rps.optional(),
  })
  .strict();

const patchChannel = z.object(channelFields).partial().strict();

const channelSchema = z
  .object({
    id: z.string(),
    vendor: z.string(),
    name: z.string(),
    base_url: z.string(),
    models: z.array(z.string()),
    model_mapping: z.record(z.string(), z.string()),
    priority: z.number().int(),
    weight: z.number().int(),
    enabled: z.boolean(),
    disabled_reason: z.string().nullable(),
    max_concurrency: z.number().int().nullable(),
    max_rps: z.number().nullable(),
    credentials: z.literal('set').meta({ description: 'Credentials are write-only: never returned.' }),
    created_at: z.number().int().nullable(),
    updated_at: z.number().int().nullable(),
    health: z.object({
      state: z.enum(['closed', 'open', 'half_open']),
      consecutive_failures: z.number().int(),
      recent_error_rate: z.number(),
      recent_calls: z.number().int(),
      last_error: z.string().nullable(),
      last_error_at: z.number().nullable(),
    }),
    queued_submits: z.number().int().meta({ description: 'Submits waiting for this channel’s limits.' }),
    resting_until: z.number().int().nullable(),
  })
  .meta({ id: 'Channel' });

const channelParams = z.object({ id: z.string() });
const onChannels = { tag: 'admin', security: 'adminToken' } as const;
const oneChannel = { 200: { description: 'The channel', schema: channelSchema } };

function channelView(row: ChannelRow) {
  return {
    id: row.id,
    vendor: row.vendor,
    name: row.name,
    base_url: row.base_url,
    models: JSON.parse(row.models) as string[],
    model_mapping: JSON.parse(row.model_mapping) as Record<string, string>,
    priority: row.priority,
    weight: row.weight,
    enabled: row.enabled === 1,
    disabled_reason: row.disabled_reason,
    max_concurrency: row.max_concurrency,
    max_rps: row.max_rps,
    credentials: 'set' as const,
    created_at: toSeconds(row.created_at),
    updated_at: toSeconds(row.updated_at),
  };
}

function checkCredentials(vendor: string, credentials: unknown): void {
  const parsed = adapterFor(vendor)!.credentials.safeParse(credentials, { reportInput: true });
  if (!parsed.success) throw invalidRequestFrom(parsed.error, ['credentials']);
}

function checkMapping(models: string[], mapping: Record<string, string>): void {
  const stray = Object.keys(mapping).find((m) => !models.includes(m));
  if (stray)
    throw new InvalidRequestError(
      `model_mapping maps ${stray}, which is not in models`,
      `model_mapping.${stray}`,
    );
}

export function adminChannels(gateway: Gateway) {
  const { channels, health, limits } = gateway.deps;
  const { admin } = gateway;
  /** The stored channel plus how it is doing right now on this instance. */
  const view = (row: ChannelRow): z.infer<typeof channelSchema> => ({
    ...channelView(row),
    health: health.view(row.id),
    queued_submits: limits.queued(row.id),
    resting_until: toSeconds(limits.pausedUntil(row.id)),
  });
  const sealer = gateway.sealer;

  async function requireChannel(id: string): Promise<ChannelRow> {
    const row = await admin.findChannel(id);
    if (!row) throw new NotFoundError(`No channel ${id}`, 'id', 'channel_not_found');
    return row;
  }

  return async function plugin(app: FastifyInstance) {
    const createDoc = {
      ...onChannels,
      summary: 'Add a channel: a vendor account with its credentials (sealed at rest)',
      body: { schema: createChannel },
      responses: { 201: { description: 'The channel', schema: channelSchema } },
      errors: jsonBodyErrors,
    };
    app.post('/channels', apiDoc(createDoc), async (request, reply) => {
      const body = parseBody(createChannel, request.body);
      const adapter = adapterFor(body.vendor);
      if (!adapter)
        throw new InvalidRequestError(
          `Unknown vendor ${body.vendor}; one of: ${vendorNames.join(', ')}`,
          'vendor',
        );
      checkCredentials(body.vendor, body.credentials);
      checkMapping(body.models, body.model_mapping ?? {});
      const now = Date.now();
      const id = newId('ch');
      const row: ChannelRow = {
        id,
        vendor: body.vendor,
        name: body.name,
        base_url: body.base_url ?? adapter.defaultBaseUrl,
        credentials: sealer.seal(body.credentials, credentialsPlace(id)),
        models: JSON.stringify(body.models),
        model_mapping: JSON.stringify(body.model_mapping ?? {}),
        priority: body.priority ?? 0,
        weight: body.weight ?? 1,
        enabled: body.enabled === false ? 0 : 1,
        disabled_reason: null,
        max_concurrency: body.max_concurrency ?? null,
        max_rps: body.max_rps ?? null,
        created_at: now,
        updated_at: now,
      };
      await admin.insertChannel(row);
      channels.invalidate();
      return reply.code(201).send(view(row));
    });

    const listDoc = {
      ...onChannels,
      summary: 'Every channel, with its health on this instance',
      responses: { 200: { description: 'The channels', schema: z.object({ data: z.array(channelSchema) }) } },
    };
    app.get('/channels', apiDoc(listDoc), async () => ({ data: (await admin.listChannels()).map(view) }));

    const channelDoc = {
      ...onChannels,
      summary: 'A channel',
      params: channelParams,
      responses: oneChannel,
      errors: [404],
    };
    app.get<{ Params: { id: string } }>('/channels/:id', apiDoc(channelDoc), async (request) =>
      view(await requireChannel(request.params.id)),
    );

    const patchDoc = {
      ...onChannels,
      summary: 'Change a channel (a new base_url needs the credentials again)',
      params: channelParams,
      body: { schema: patchChannel },
      responses: oneChannel,
      errors: [404, ...jsonBodyErrors],
    };
    app.patch<{ Params: { id: string } }>('/channels/:id', apiDoc(patchDoc), async (request) => {
      const body = parseBody(patchChannel, request.body);
      const row = await requireChannel(request.params.id);
      if (body.credentials) checkCredentials(row.vendor, body.credentials);
      // Credentials are write-only: pointing a channel elsewhere would send them there (a /test would suffice).
      if (body.base_url !== undefined && body.base_url !== row.base_url && !body.credentials)
        throw new InvalidRequestError(
          'Changing base_url requires the credentials again: the stored ones are sent only to the URL they were given for',
          'credentials',
          'credentials_required',
        );
      checkMapping(
        body.models ?? (JSON.parse(row.models) as string[]),
        body.model_mapping ?? (JSON.parse(row.model_mapping) as Record<string, string>),
      );
      await admin.updateChannel(row.id, {
        ...(body.name !== undefined && { name: body.name }),
        ...(body.base_url !== undefined && { base_url: body.base_url }),
        ...(body.credentials !== undefined && {
          credentials: sealer.seal(body.credentials, credentialsPlace(row.id)),
        }),
        ...(body.models !== undefined && { models: JSON.stringify(body.models) }),
        ...(body.model_mapping !== undefined && { model_mapping: JSON.stringify(body.model_mapping) }),
        ...(body.priority !== undefined && { priority: body.priority }),
        ...(body.weight !== undefined && { weight: body.weight }),
        // Re-enabling clears the reason it was disabled for.
        ...(body.enabled !== undefined && { enabled: body.enabled ? 1 : 0, disabled_reason: null }),
        ...(body.max_concurrency !== undefined && { max_concurrency: body.max_concurrency }),
        ...(body.max_rps !== undefined && { max_rps: body.max_rps }),
        updated_at: Date.now(),
      });
      channels.invalidate();
      return view(await requireChannel(row.id));
    });

    const deleteDoc = {
      ...onChannels,
      summary: 'Delete a channel',
      params: channelParams,
      responses: {
        200: { description: 'Deleted', schema: z.object({ id: z.string(), deleted: z.literal(true) }) },
      },
      errors: [404],
    };
    app.delete<{ Params: { id: string } }>('/channels/:id', apiDoc(deleteDoc), async (request) => {
      if (!(await admin.deleteChannel(request.params.id))) {
        throw new NotFoundError(`No channel ${request.params.id}`, 'id', 'channel_not_found');
      }
      channels.invalidate();
      return { id: request.params.id, deleted: true };
    });
  };
}
