/**
 * /v1/account: what an API key's holder may see of their own account (the console's view for users): the user
 * and key with balance and limits, the models the key can use now, spend over time, and the ledger.
 */
import type { FastifyInstance } from 'fastify';
import type { Gateway } from '../../gateway.js';
import { entryView, ledgerQuery, parseQuery, periodMs } from '../admin/billing.js';
import { seriesQuery, usageSeriesAnswer } from '../admin/usage-series.js';
import { toSeconds } from '../admin/validation.js';

export function accountApi(gateway: Gateway) {
  const { admin } = gateway;
  return async function plugin(app: FastifyInstance) {
    app.addHook('onRequest', async (request) => {
      request.caller = await gateway.apiKeys.authenticate(request);
    });

    app.get('/v1/account', async (request) => {
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

    app.get('/v1/account/usage', async (request) =>
      usageSeriesAnswer(admin, parseQuery(seriesQuery, request.query), { userId: request.caller.userId }),
    );

    app.get('/v1/account/ledger', async (request) => {
      const query = parseQuery(ledgerQuery, request.query);
      const entries = await admin.listLedger(request.caller.userId, {
        ...periodMs(query),
        limit: query.limit,
      });
      return { data: entries.map(entryView) };
    });
  };
}
