import { openDatabase } from '../src/store/db.js';
import { findApiKeyByHash } from '../src/store/accounts.js';
import { findTaskForUser } from '../src/store/tasks.js';
import { mkdtempSync } from 'node:fs';
const dir = mkdtempSync('/tmp/micro-');
const d = await openDatabase(`sqlite:${dir}/x.db`);
await d.db.insertInto('users').values({ id: 'u1', name: 'x', balance: 0, created_at: 1 }).execute();
await d.db
  .insertInto('api_keys')
  .values({
    id: 'k1',
    user_id: 'u1',
    name: null,
    key_hash: 'h',
    key_hint: 'x',
    models: null,
    expires_at: null,
    revoked_at: null,
    spend_limit: null,
    spent: 0,
    created_at: 1,
    webhook_url: null,
    webhook_secret: null,
  })
  .execute();
const N = 20000;
let t = performance.now();
for (let i = 0; i < N; i++) await findApiKeyByHash(d.db, 'h');
console.log('findApiKeyByHash µs', (((performance.now() - t) * 1000) / N).toFixed(1));
t = performance.now();
for (let i = 0; i < N; i++) await findTaskForUser(d, 'task_x', 'u1');
console.log('findTaskForUser(miss) µs', (((performance.now() - t) * 1000) / N).toFixed(1));
t = performance.now();
for (let i = 0; i < N; i++) d.db.selectFrom('api_keys').selectAll().where('key_hash', '=', 'h').compile();
console.log('compile only µs', (((performance.now() - t) * 1000) / N).toFixed(1));
t = performance.now();
for (let i = 0; i < N; i++)
  await d.db
    .updateTable('api_keys')
    .set({ spent: i, name: 'x' })
    .where('id', '=', 'k1')
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
console.log('update autocommit µs', (((performance.now() - t) * 1000) / N).toFixed(1));
t = performance.now();
await d.db.transaction().execute(async (trx) => {
  for (let i = 0; i < N; i++)
    await trx
      .updateTable('api_keys')
      .set({ spent: i, name: 'x' })
      .where('id', '=', 'k1')
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
});
console.log('update in one trx µs', (((performance.now() - t) * 1000) / N).toFixed(1));
await d.close();
