/**
 * After a rotation of REELAY_SECRET (the old one in REELAY_SECRET_PREVIOUS): every sealed value opened with
 * whichever key sealed it and sealed again under the current one, in place. Safe to run while gateways serve and to
 * run again; once it reports nothing stale, REELAY_SECRET_PREVIOUS can go.
 */
import type { Database } from '../store/db.js';
import { listSealedValues, replaceSealedValue } from '../store/sealed-values.js';
import type { Sealer } from './sealing.js';

export async function resealAll(
  database: Database,
  sealer: Sealer,
): Promise<{ total: number; resealed: number }> {
  let resealed = 0;
  const all = await listSealedValues(database);
  for (const stored of all) {
    if (!sealer.isStale(stored.value)) continue;
    const fresh = sealer.seal(sealer.open(stored.value, stored), stored);
    if (await replaceSealedValue(database, stored, fresh)) resealed++;
  }
  return { total: all.length, resealed };
}
