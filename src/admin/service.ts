/**
 * What the operator's API (http/admin/) and a key holder's account (http/account/) may read and change: users and
 * keys, channels, prices and the ledger, tasks across users, usage. Routes parse and render; they reach the
 * database only through this list.
 */
import {
  findUser,
  getSetting,
  insertApiKey,
  insertUser,
  listApiKeys,
  listUsers,
  putSetting,
  revokeApiKey,
  updateApiKey,
} from '../store/accounts.js';
import { audit, creditUser, deletePrice, listLedger, listPrices, putPrice, usage } from '../store/billing.js';
import { deleteChannel, findChannel, insertChannel, listChannels, updateChannel } from '../store/channels.js';
import type { Database } from '../store/db.js';
import { listTasks } from '../store/task-list.js';
import { findTask } from '../store/tasks.js';
import { usageSeries } from '../store/usage-series.js';

/** Readings the routes render with. */
export { priceOf } from '../store/billing.js';
export { bucketMs } from '../store/usage-series.js';
import { deliveriesOfTask } from '../store/webhooks.js';
import { insertAuditEntry, listAuditEntries } from '../store/audit-log.js';

/** Store functions with the database already given: each takes its own arguments only. */
type Bound<F> = {
  [K in keyof F]: F[K] extends (database: Database, ...args: infer A) => infer R ? (...args: A) => R : never;
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any function whose first argument is the database
function bind<F extends Record<string, (database: Database, ...args: any[]) => unknown>>(
  database: Database,
  functions: F,
): Bound<F> {
  return Object.fromEntries(
    Object.entries(functions).map(([name, fn]) => [name, fn.bind(null, database)]),
  ) as Bound<F>;
}

export function adminService(database: Database) {
  return bind(database, {
    insertUser,
    findUser,
    listUsers,
    insertApiKey,
    listApiKeys,
    updateApiKey,
    revokeApiKey,
    getSetting,
    putSetting,
    insertChannel,
    findChannel,
    listChannels,
    updateChannel,
    deleteChannel,
    listPrices,
    putPrice,
    deletePrice,
    creditUser,
    audit,
    listLedger,
    usage,
    usageSeries,
    listTasks,
    findTask,
    deliveriesOfTask,
    insertAuditEntry,
    listAuditEntries,
  });
}

export type AdminService = ReturnType<typeof adminService>;
