/** /admin/v1 billing: model prices, top-ups and adjustments, a user's ledger, usage, and the audit. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { priceSchema } from '../../billing/prices.js';
import { InvalidRequestError, NotFoundError } from '../../errors.js';
import { invalidRequestFrom } from '../generations/request.js';
import { priceOf } from '../../admin/service.js';
import type { LedgerRow, ModelPriceRow } from '../../store/schema.js';
import type { Gateway } from '../../gateway.js';
import { parseBody, toSeconds } from './validation.js';

const amount = z.number().int().min(-1e13).max(1e13);
const topUp = z
  .object({
    amount: amount.positive(),
    note: z.string().max(500).optional(),
    idempotency_key: z.string().min(1).max(200).optional(),
  })
  .strict();
const adjustment = z
  .object({ amount: amount.refine((a) => a !== 0, 'must not be zero'), note: z.string().min(1).max(500) })
  .strict();

export const period = z
  .object({
    /** Unix seconds; default: the last 30 days. */
    from: z.coerce.number().int().min(0).optional(),
    to: z.coerce.number().int().min(0).optional(),
  })
  .strict();
export const ledgerQuery = period.extend({ limit: z.coerce.number().int().min(1).max(10_000).default(1000) });
const usageQuery = period.extend({
  group_by: z.enum(['model', 'key', 'channel']).default('model'),
  user_id: z.string().optional(),
});

export function parseQuery<T>(schema: z.ZodType<T>, query: unknown): T {
  const parsed = schema.safeParse(query ?? {}, { reportInput: true });
  if (!parsed.success) throw invalidRequestFrom(parsed.error);
  return parsed.data;
}

export function periodMs(q: { from?: number; to?: number }): { from: number; to: number } {
  const to = q.to === undefined ? Date.now() + 1 : q.to * 1000;
  const from = q.from === undefined ? to - 30 * 24 * 3600 * 1000 : q.from * 1000;
  if (from > to) throw new InvalidRequestError('from must be before to', 'from');
  return { from, to };
}

const priceView = (row: ModelPriceRow) => ({
  model: row.model,
  ...priceOf(row),
  updated_at: toSeconds(row.updated_at),
});
export const entryView = (entry: LedgerRow) => ({ ...entry, created_at: toSeconds(entry.created_at) });

export function adminBilling(gateway: Gateway) {
  const { admin } = gateway;

  async function requireUser(id: string) {
    const user = await admin.findUser(id);
    if (!user) throw new NotFoundError(`No user ${id}`, 'id', 'user_not_found');
    return user;
  }

  async function requirePrice(model: string) {
    const row = (await admin.listPrices()).find((p) => p.model === model);
    if (!row) throw new NotFoundError(`No price for ${model}`, 'model', 'price_not_found');
    return priceView(row);
  }

  return async function plugin(app: FastifyInstance) {
    app.put<{ Params: { model: string } }>('/prices/:model', async (request) => {
      const price = parseBody(priceSchema, request.body);
      await admin.putPrice(request.params.model, price, Date.now());
      return requirePrice(request.params.model);
    });

    app.get('/prices', async () => ({ data: (await admin.listPrices()).map(priceView) }));

    app.get<{ Params: { model: string } }>('/prices/:model', async (request) =>
      requirePrice(request.params.model),
    );

    app.delete<{ Params: { model: string } }>('/prices/:model', async (request) => {
      if (!(await admin.deletePrice(request.params.model)))
        throw new NotFoundError(`No price for ${request.params.model}`, 'model', 'price_not_found');
      return { model: request.params.model, deleted: true };
    });

    app.post<{ Params: { id: string } }>('/users/:id/topup', async (request) => {
      const body = parseBody(topUp, request.body);
      await requireUser(request.params.id);
      const result = await admin.creditUser({
        userId: request.params.id,
        kind: 'topup',
        amount: body.amount,
        note: body.note ?? null,
        idempotencyKey: body.idempotency_key,
      });
      return { entry: entryView(result.entry), balance: result.balance, replayed: result.replayed };
    });

    app.post<{ Params: { id: string } }>('/users/:id/adjustments', async (request) => {
      const body = parseBody(adjustment, request.body);
      await requireUser(request.params.id);
      const result = await admin.creditUser({
        userId: request.params.id,
        kind: 'adjustment',
        amount: body.amount,
        note: body.note,
      });
      return { entry: entryView(result.entry), balance: result.balance };
    });

    app.get<{ Params: { id: string } }>('/users/:id/ledger', async (request) => {
      const query = parseQuery(ledgerQuery, request.query);
      const user = await requireUser(request.params.id);
      const entries = await admin.listLedger(user.id, { ...periodMs(query), limit: query.limit });
      return { user_id: user.id, balance: user.balance, data: entries.map(entryView) };
    });

    app.get('/usage', async (request) => {
      const query = parseQuery(usageQuery, request.query);
      const range = periodMs(query);
      const rows = await admin.usage({ ...range, groupBy: query.group_by, userId: query.user_id });
      return { from: toSeconds(range.from), to: toSeconds(range.to), group_by: query.group_by, data: rows };
    });

    app.get('/audit', async () => admin.audit());
  };
}
