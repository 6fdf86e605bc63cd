/** Users and their API keys. */
import type { Kysely } from 'kysely';
import type { ApiKeyRow, Schema, UserRow } from './schema.js';

/** What an operator may change on a key after it is made (its secret and owner stay). */
export type ApiKeyChanges = Partial<
  Pick<ApiKeyRow, 'name' | 'models' | 'expires_at' | 'spend_limit' | 'webhook_url' | 'webhook_secret'>
>;

export async function insertUser(db: Kysely<Schema>, user: UserRow): Promise<void> {
  await db.insertInto('users').values(user).execute();
}

export async function findUser(db: Kysely<Schema>, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listUsers(db: Kysely<Schema>): Promise<UserRow[]> {
  return db.selectFrom('users').selectAll().orderBy('created_at').execute();
}

export async function insertApiKey(db: Kysely<Schema>, key: ApiKeyRow): Promise<void> {
  await db.insertInto('api_keys').values(key).execute();
}

export async function findApiKeyByHash(db: Kysely<Schema>, keyHash: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
}

export async function listApiKeys(db: Kysely<Schema>, userId: string): Promise<ApiKeyRow[]> {
  return db.selectFrom('api_keys').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
}

/** Applies the changes to one of the user's keys; false when the user has no such key. */
export async function updateApiKey(
  db: Kysely<Schema>,
  userId: string,
  keyId: string,
  changes: ApiKeyChanges,
): Promise<boolean> {
  if (Object.keys(changes).length === 0) return true;
  const result = await db
    .updateTable('api_keys')
    .set(changes)
    .where('id', '=', keyId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function revokeApiKey(
  db: Kysely<Schema>,
  userId: string,
  keyId: string,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('id', '=', keyId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function getSetting(db: Kysely<Schema>, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

export async function putSetting(db: Kysely<Schema>, key: string, value: string): Promise<void> {
  await db
    .insertInto('settings')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}
