/**
 * Finding 7 of the security review: secrets at rest are sealed under keys derived by HKDF (scrypt for a
 * passphrase), bound to their row, rotatable (REELAY_SECRET_PREVIOUS and a re-seal), with the data directory and
 * database readable by their owner only.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { Gateway } from '../../src/gateway.js';
import { resealAll } from '../../src/security/reseal.js';
import { credentialsPlace, Sealer } from '../../src/security/sealing.js';
import { Harness, testDatabases } from '../support/harness.js';

const secretA = randomBytes(32).toString('hex');
const secretB = 'a long passphrase an operator chose';

/** A value in the first format: AES-256-GCM under the secret's SHA-256, nothing bound. */
function sealedV1(secret: string, value: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', createHash('sha256').update(secret).digest(), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value)), cipher.final()]);
  return `v1:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
}

describe('sealed values', () => {
  it('open only in the row they were sealed for', () => {
    const sealer = new Sealer(secretA);
    const sealed = sealer.seal({ api_key: 'vendor-key' }, credentialsPlace('ch_one'));
    expect(sealed).toMatch(/^v2:[0-9a-f]{8}:/);
    expect(sealer.open(sealed, credentialsPlace('ch_one'))).toEqual({ api_key: 'vendor-key' });
    expect(() => sealer.open(sealed, credentialsPlace('ch_two'))).toThrow();
  });

  it('open under the previous secret after a rotation, and values of the first format still open', () => {
    const before = new Sealer(secretA);
    const sealed = before.seal('whsec_x', credentialsPlace('ch_one'));
    const rotated = new Sealer(secretB, [secretA]);
    expect(rotated.open(sealed, credentialsPlace('ch_one'))).toBe('whsec_x');
    expect(rotated.isStale(sealed)).toBe(true);
    expect(() => new Sealer(secretB).open(sealed, credentialsPlace('ch_one'))).toThrow(
      /REELAY_SECRET_PREVIOUS/,
    );
    expect(rotated.open(sealedV1(secretA, { a: 1 }), credentialsPlace('ch_one'))).toEqual({ a: 1 });
  });
});

describe.each(testDatabases())('rotating REELAY_SECRET on %s', (database) => {
  const harnesses: Harness[] = [];
  afterAll(async () => {
    for (const h of harnesses.reverse()) await h.close();
  });

  it('keeps every channel working through REELAY_SECRET_PREVIOUS, a re-seal, and the old secret gone', async () => {
    const first = await Harness.start({ database, config: { REELAY_SECRET: secretA } });
    harnesses.push(first);
    await first.channel('kling');
    const { key } = await first.user({ webhook_url: 'https://example.com/hook' });
    await first.stopGateway();

    const rotated = await Harness.start({
      reuse: first,
      config: { REELAY_SECRET: secretB, REELAY_SECRET_PREVIOUS: secretA },
    });
    harnesses.push(rotated);
    const during = await rotated.submit(key, { model: 'kling-v1', prompt: 'during the rotation' });
    expect((await rotated.waitForEnd(key, during.body.task_id)).body.status).toBe('succeeded');
    const { deps, sealer } = rotated.gateway;
    expect(await resealAll(deps.database, sealer)).toMatchObject({ resealed: 2 });
    expect(await resealAll(deps.database, sealer)).toMatchObject({ resealed: 0 });
    await rotated.stopGateway();

    const after = await Harness.start({ reuse: first, config: { REELAY_SECRET: secretB } });
    harnesses.push(after);
    const done = await after.submit(key, { model: 'kling-v1', prompt: 'after the rotation' });
    expect((await after.waitForEnd(key, done.body.task_id)).body.status).toBe('succeeded');
  });
});

describe('the data directory', () => {
  const root = mkdtempSync(join(tmpdir(), 'reelay-perm-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('is created readable by its owner only, as are the database and the key', async () => {
    const dataDir = join(root, 'data');
    const config = loadConfig(
      {},
      { REELAY_DATA_DIR: dataDir, DATABASE_URL: `sqlite:${join(dataDir, 'reelay.db')}`, LOG_LEVEL: 'silent' },
    );
    const gateway = await Gateway.create(config, { logger: pino({ level: 'silent' }) });
    await gateway.close();
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'reelay.db')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);
  });

  it.skipIf(!process.env.DATABASE_URL_TEST)(
    'warns at start when PostgreSQL is used with the key from a local file',
    async () => {
      let logged = '';
      const logger = pino(
        { level: 'warn' },
        new Writable({ write: (chunk, _encoding, done) => ((logged += String(chunk)), done()) }),
      );
      const config = loadConfig(
        {},
        {
          REELAY_DATA_DIR: join(root, 'pg'),
          DATABASE_URL: process.env.DATABASE_URL_TEST!,
          LOG_LEVEL: 'warn',
        },
      );
      const gateway = await Gateway.create(config, {
        logger,
        database: { schema: 'reelay_test_sealing_warn' },
      });
      await gateway.close();
      const client = new pg.Client({ connectionString: process.env.DATABASE_URL_TEST });
      await client.connect();
      await client.query('DROP SCHEMA IF EXISTS reelay_test_sealing_warn CASCADE');
      await client.end();
      expect(logged).toContain('Set REELAY_SECRET on every instance');
    },
  );
});
