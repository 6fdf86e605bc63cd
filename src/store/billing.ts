/**
 * The books: prices, balances and the ledger. Every movement of money is a ledger entry written in the same
 * transaction as the balance change and the task change it belongs to; a task's reserve, settle and refund
 * are unique per task, so no retry, second poller or restart can apply one twice.
 */
import { sql } from 'kysely';
import { settledCost, type Price } from '../billing/prices.js';
import { ApiError, InsufficientBalanceError } from '../errors.js';
import { newId, sha256Hex } from '../security/secrets.js';
import type { VideoFacts } from '../vendors/adapter.js';
import type { Database } from './db.js';
import type { LedgerKind, LedgerRow, ModelPriceRow, TaskJobRow, TaskRow, TaskStatus } from './schema.js';

/** The price a task was accepted at, with the mode it was billed in. */
export interface PriceSnapshot extends Price {
  mode: string | null;
}

export async function findPrice(database: Database, model: string): Promise<Price | undefined> {
  const row = await database.db
    .selectFrom('model_prices')
    .selectAll()
    .where('model', '=', model)
    .executeTakeFirst();
  return row ? priceOf(row) : undefined;
}

export function priceOf(row: ModelPriceRow): Price {
  return {
    unit: row.unit,
    price: row.price,
    resolution_multipliers: JSON.parse(row.resolution_multipliers) as Price['resolution_multipliers'],
    mode_multipliers: JSON.parse(row.mode_multipliers) as Price['mode_multipliers'],
    free: row.free === 1,
  };
}

export async function listPrices(database: Database): Promise<ModelPriceRow[]> {
  return database.db.selectFrom('model_prices').selectAll().orderBy('model').execute();
}

export async function putPrice(database: Database, model: string, price: Price, now: number): Promise<void> {
  const row = {
    unit: price.unit,
    price: price.price,
    resolution_multipliers: JSON.stringify(price.resolution_multipliers),
    mode_multipliers: JSON.stringify(price.mode_multipliers),
    free: price.free ? 1 : 0,
    updated_at: now,
  };
  await database.db
    .insertInto('model_prices')
    .values({ model, ...row })
    .onConflict((oc) => oc.column('model').doUpdateSet(row))
    .execute();
}

export async function deletePrice(database: Database, model: string): Promise<boolean> {
  const result = await database.db.deleteFrom('model_prices').where('model', '=', model).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/**
 * Holds `amount` from the user's balance and the key's limit, atomically: the conditional updates make an
 * overdraft impossible however many submits race. Throws (rolling the transaction back) when either is short.
 */
export async function reserve(
  trx: Database,
  hold: { userId: string; keyId: string; taskId: string; amount: number; now: number },
): Promise<void> {
  if (hold.amount === 0) return;
  const fromBalance = await trx.db
    .updateTable('users')
    .set({ balance: sql<number>`balance - ${hold.amount}` })
    .where('id', '=', hold.userId)
    .where('balance', '>=', hold.amount)
    .executeTakeFirst();
  if (fromBalance.numUpdatedRows === 0n) {
    throw new InsufficientBalanceError(
      `Insufficient balance: this task needs ${hold.amount} micro-units`,
      'insufficient_balance',
    );
  }
  const fromKey = await trx.db
    .updateTable('api_keys')
    .set({ spent: sql<number>`spent + ${hold.amount}` })
    .where('id', '=', hold.keyId)
    .where((eb) =>
      eb.or([
        eb('spend_limit', 'is', null),
        eb(sql<number>`spent + ${hold.amount}`, '<=', eb.ref('spend_limit')),
      ]),
    )
    .executeTakeFirst();
  if (fromKey.numUpdatedRows === 0n) {
    throw new InsufficientBalanceError(
      "This task would exceed the API key's spending limit",
      'key_spend_limit_reached',
    );
  }
  await insertEntry(trx, {
    user_id: hold.userId,
    key_id: hold.keyId,
    task_id: hold.taskId,
    kind: 'reserve',
    amount: -hold.amount,
    note: null,
    created_at: hold.now,
  });
}

/** What each job of an ended task costs: what it delivered (never more than its estimate); a failed one nothing. */
export function jobCosts(
  priceSnapshot: string | null,
  jobs: Pick<TaskJobRow, 'id' | 'state' | 'facts' | 'cost_estimate'>[],
): Map<string, number> {
  const price = priceSnapshot ? (JSON.parse(priceSnapshot) as PriceSnapshot) : null;
  const costs = new Map<string, number>();
  for (const job of jobs) {
    const facts = job.facts ? (JSON.parse(job.facts) as VideoFacts) : null;
    costs.set(
      job.id,
      job.state === 'succeeded' && price && facts
        ? settledCost(price, facts, price.mode, job.cost_estimate)
        : 0,
    );
  }
  return costs;
}

/**
 * Settles an ended task's reservation, inside the transaction that ended it: `charged` stays spent, the rest goes
 * back (all of it for a failed task). The settle or refund entry is unique per task, so it never happens twice.
 */
export async function settleReservation(
  trx: Database,
  task: Pick<TaskRow, 'id' | 'user_id' | 'key_id' | 'cost_reserved'>,
  status: TaskStatus,
  charged: number,
  now: number,
): Promise<void> {
  if (task.cost_reserved === 0) return;
  const giveBack = task.cost_reserved - charged;
  await insertEntry(trx, {
    user_id: task.user_id,
    key_id: task.key_id,
    task_id: task.id,
    kind: status === 'failed' ? 'refund' : 'settle',
    amount: giveBack,
    note: null,
    created_at: now,
  });
  if (giveBack !== 0) {
    await trx.db
      .updateTable('users')
      .set({ balance: sql<number>`balance + ${giveBack}` })
      .where('id', '=', task.user_id)
      .execute();
    await trx.db
      .updateTable('api_keys')
      .set({ spent: sql<number>`spent - ${giveBack}` })
      .where('id', '=', task.key_id)
      .execute();
  }
}

/**
 * A top-up or an operator's adjustment. With an idempotency key the entry's id is derived from it, so the same
 * top-up sent twice is applied once. Returns the entry and the new balance.
 */
export async function creditUser(
  database: Database,
  credit: {
    userId: string;
    kind: Extract<LedgerKind, 'topup' | 'adjustment'>;
    amount: number;
    note: string | null;
    idempotencyKey?: string;
  },
): Promise<{ entry: LedgerRow; balance: number; replayed: boolean }> {
  const id = credit.idempotencyKey
    ? `led_${sha256Hex(`${credit.userId}:${credit.idempotencyKey}`).slice(0, 32)}`
    : newId('led');
  return database.db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('ledger').selectAll().where('id', '=', id).executeTakeFirst();
    if (!existing) {
      if (credit.amount < 0) {
        const taken = await trx
          .updateTable('users')
          .set({ balance: sql<number>`balance + ${credit.amount}` })
          .where('id', '=', credit.userId)
          .where('balance', '>=', -credit.amount)
          .executeTakeFirst();
        if (taken.numUpdatedRows === 0n)
          throw new ApiError(
            400,
            'invalid_request_error',
            'The adjustment would make the balance negative',
            'amount',
            'negative_balance',
          );
      } else {
        await trx
          .updateTable('users')
          .set({ balance: sql<number>`balance + ${credit.amount}` })
          .where('id', '=', credit.userId)
          .execute();
      }
      await trx
        .insertInto('ledger')
        .values({
          id,
          user_id: credit.userId,
          key_id: null,
          task_id: null,
          kind: credit.kind,
          amount: credit.amount,
          note: credit.note,
          created_at: Date.now(),
        })
        .execute();
    }
    const entry = await trx.selectFrom('ledger').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const user = await trx
      .selectFrom('users')
      .select('balance')
      .where('id', '=', credit.userId)
      .executeTakeFirstOrThrow();
    return { entry, balance: user.balance, replayed: existing !== undefined };
  });
}

async function insertEntry(trx: Database, entry: Omit<LedgerRow, 'id'>): Promise<void> {
  await trx.db
    .insertInto('ledger')
    .values({ id: newId('led'), ...entry })
    .execute();
}

export async function listLedger(
  database: Database,
  userId: string,
  period: { from: number; to: number; limit: number },
): Promise<LedgerRow[]> {
  return database.db
    .selectFrom('ledger')
    .selectAll()
    .where('user_id', '=', userId)
    .where('created_at', '>=', period.from)
    .where('created_at', '<', period.to)
    .orderBy('created_at')
    .orderBy('id')
    .limit(period.limit)
    .execute();
}

export type UsageGrouping = 'model' | 'key' | 'channel';

/** Spend and task counts over a period, grouped by model, key or channel. */
export async function usage(
  database: Database,
  filter: { from: number; to: number; userId?: string; groupBy: UsageGrouping },
): Promise<{ group: string | null; tasks: number; cost: number; reserved_open: number }[]> {
  if (filter.groupBy === 'channel') {
    let query = database.db
      .selectFrom('task_jobs')
      .innerJoin('tasks', 'tasks.id', 'task_jobs.task_id')
      .select((eb) => [
        'task_jobs.channel_id as group',
        eb.fn.count<number>('task_jobs.task_id').distinct().as('tasks'),
        eb.fn.coalesce(eb.fn.sum<number>('task_jobs.cost'), sql<number>`0`).as('cost'),
        eb.fn
          .coalesce(
            eb.fn.sum<number>(sql`case when task_jobs.cost is null then task_jobs.cost_estimate else 0 end`),
            sql<number>`0`,
          )
          .as('reserved_open'),
      ])
      .where('tasks.created_at', '>=', filter.from)
      .where('tasks.created_at', '<', filter.to)
      .groupBy('task_jobs.channel_id');
    if (filter.userId) query = query.where('tasks.user_id', '=', filter.userId);
    return (await query.execute()).map(numeric);
  }
  const column = filter.groupBy === 'model' ? 'model' : 'key_id';
  let query = database.db
    .selectFrom('tasks')
    .select((eb) => [
      eb.ref(column).as('group'),
      eb.fn.countAll<number>().as('tasks'),
      eb.fn.coalesce(eb.fn.sum<number>('cost'), sql<number>`0`).as('cost'),
      eb.fn
        .coalesce(
          eb.fn.sum<number>(sql`case when cost is null then cost_reserved else 0 end`),
          sql<number>`0`,
        )
        .as('reserved_open'),
    ])
    .where('created_at', '>=', filter.from)
    .where('created_at', '<', filter.to)
    .groupBy(column);
  if (filter.userId) query = query.where('user_id', '=', filter.userId);
  return (await query.execute()).map(numeric);
}

const numeric = (row: { group: string | null; tasks: unknown; cost: unknown; reserved_open: unknown }) => ({
  group: row.group,
  tasks: Number(row.tasks),
  cost: Number(row.cost),
  reserved_open: Number(row.reserved_open),
});

export interface AuditReport {
  balanced: boolean;
  users_checked: number;
  keys_checked: number;
  user_mismatches: { user_id: string; balance: number; ledger_sum: number }[];
  key_mismatches: { key_id: string; spent: number; ledger_sum: number }[];
}

/** Recomputes every balance and key spend from the ledger and reports any difference. */
export async function audit(database: Database): Promise<AuditReport> {
  const users = await database.db
    .selectFrom('users')
    .leftJoin('ledger', 'ledger.user_id', 'users.id')
    .select((eb) => [
      'users.id',
      'users.balance',
      eb.fn.coalesce(eb.fn.sum<number>('ledger.amount'), sql<number>`0`).as('ledger_sum'),
    ])
    .groupBy(['users.id', 'users.balance'])
    .execute();
  const keys = await database.db
    .selectFrom('api_keys')
    .leftJoin('ledger', (join) =>
      join
        .onRef('ledger.key_id', '=', 'api_keys.id')
        .on('ledger.kind', 'in', ['reserve', 'settle', 'refund']),
    )
    .select((eb) => [
      'api_keys.id',
      'api_keys.spent',
      eb.fn.coalesce(eb.fn.sum<number>('ledger.amount'), sql<number>`0`).as('ledger_sum'),
    ])
    .groupBy(['api_keys.id', 'api_keys.spent'])
    .execute();
  const user_mismatches = users
    .map((u) => ({ user_id: u.id, balance: Number(u.balance), ledger_sum: Number(u.ledger_sum) }))
    .filter((u) => u.balance !== u.ledger_sum);
  const key_mismatches = keys
    .map((k) => ({ key_id: k.id, spent: Number(k.spent), ledger_sum: -Number(k.ledger_sum) }))
    .filter((k) => k.spent !== k.ledger_sum);
  return {
    balanced: user_mismatches.length === 0 && key_mismatches.length === 0,
    users_checked: users.length,
    keys_checked: keys.length,
    user_mismatches,
    key_mismatches,
  };
}
