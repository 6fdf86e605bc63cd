/**
 * `npm run reseal`: after rotating REELAY_SECRET (the old value in REELAY_SECRET_PREVIOUS), seals every stored
 * credential and webhook secret anew under the current secret. Configured like `npm start`.
 */
import { loadConfig } from './config.js';
import { loadOrCreateSecret } from './security/secrets.js';
import { Sealer } from './security/sealing.js';
import { resealAll } from './security/reseal.js';
import { openDatabase } from './store/db.js';

const config = loadConfig();
const database = await openDatabase(config.DATABASE_URL);
const sealer = new Sealer(
  loadOrCreateSecret(config.REELAY_DATA_DIR, config.REELAY_SECRET),
  config.REELAY_SECRET_PREVIOUS ? [config.REELAY_SECRET_PREVIOUS] : [],
);
const { total, resealed } = await resealAll(database, sealer);
await database.close();
console.log(`Re-sealed ${resealed} of ${total} sealed values under the current REELAY_SECRET.`);
