/** Channels' circuits as several instances share them (channels/shared-circuits.ts). */
import { announceChange } from './change-feed.js';
import type { Database } from './db.js';
import type { ChannelCircuitsTable } from './schema.js';

/** Records a circuit opened or closed and tells every instance. */
export async function saveCircuit(
  database: Database,
  circuit: Omit<ChannelCircuitsTable, 'updated_at'>,
  now: number,
): Promise<void> {
  const values = { ...circuit, updated_at: now };
  await database.db
    .insertInto('channel_circuits')
    .values(values)
    // A later finding wins: a close of an older circuit does not undo a newer opening.
    .onConflict((oc) =>
      oc
        .column('channel_id')
        .doUpdateSet(values)
        .where('channel_circuits.opened_at', '<=', circuit.opened_at),
    )
    .execute();
  await announceChange(database, 'circuit', circuit.channel_id);
}

/** The shared circuits, or one channel's. */
export async function listCircuits(database: Database, channelId?: string): Promise<ChannelCircuitsTable[]> {
  let query = database.db.selectFrom('channel_circuits').selectAll();
  if (channelId !== undefined) query = query.where('channel_id', '=', channelId);
  return query.execute();
}
