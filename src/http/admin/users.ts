/** /admin/v1/users and their API keys. A key's secret is shown once, at creation, and stored only hashed. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { InvalidRequestError, NotFoundError } from '../../errors.js';
import type { ApiKeyChanges } from '../../store/accounts.js';
import type { ApiKeyRow, UserRow } from '../../store/schema.js';
import { webhookSecretPlace } from '../../security/sealing.js';
import { newApiKey, newId, newWebhookSecret, sha256Hex } from '../../security/secrets.js';
import type { Gateway } from '../../gateway.js';
import { parseBody, toSeconds } from './validation.js';
import { parseCallbackUrl } from '../generations/request.js';
import { apiDoc, jsonBodyErrors } from '../openapi/route-doc.js';

const createUser = z.object({ name: z.string().trim().min(1).max(200) }).strict();

/** A key's settings as the operator writes them, at creation and on edit. */
const keyFields = {
  name: z.string().trim().min(1).max(200),
  models: z.array(z.string().min(1).max(200)).min(1).max(500),
  /** Unix seconds. */
  expires_at: z.number().int().positive(),
  /** Micro-units this key may spend in all. */
  spend_limit: z.number().int().min(0),
  /** Where this key's tasks are reported when they end (unless a task names its own callback_url). */
  webhook_url: z.string().max(2048),
  /** Tasks this key may submit in any 60 seconds. */
  rpm: z.number().int().min(1).max(1_000_000),
  /** Tasks this key may have processing at once. */
  max_concurrent_tasks: z.number().int().min(1).max(1_000_000),
};

const createKey = z
  .object({
    name: keyFields.name.optional(),
    models: keyFields.models.optional(),
    expires_at: keyFields.expires_at.optional(),
    spend_limit: keyFields.spend_limit.optional(),
    webhook_url: keyFields.webhook_url.optional(),
    rpm: keyFields.rpm.optional(),
    max_concurrent_tasks: keyFields.max_concurrent_tasks.optional(),
  })
  .strict();

/** Each field is optional; null removes a setting (a name, the model list: all models, no expiry, no limit). */
const updateKey = z
  .object({
    name: keyFields.name.nullable(),
    models: keyFields.models.nullable(),
    expires_at: keyFields.expires_at.nullable(),
    spend_limit: keyFields.spend_limit.nullable(),
    webhook_url: keyFields.webhook_url.nullable(),
    rpm: keyFields.rpm.nullable(),
    max_concurrent_tasks: keyFields.max_concurrent_tasks.nullable(),
  })
  .partial()
  .strict();

/** A key may be set to expire only in the future: ending it now is what revoking is for. */
function expiryMs(expiresAt: number, now: number): number {
  if (expiresAt * 1000 <= now)
    throw new InvalidRequestError('expires_at must be in the future (unix seconds)', 'expires_at');
  return expiresAt * 1000;
}

const modelsColumn = (models: string[] | null) => (models ? JSON.stringify(models) : null);

const userSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    balance: z.number().meta({ description: 'Micro-units.' }),
    created_at: z.number().int().nullable(),
  })
  .meta({ id: 'User' });

const keySchema = z
  .object({
    id: z.string(),
    user_id: z.string(),
    name: z.string().nullable(),
    hint: z.string().meta({ description: 'The first and last characters of the key, to recognise it.' }),
    models: z.array(z.string()).nullable().meta({ description: 'null: every model.' }),
    expires_at: z.number().int().nullable(),
    revoked_at: z.number().int().nullable(),
    spend_limit: z.number().nullable(),
    spent: z.number(),
    webhook_url: z.string().nullable(),
    rpm: z.number().int().nullable(),
    max_concurrent_tasks: z.number().int().nullable(),
    created_at: z.number().int().nullable(),
  })
  .meta({ id: 'ApiKey' });

const newKeySchema = keySchema
  .extend({
    key: z.string().meta({ description: 'The secret `sk-…` key: shown only in this answer.' }),
    webhook_secret: z
      .string()
      .meta({ description: 'The secret that signs this key’s webhooks: shown once.' }),
  })
  .meta({ id: 'NewApiKey' });

const userParams = z.object({ id: z.string() });
const keyParams = z.object({ id: z.string(), keyId: z.string() });
const onUsers = { tag: 'admin', security: 'adminToken' } as const;
const oneKey = { 200: { description: 'The key', schema: keySchema } };

const userView = (user: UserRow): z.infer<typeof userSchema> => ({
  id: user.id,
  name: user.name,
  balance: user.balance,
  created_at: toSeconds(user.created_at),
});

const keyView = (key: ApiKeyRow): z.infer<typeof keySchema> => ({
  id: key.id,
  user_id: key.user_id,
  name: key.name,
  hint: key.key_hint,
  models: key.models ? (JSON.parse(key.models) as string[]) : null,
  expires_at: toSeconds(key.expires_at),
  revoked_at: toSeconds(key.revoked_at),
  spend_limit: key.spend_limit,
  spent: key.spent,
  webhook_url: key.webhook_url,
  rpm: key.rpm,
  max_concurrent_tasks: key.max_concurrent_tasks,
  created_at: toSeconds(key.created_at),
});

export function adminUsers(gateway: Gateway) {
  const { admin } = gateway;

  async function requireUser(id: string): Promise<UserRow> {
    const user = await admin.findUser(id);
    if (!user) throw new NotFoundError(`No user ${id}`, 'id', 'user_not_found');
    return user;
  }

  async function requireKey(userId: string, keyId: string): Promise<ApiKeyRow> {
    const key = (await admin.listApiKeys(userId)).find((k) => k.id === keyId);
    if (!key) throw new NotFoundError(`No key ${keyId} for this user`, 'keyId', 'key_not_found');
    return key;
  }

  /** A key's webhook target passes the same checks as a task's callback_url. */
  const webhookUrl = (value: string | null | undefined) =>
    value === undefined ? undefined : parseCallbackUrl(value, 'webhook_url', gateway.webhookTargets);

  return async function plugin(app: FastifyInstance) {
    const createUserDoc = {
      ...onUsers,
      summary: 'Create a user',
      body: { schema: createUser },
      responses: { 201: { description: 'The user', schema: userSchema } },
      errors: jsonBodyErrors,
    };
    app.post('/users', apiDoc(createUserDoc), async (request, reply) => {
      const body = parseBody(createUser, request.body);
      const user: UserRow = { id: newId('usr'), name: body.name, balance: 0, created_at: Date.now() };
      await admin.insertUser(user);
      return reply.code(201).send(userView(user));
    });

    const listDoc = {
      ...onUsers,
      summary: 'Every user',
      responses: { 200: { description: 'The users', schema: z.object({ data: z.array(userSchema) }) } },
    };
    app.get('/users', apiDoc(listDoc), async () => ({ data: (await admin.listUsers()).map(userView) }));

    const userDoc = {
      ...onUsers,
      summary: 'A user',
      params: userParams,
      responses: { 200: { description: 'The user', schema: userSchema } },
      errors: [404],
    };
    app.get<{ Params: { id: string } }>('/users/:id', apiDoc(userDoc), async (request) =>
      userView(await requireUser(request.params.id)),
    );

    const createKeyDoc = {
      ...onUsers,
      summary: 'Create an API key for a user (its secret is shown once)',
      params: userParams,
      body: { schema: createKey, optional: true },
      responses: { 201: { description: 'The key with its secret', schema: newKeySchema } },
      errors: [404, ...jsonBodyErrors],
    };
    app.post<{ Params: { id: string } }>('/users/:id/keys', apiDoc(createKeyDoc), async (request, reply) => {
      const body = parseBody(createKey, request.body ?? {});
      const user = await requireUser(request.params.id);
      const now = Date.now();
      const secret = newApiKey();
      const webhookSecret = newWebhookSecret();
      const keyId = newId('key');
      const key: ApiKeyRow = {
        id: keyId,
        user_id: user.id,
        name: body.name ?? null,
        key_hash: sha256Hex(secret),
        key_hint: `${secret.slice(0, 7)}…${secret.slice(-4)}`,
        models: modelsColumn(body.models ?? null),
        expires_at: body.expires_at === undefined ? null : expiryMs(body.expires_at, now),
        revoked_at: null,
        spend_limit: body.spend_limit ?? null,
        spent: 0,
        rpm: body.rpm ?? null,
        max_concurrent_tasks: body.max_concurrent_tasks ?? null,
        created_at: now,
        webhook_url: webhookUrl(body.webhook_url) ?? null,
        webhook_secret: gateway.sealer.seal(webhookSecret, webhookSecretPlace(keyId)),
      };
      await admin.insertApiKey(key);
      return reply.code(201).send({ ...keyView(key), key: secret, webhook_secret: webhookSecret });
    });

    const updateKeyDoc = {
      ...onUsers,
      summary: "Change a key's settings (null removes one)",
      params: keyParams,
      body: { schema: updateKey },
      responses: oneKey,
      errors: [404, ...jsonBodyErrors],
    };
    app.patch<{ Params: { id: string; keyId: string } }>(
      '/users/:id/keys/:keyId',
      apiDoc(updateKeyDoc),
      async (request) => {
        const body = parseBody(updateKey, request.body);
        const user = await requireUser(request.params.id);
        await requireKey(user.id, request.params.keyId);
        const changes: ApiKeyChanges = {};
        if (body.name !== undefined) changes.name = body.name;
        if (body.models !== undefined) changes.models = modelsColumn(body.models);
        if (body.expires_at !== undefined)
          changes.expires_at = body.expires_at === null ? null : expiryMs(body.expires_at, Date.now());
        if (body.spend_limit !== undefined) changes.spend_limit = body.spend_limit;
        if (body.webhook_url !== undefined) changes.webhook_url = webhookUrl(body.webhook_url);
        if (body.rpm !== undefined) changes.rpm = body.rpm;
        if (body.max_concurrent_tasks !== undefined) changes.max_concurrent_tasks = body.max_concurrent_tasks;
        await admin.updateApiKey(user.id, request.params.keyId, changes);
        gateway.apiKeys.forget();
        return keyView(await requireKey(user.id, request.params.keyId));
      },
    );

    // A new signing secret, shown only in this answer; webhooks sent from now on are signed with it.
    app.post<{ Params: { id: string; keyId: string } }>(
      '/users/:id/keys/:keyId/webhook-secret',
      apiDoc({
        ...onUsers,
        summary: 'A new webhook signing secret for a key (shown once)',
        params: keyParams,
        responses: {
          200: {
            description: 'The new secret',
            schema: z.object({ id: z.string(), webhook_secret: z.string() }),
          },
        },
        errors: [404],
      }),
      async (request) => {
        const user = await requireUser(request.params.id);
        await requireKey(user.id, request.params.keyId);
        const webhookSecret = newWebhookSecret();
        await admin.updateApiKey(user.id, request.params.keyId, {
          webhook_secret: gateway.sealer.seal(webhookSecret, webhookSecretPlace(request.params.keyId)),
        });
        return { id: request.params.keyId, webhook_secret: webhookSecret };
      },
    );

    const keysDoc = {
      ...onUsers,
      summary: "A user's API keys",
      params: userParams,
      responses: { 200: { description: 'The keys', schema: z.object({ data: z.array(keySchema) }) } },
      errors: [404],
    };
    app.get<{ Params: { id: string } }>('/users/:id/keys', apiDoc(keysDoc), async (request) => {
      const user = await requireUser(request.params.id);
      return { data: (await admin.listApiKeys(user.id)).map(keyView) };
    });

    const revokeDoc = {
      ...onUsers,
      summary: 'Revoke a key (at once, on every instance)',
      params: keyParams,
      responses: {
        200: { description: 'Revoked', schema: z.object({ id: z.string(), revoked: z.literal(true) }) },
      },
      errors: [404],
    };
    app.delete<{ Params: { id: string; keyId: string } }>(
      '/users/:id/keys/:keyId',
      apiDoc(revokeDoc),
      async (request) => {
        const user = await requireUser(request.params.id);
        const revoked = await admin.revokeApiKey(user.id, request.params.keyId, Date.now());
        gateway.apiKeys.forget();
        if (!revoked) {
          throw new NotFoundError(
            `No active key ${request.params.keyId} for this user`,
            'keyId',
            'key_not_found',
          );
        }
        return { id: request.params.keyId, revoked: true };
      },
    );
  };
}
