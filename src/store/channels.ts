/** Channels: one vendor account each. Credentials stay sealed here; channels/directory.ts opens them. */
import { announceChange } from './change-feed.js';
import type { Database } from './db.js';
import type { ChannelRow, ChannelsTable } from './schema.js';

export async function insertChannel(database: Database, channel: ChannelRow): Promise<void> {
  await database.db.insertInto('channels').values(channel).execute();
  await announceChange(database, 'channel', channel.id);
}

export async function listChannels(database: Database): Promise<ChannelRow[]> {
  return database.db.selectFrom('channels').selectAll().orderBy('created_at').execute();
}

export async function findChannel(database: Database, id: string): Promise<ChannelRow | undefined> {
  return database.db.selectFrom('channels').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updateChannel(
  database: Database,
  id: string,
  changes: Partial<Omit<ChannelsTable, 'id' | 'created_at'>>,
): Promise<boolean> {
  const result = await database.db
    .updateTable('channels')
    .set(changes)
    .where('id', '=', id)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) return false;
  await announceChange(database, 'channel', id);
  return true;
}

/** Disables a channel that the vendor refuses (credentials, arrears), keeping the reason for the operator. */
export async function disableChannel(
  database: Database,
  id: string,
  reason: string,
  now: number,
): Promise<void> {
  const result = await database.db
    .updateTable('channels')
    .set({ enabled: 0, disabled_reason: reason, updated_at: now })
    .where('id', '=', id)
    .where('enabled', '=', 1)
    .executeTakeFirst();
  if (result.numUpdatedRows > 0n) await announceChange(database, 'channel', id);
}

export async function deleteChannel(database: Database, id: string): Promise<boolean> {
  const result = await database.db.deleteFrom('channels').where('id', '=', id).executeTakeFirst();
  if (result.numDeletedRows === 0n) return false;
  await announceChange(database, 'channel', id);
  return true;
}
