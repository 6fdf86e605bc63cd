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
import { apiDoc, jsonBodyErrors } from '../openapi/route-doc.js';

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

const modelPriceSchema = priceSchema
  .extend({ model: z.string(), updated_at: z.number().int().nullable() })
  .meta({ id: 'ModelPrice' });

/** One line of a user's ledger: every movement of money, signed (negative takes from the balance). */
export const ledgerEntrySchema = z
  .object({
    id: z.string(),
    user_id: z.string(),
    key_id: z.string().nullable(),
    task_id: z.string().nullable(),
    kind: z.enum(['reserve', 'settle', 'refund', 'topup', 'adjustment']),
    amount: z.number().meta({ description: 'Signed micro-units.' }),
    note: z.string().nullable(),
    created_at: z.number().int().nullable(),
  })
  .meta({ id: 'LedgerEntry' });

export const ledgerSchema = z.object({ data: z.array(ledgerEntrySchema) });

const usageSchema = z.object({
  from: z.number().int().nullable(),
  to: z.number().int().nullable(),
  group_by: z.enum(['model', 'key', 'channel']),
  data: z.array(
    z.object({
      group: z.string().nullable(),
      tasks: z.number(),
      cost: z.number(),
      reserved_open: z.number(),
    }),
  ),
});

const auditSchema = z.object({
  balanced: z.boolean(),
  users_checked: z.number().int(),
  keys_checked: z.number().int(),
  user_mismatches: z.array(z.object({ user_id: z.string(), balance: z.number(), ledger_sum: z.number() })),
  key_mismatches: z.array(z.object({ key_id: z.string(), spent: z.number(), ledger_sum: z.number() })),
});

const onBilling = { tag: 'admin', security: 'adminToken' } as const;
const modelParams = z.object({ model: z.string() });
const userParams = z.object({ id: z.string() });
const onePrice = { 200: { description: 'The price', schema: modelPriceSchema } };

const priceView = (row: ModelPriceRow): z.infer<typeof modelPriceSchema> => ({
  model: row.model,
  ...priceOf(row),
  updated_at: toSeconds(row.updated_at),
});
export const entryView = (entry: LedgerRow): z.infer<typeof ledgerEntrySchema> => ({
  ...entry,
  created_at: toSeconds(entry.created_at),
});

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
    const putDoc = {
      ...onBilling,
      summary: "Set a model's price (micro-units per call or per second)",
      params: modelParams,
      body: { schema: priceSchema },
      responses: onePrice,
      errors: jsonBodyErrors,
    };
    app.put<{ Params: { model: string } }>('/prices/:model', apiDoc(putDoc), async (request) => {
      const price = parseBody(priceSchema, request.body);
      await admin.putPrice(request.params.model, price, Date.now());
      return requirePrice(request.params.model);
    });

    const pricesDoc = {
      ...onBilling,
      summary: 'Every model price',
      responses: {
        200: { description: 'The prices', schema: z.object({ data: z.array(modelPriceSchema) }) },
      },
    };
    app.get('/prices', apiDoc(pricesDoc), async () => ({ data: (await admin.listPrices()).map(priceView) }));

    const priceDoc = {
      ...onBilling,
      summary: "A model's price",
      params: modelParams,
      responses: onePrice,
      errors: [404],
    };
    app.get<{ Params: { model: string } }>('/prices/:model', apiDoc(priceDoc), async (request) =>
      requirePrice(request.params.model),
    );

    const deletePriceDoc = {
      ...onBilling,
      summary: "Remove a model's price (the model is then refused)",
      params: modelParams,
      responses: {
        200: { description: 'Deleted', schema: z.object({ model: z.string(), deleted: z.literal(true) }) },
      },
      errors: [404],
    };
    app.delete<{ Params: { model: string } }>('/prices/:model', apiDoc(deletePriceDoc), async (request) => {
      if (!(await admin.deletePrice(request.params.model)))
        throw new NotFoundError(`No price for ${request.params.model}`, 'model', 'price_not_found');
      return { model: request.params.model, deleted: true };
    });

    const credited = z.object({ entry: ledgerEntrySchema, balance: z.number() });
    const topUpDoc = {
      ...onBilling,
      summary: "Add to a user's balance (idempotency_key makes a retry harmless)",
      params: userParams,
      body: { schema: topUp },
      responses: {
        200: { description: 'The entry and new balance', schema: credited.extend({ replayed: z.boolean() }) },
      },
      errors: [404, ...jsonBodyErrors],
    };
    app.post<{ Params: { id: string } }>('/users/:id/topup', apiDoc(topUpDoc), async (request) => {
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

    const adjustmentDoc = {
      ...onBilling,
      summary: "Correct a user's balance, up or down, with a note",
      params: userParams,
      body: { schema: adjustment },
      responses: { 200: { description: 'The entry and new balance', schema: credited } },
      errors: [404, ...jsonBodyErrors],
    };
    app.post<{ Params: { id: string } }>('/users/:id/adjustments', apiDoc(adjustmentDoc), async (request) => {
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

    const ledgerDoc = {
      ...onBilling,
      summary: "A user's ledger over a period",
      params: userParams,
      query: ledgerQuery,
      responses: {
        200: {
          description: 'The balance and entries',
          schema: ledgerSchema.extend({ user_id: z.string(), balance: z.number() }),
        },
      },
      errors: [404],
    };
    app.get<{ Params: { id: string } }>('/users/:id/ledger', apiDoc(ledgerDoc), async (request) => {
      const query = parseQuery(ledgerQuery, request.query);
      const user = await requireUser(request.params.id);
      const entries = await admin.listLedger(user.id, { ...periodMs(query), limit: query.limit });
      return { user_id: user.id, balance: user.balance, data: entries.map(entryView) };
    });

    const usageDoc = {
      ...onBilling,
      summary: 'Tasks and spend over a period, by model, key or channel',
      query: usageQuery,
      responses: { 200: { description: 'The totals', schema: usageSchema } },
    };
    app.get('/usage', apiDoc(usageDoc), async (request) => {
      const query = parseQuery(usageQuery, request.query);
      const range = periodMs(query);
      const rows = await admin.usage({ ...range, groupBy: query.group_by, userId: query.user_id });
      return { from: toSeconds(range.from), to: toSeconds(range.to), group_by: query.group_by, data: rows };
    });

    const auditDoc = {
      ...onBilling,
      summary: 'Recompute every balance and key spend from the ledger and report differences',
      responses: { 200: { description: 'The audit', schema: auditSchema } },
    };
    app.get('/audit', apiDoc(auditDoc), async () => admin.audit());
  };
}
