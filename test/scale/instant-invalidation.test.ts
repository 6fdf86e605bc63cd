/**
 * Two gateways on one PostgreSQL database: a change made through one (key revoked or edited, channel disabled,
 * task deleted) is seen by the other at once, by PostgreSQL's notice, not by its cache running out (the TTL here
 * is ten minutes). A lost notification connection comes back by itself.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../support/harness.js';

const longTtl = { CACHE_TTL_MS: 600_000 };

/** Asks until `ok` holds (a notice is asynchronous), or gives up long before any cache would have expired. */
async function eventually<T>(ask: () => Promise<T>, ok: (answer: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const answer = await ask();
    if (ok(answer) || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const missingTask = 'task_00000000000000000000';

describe.skipIf(!testDatabases().includes('postgres'))('two instances on one PostgreSQL', () => {
  let a: Harness;
  let b: Harness;

  beforeAll(async () => {
    a = await Harness.start({ database: 'postgres', config: longTtl });
    b = await Harness.start({ database: 'postgres', config: longTtl, reuse: a });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('refuses on B a key revoked through A', async () => {
    const { userId, key, keyId } = await a.user();
    expect((await b.query(key, missingTask)).status).toBe(404);
    expect((await a.admin('DELETE', `/users/${userId}/keys/${keyId}`)).status).toBe(200);
    const res = await eventually(
      () => b.query(key, missingTask),
      (r) => r.status === 401,
    );
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('revoked_api_key');
  });

  it("applies on B a key's allow-list edited through A", async () => {
    await a.channel('kling');
    const { userId, key, keyId } = await a.user();
    expect((await b.submit(key, { model: 'kling-v1', prompt: 'x' })).status).toBe(200);
    const patched = await a.admin('PATCH', `/users/${userId}/keys/${keyId}`, { models: ['kling-v1-6'] });
    expect(patched.status).toBe(200);
    const res = await eventually(
      () => b.submit(key, { model: 'kling-v1', prompt: 'x' }),
      (r) => r.status === 403,
    );
    expect(res.body.code).toBe('model_not_allowed');
  });

  it("applies on A and B at once a key's submits per minute lowered through A", async () => {
    await a.channel('kling');
    const { userId, key, keyId } = await a.user({ rpm: 100 });
    expect((await b.submit(key, { model: 'kling-v1', prompt: 'x' })).status).toBe(200);
    expect((await a.admin('PATCH', `/users/${userId}/keys/${keyId}`, { rpm: 1 })).status).toBe(200);
    // Read where the task is saved, not from memory: no notice to wait for.
    for (const instance of [a, b]) {
      const refused = await instance.submit(key, { model: 'kling-v1', prompt: 'y' });
      expect(refused.status).toBe(429);
      expect(refused.body.code).toBe('key_rate_limited');
    }
  });

  it('gives B no new jobs for a channel disabled through A', async () => {
    const channelId = await a.channel('vidu');
    const { key } = await a.user();
    const first = await b.submit(key, { model: 'viduq1', prompt: 'x' });
    expect(first.status).toBe(200);
    expect((await a.admin('PATCH', `/channels/${channelId}`, { enabled: false })).status).toBe(200);
    const started = a.sim.world.tasks.size;
    const res = await eventually(
      () => b.submit(key, { model: 'viduq1', prompt: 'x' }),
      (r) => r.status === 503,
    );
    expect(res.status).toBe(503);
    expect(a.sim.world.tasks.size).toBe(started);
  });

  it('answers 404 on B for a task deleted through A', async () => {
    await a.channel('kling');
    const { key } = await a.user();
    const { task_id } = (await a.submit(key, { model: 'kling-v1', prompt: 'x' })).body;
    expect((await b.waitForEnd(key, task_id)).body.status).toBe('succeeded');
    expect((await b.query(key, task_id)).status).toBe(200);
    expect((await a.http('DELETE', `/v1/videos/${task_id}`, { token: key })).status).toBe(200);
    const res = await eventually(
      () => b.query(key, task_id),
      (r) => r.status === 404,
    );
    expect(res.status).toBe(404);
  });

  it('listens again after its notification connection is cut, and then forgets what it knew', async () => {
    const { key, keyId } = await a.user();
    expect((await b.query(key, missingTask)).status).toBe(404);
    // Revoked straight in the database, unannounced: B keeps answering from memory...
    await a.gateway.deps.database.db
      .updateTable('api_keys')
      .set({ revoked_at: Date.now() })
      .where('id', '=', keyId)
      .execute();
    expect((await b.query(key, missingTask)).status).toBe(404);
    // ...until its listening connection is lost (A's too: both listen for this schema) and comes back.
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL_TEST });
    await admin.connect();
    const { rowCount } = await admin.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
      [`reelay changes ${b.schema}`],
    );
    await admin.end();
    expect(rowCount).toBeGreaterThan(0);
    const revoked = await eventually(
      () => b.query(key, missingTask),
      (r) => r.status === 401,
    );
    expect(revoked.status).toBe(401);
    // And notices flow again: another key revoked through A is refused by B.
    const other = await a.user();
    expect((await b.query(other.key, missingTask)).status).toBe(404);
    expect((await a.admin('DELETE', `/users/${other.userId}/keys/${other.keyId}`)).status).toBe(200);
    const res = await eventually(
      () => b.query(other.key, missingTask),
      (r) => r.status === 401,
    );
    expect(res.status).toBe(401);
  });
});
