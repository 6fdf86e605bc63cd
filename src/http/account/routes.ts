/**
 * /v1/account: what an API key's holder may see of their own account (the console's view for users): the user
 * and key with balance and limits, the models the key can use now, spend over time, and the ledger.
 */
import type { FastifyInstance } from 'fastify';
import type { Gateway } from '../../gateway.js';
import { entryView, ledgerQuery, parseQuery, periodMs } from '../admin/billing.js';
import { seriesQuery, usageSeriesAnswer } from '../admin/usage-series.js';
import { toSeconds } from '../admin/validation.js';
import { z } from 'zod';
import { apiDoc } from '../openapi/route-doc.js';
import { ledgerSchema } from '../admin/billing.js';
import { usageSeriesSchema } from '../admin/usage-series.js';

const accountSchema = z
  .object({
    user: z.object({
      id: z.string(),
      name: z.string(),
      balance: z.number().meta({ description: 'Micro-units.' }),
    }),
    key: z.object({
      id: z.string(),
      name: z.string().nullable(),
      hint: z.string(),
      models: z.array(z.string()).nullable().meta({ description: 'null: every model.' }),
      spend_limit: z.number().nullable(),
      spent: z.number(),
      rpm: z.number().int().nullable().meta({ description: 'Tasks this key may submit in any 60 seconds.' }),
      max_concurrent_tasks: z.number().int().nullable(),
      expires_at: z.number().int().nullable(),
    }),
    models: z.array(z.string()).meta({
      description: 'Models this key can use right now: served by an enabled channel and allowed for the key.',
    }),
  })
  .meta({ id: 'Account' });

const onAccount = { tag: 'account', security: 'apiKey' } as const;

export function accountApi(gateway: Gateway) {
  const { admin } = gateway;
  return async function plugin(app: FastifyInstance) {
    app.addHook('onRequest', async (request) => {
      request.caller = await gateway.apiKeys.authenticate(request);
    });

    const accountDoc = {
      ...onAccount,
      summary: 'The key’s holder: balance, the key’s limits, and the models it can use',
      responses: { 200: { description: 'The account', schema: accountSchema } },
    };
    app.get('/v1/account', apiDoc(accountDoc), async (request): Promise<z.infer<typeof accountSchema>> => {
      const { userId, keyId, models: allowed } = request.caller;
      const user = (await admin.findUser(userId))!;
      const key = (await admin.listApiKeys(userId)).find((k) => k.id === keyId)!;
      const served = (await admin.listChannels())
        .filter((channel) => channel.enabled === 1)
        .flatMap((channel) => JSON.parse(channel.models) as string[]);
      return {
        user: { id: user.id, name: user.name, balance: user.balance },
        key: {
          id: key.id,
          name: key.name,
          hint: key.key_hint,
          models: allowed,
          spend_limit: key.spend_limit,
          spent: key.spent,
          rpm: key.rpm,
          max_concurrent_tasks: key.max_concurrent_tasks,
          expires_at: toSeconds(key.expires_at),
        },
        /** Models this key can use right now: served by an enabled channel and allowed for the key. */
        models: [...new Set(served)].filter((model) => !allowed || allowed.includes(model)).sort(),
      };
    });

    const usageDoc = {
      ...onAccount,
      summary: 'The holder’s spend and task counts per hour or day',
      query: seriesQuery,
      responses: { 200: { description: 'The series', schema: usageSeriesSchema } },
    };
    app.get('/v1/account/usage', apiDoc(usageDoc), async (request) =>
      usageSeriesAnswer(admin, parseQuery(seriesQuery, request.query), { userId: request.caller.userId }),
    );

    const ledgerDoc = {
      ...onAccount,
      summary: 'The holder’s ledger over a period',
      query: ledgerQuery,
      responses: { 200: { description: 'The entries', schema: ledgerSchema } },
    };
    app.get('/v1/account/ledger', apiDoc(ledgerDoc), async (request) => {
      const query = parseQuery(ledgerQuery, request.query);
      const entries = await admin.listLedger(request.caller.userId, {
        ...periodMs(query),
        limit: query.limit,
      });
      return { data: entries.map(entryView) };
    });
  };
}
