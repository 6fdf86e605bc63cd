/** Every value sealed at rest, by place, for re-sealing after a key rotation (security/reseal.ts). */
import type { Database } from './db.js';

export interface StoredSealedValue {
  table: 'channels' | 'api_keys';
  id: string;
  column: 'credentials' | 'webhook_secret';
  value: string;
}

export async function listSealedValues(database: Database): Promise<StoredSealedValue[]> {
  const channels = await database.db.selectFrom('channels').select(['id', 'credentials']).execute();
  const keys = await database.db
    .selectFrom('api_keys')
    .select(['id', 'webhook_secret'])
    .where('webhook_secret', 'is not', null)
    .execute();
  return [
    ...channels.map((c) => ({
      table: 'channels' as const,
      id: c.id,
      column: 'credentials' as const,
      value: c.credentials,
    })),
    ...keys.map((k) => ({
      table: 'api_keys' as const,
      id: k.id,
      column: 'webhook_secret' as const,
      value: k.webhook_secret!,
    })),
  ];
}

/** Replaces a sealed value if it is still the one read (an admin may have changed it since): true when written. */
export async function replaceSealedValue(
  database: Database,
  stored: StoredSealedValue,
  fresh: string,
): Promise<boolean> {
  const result =
    stored.table === 'channels'
      ? await database.db
          .updateTable('channels')
          .set({ credentials: fresh })
          .where('id', '=', stored.id)
          .where('credentials', '=', stored.value)
          .executeTakeFirst()
      : await database.db
          .updateTable('api_keys')
          .set({ webhook_secret: fresh })
          .where('id', '=', stored.id)
          .where('webhook_secret', '=', stored.value)
          .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
