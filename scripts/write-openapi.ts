/**
 * `npm run openapi`: writes docs/openapi.json, the document GET /openapi.json serves, for readers of the
 * repository. A test holds the file to the served document, so it cannot drift either.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { Gateway } from '../src/gateway.js';

const documentPath = join(import.meta.dirname, '../docs/openapi.json');

const dataDir = mkdtempSync(join(tmpdir(), 'reelay-openapi-'));
try {
  const config = loadConfig(
    {},
    {
      DATABASE_URL: `sqlite:${join(dataDir, 'reelay.db')}`,
      REELAY_DATA_DIR: dataDir,
      REELAY_ADMIN_TOKEN: 'openapi-export-token-0123456789abcdef',
    },
  );
  const gateway = await Gateway.create(config, { logger: pino({ level: 'silent' }) });
  const document = (await gateway.app.inject('/openapi.json')).json<unknown>();
  await gateway.close();
  writeFileSync(documentPath, JSON.stringify(document, null, 2) + '\n');
  console.log(`wrote ${documentPath}`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
