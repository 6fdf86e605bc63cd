/** Users and their API keys. */
import { announceChange } from './change-feed.js';
import type { Database } from './db.js';
import type { ApiKeyRow, UserRow } from './schema.js';

/** What an operator may change on a key after it is made (its secret and owner stay). */
export type ApiKeyChanges = Partial<
  Pick<
    ApiKeyRow,
    | 'name'
    | 'models'
    | 'expires_at'
    | 'spend_limit'
    | 'webhook_url'
    | 'webhook_secret'
    | 'rpm'
    | 'max_concurrent_tasks'
  >
>;

export async function insertUser(database: Database, user: UserRow): Promise<void> {
  await database.db.insertInto('users').values(user).execute();
}

export async function findUser(database: Database, id: string): Promise<UserRow | undefined> {
  return database.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listUsers(database: Database): Promise<UserRow[]> {
  return database.db.selectFrom('users').selectAll().orderBy('created_at').execute();
}

export async function insertApiKey(database: Database, key: ApiKeyRow): Promise<void> {
  await database.db.insertInto('api_keys').values(key).execute();
}

export async function findApiKeyByHash(database: Database, keyHash: string): Promise<ApiKeyRow | undefined> {
  return database.db.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
}

export async function listApiKeys(database: Database, userId: string): Promise<ApiKeyRow[]> {
  return database.db
    .selectFrom('api_keys')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .execute();
}

/** Applies the changes to one of the user's keys; false when the user has no such key. */
export async function updateApiKey(
  database: Database,
  userId: string,
  keyId: string,
  changes: ApiKeyChanges,
): Promise<boolean> {
  if (Object.keys(changes).length === 0) return true;
  const result = await database.db
    .updateTable('api_keys')
    .set(changes)
    .where('id', '=', keyId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) return false;
  await announceChange(database, 'api_key', keyId);
  return true;
}

export async function revokeApiKey(
  database: Database,
  userId: string,
  keyId: string,
  now: number,
): Promise<boolean> {
  const result = await database.db
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('id', '=', keyId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) return false;
  await announceChange(database, 'api_key', keyId);
  return true;
}

export async function getSetting(database: Database, key: string): Promise<string | undefined> {
  const row = await database.db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', key)
    .executeTakeFirst();
  return row?.value;
}

export async function putSetting(database: Database, key: string, value: string): Promise<void> {
  await database.db
    .insertInto('settings')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}
