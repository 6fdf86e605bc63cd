/**
 * What an instance answers from memory (API keys, ended tasks; CACHE_TTL_MS) never outlives a change: its own
 * changes at once, another instance's (here: a write straight to the database) within the TTL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../../test/support/harness.js';

const ttlMs = 300;
const afterTtl = () => new Promise((resolve) => setTimeout(resolve, ttlMs + 100));

describe.each(testDatabases())('read caches on %s', (database) => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start({ database, config: { CACHE_TTL_MS: ttlMs } });
    await h.channel('kling');
  });
  afterAll(() => h.close());

  const db = () => h.gateway.deps.database.db;

  it('refuses a key revoked through another instance once the TTL has passed', async () => {
    const { key, keyId } = await h.user();
    expect((await h.query(key, 'task_00000000000000000000')).status).toBe(404);
    await db().updateTable('api_keys').set({ revoked_at: Date.now() }).where('id', '=', keyId).execute();
    await afterTtl();
    const res = await h.query(key, 'task_00000000000000000000');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('revoked_api_key');
  });

  it('applies a model allow-list changed on this instance to the next request', async () => {
    const { userId, key, keyId } = await h.user();
    expect((await h.submit(key, { model: 'kling-v1', prompt: 'x' })).status).toBe(200);
    const patched = await h.admin('PATCH', `/users/${userId}/keys/${keyId}`, { models: ['kling-v1-6'] });
    expect(patched.status).toBe(200);
    const res = await h.submit(key, { model: 'kling-v1', prompt: 'x' });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('model_not_allowed');
  });

  it("keeps an ended task its owner's: another user gets the same 404 as for no task", async () => {
    const owner = await h.user();
    const stranger = await h.user();
    const { task_id } = (await h.submit(owner.key, { model: 'kling-v1', prompt: 'x' })).body;
    expect((await h.waitForEnd(owner.key, task_id)).body.status).toBe('succeeded');
    expect((await h.query(owner.key, task_id)).status).toBe(200);
    const foreign = await h.query(stranger.key, task_id);
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe('task_not_found');
    const video = await h.http('GET', `/v1/videos/${task_id}`, { token: stranger.key });
    expect(video.status).toBe(404);
  });

  it('answers 404 for an ended task deleted through another instance once the TTL has passed', async () => {
    const { key } = await h.user();
    const { task_id } = (await h.submit(key, { model: 'kling-v1', prompt: 'x' })).body;
    expect((await h.waitForEnd(key, task_id)).body.status).toBe('succeeded');
    expect((await h.query(key, task_id)).status).toBe(200);
    await db().updateTable('tasks').set({ deleted_at: Date.now() }).where('id', '=', task_id).execute();
    await afterTtl();
    expect((await h.query(key, task_id)).status).toBe(404);
    expect((await h.http('GET', `/v1/videos/${task_id}`, { token: key })).status).toBe(404);
  });

  it('answers 404 on both surfaces at once after a delete on this instance', async () => {
    const { key } = await h.user();
    const { task_id } = (await h.submit(key, { model: 'kling-v1', prompt: 'x' })).body;
    await h.waitForEnd(key, task_id);
    expect((await h.http('GET', `/v1/videos/${task_id}`, { token: key })).status).toBe(200);
    expect((await h.http('DELETE', `/v1/videos/${task_id}`, { token: key })).status).toBe(200);
    expect((await h.query(key, task_id)).status).toBe(404);
    expect((await h.http('GET', `/v1/videos/${task_id}`, { token: key })).status).toBe(404);
  });
});
