/** Channels: one vendor account each. Credentials stay sealed here; core/channels.ts opens them. */
import type { Kysely } from 'kysely';
import type { ChannelRow, ChannelsTable, Schema } from './schema.js';

export async function insertChannel(db: Kysely<Schema>, channel: ChannelRow): Promise<void> {
  await db.insertInto('channels').values(channel).execute();
}

export async function listChannels(db: Kysely<Schema>): Promise<ChannelRow[]> {
  return db.selectFrom('channels').selectAll().orderBy('created_at').execute();
}

export async function findChannel(db: Kysely<Schema>, id: string): Promise<ChannelRow | undefined> {
  return db.selectFrom('channels').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updateChannel(
  db: Kysely<Schema>,
  id: string,
  changes: Partial<Omit<ChannelsTable, 'id' | 'created_at'>>,
): Promise<boolean> {
  const result = await db.updateTable('channels').set(changes).where('id', '=', id).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Disables a channel that the vendor refuses (credentials, arrears), keeping the reason for the operator. */
export async function disableChannel(
  db: Kysely<Schema>,
  id: string,
  reason: string,
  now: number,
): Promise<void> {
  await db
    .updateTable('channels')
    .set({ enabled: 0, disabled_reason: reason, updated_at: now })
    .where('id', '=', id)
    .where('enabled', '=', 1)
    .execute();
}

export async function deleteChannel(db: Kysely<Schema>, id: string): Promise<boolean> {
  const result = await db.deleteFrom('channels').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
