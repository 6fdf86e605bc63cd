import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../../../test/support/harness.js';
import { originKlingExample } from './origin-examples.js';

describe.each(testDatabases())('generations API on %s', (database) => {
  let h: Harness;
  let key: string;

  beforeAll(async () => {
    h = await Harness.start({ database });
    await h.channel('kling');
    key = (await h.user()).key;
  });
  afterAll(() => h.close());

  it("runs the origin document's Kling example to succeeded with a downloadable MP4", async () => {
    const submitted = await h.submit(key, originKlingExample);
    expect(submitted.status).toBe(200);
    expect(submitted.body).toMatchObject({
      status: 'processing',
      format: 'mp4',
      url: null,
      error: null,
      model: 'kling-v1',
    });
    expect(submitted.body.task_id).toMatch(/^task_/);

    const done = await h.waitForEnd(key, submitted.body.task_id);
    expect(done.body.status).toBe('succeeded');
    expect(done.body.error).toBeNull();
    expect(done.body.metadata).toEqual({ duration: 5, fps: null, width: null, height: null, seed: null });
    expect(done.body.completed_at).toBeGreaterThanOrEqual(done.body.created_at);
    expect(Object.keys(done.body)).toEqual(
      expect.arrayContaining(['task_id', 'status', 'format', 'url', 'metadata', 'error']),
    );

    const video = await fetch(done.body.url);
    expect(video.status).toBe(200);
    expect(video.headers.get('content-type')).toBe('video/mp4');
    const bytes = Buffer.from(await video.arrayBuffer());
    expect(bytes.subarray(4, 8).toString('ascii')).toBe('ftyp');
  });

  it('runs n generations as one task, each its own upstream job', async () => {
    const before = h.sim.world.requests('kling', 'submit');
    const submitted = await h.submit(key, { model: 'kling-v1', prompt: 'two cats', n: 2, size: '1280x720' });
    expect(submitted.status).toBe(200);
    expect(h.sim.world.requests('kling', 'submit') - before).toBe(2);
    const done = await h.waitForEnd(key, submitted.body.task_id);
    expect(done.body.status).toBe('succeeded');
    expect(done.body.videos).toHaveLength(2);
    expect(done.body.videos.map((v: { status: string }) => v.status)).toEqual(['succeeded', 'succeeded']);
    expect(new Set(done.body.videos.map((v: { url: string }) => v.url)).size).toBe(2);
    expect(done.body.metadata).toMatchObject({ width: 1280, height: 720, duration: 5 });
  });

  describe('bad requests change nothing', () => {
    async function taskCount() {
      const row = await h.gateway.deps.database.db
        .selectFrom('tasks')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    }

    it.each([
      ['a wrong type', { model: 'kling-v1', prompt: 'x', duration: 'five' }, 'duration'],
      ['an unknown field', { model: 'kling-v1', prompt: 'x', colour: 'red' }, 'colour'],
      ['a duration Kling cannot render', { model: 'kling-v1', prompt: 'x', duration: 7 }, 'duration'],
      [
        'an unknown metadata key',
        { model: 'kling-v1', prompt: 'x', metadata: { style: 'anime' } },
        'metadata.style',
      ],
      ['a model nobody serves', { model: 'no-such-model', prompt: 'x' }, 'model'],
      ['fps Kling cannot choose', { model: 'kling-v1', prompt: 'x', fps: 30 }, 'fps'],
    ])('answers %s with the generations error shape and stores no task', async (_name, body, param) => {
      const before = await taskCount();
      const submits = h.sim.world.requests('kling', 'submit');
      const res = await h.submit(key, body);
      expect(res.status).toBe(400);
      expect(Object.keys(res.body).sort()).toEqual(['code', 'message', 'param', 'type']);
      expect(res.body).toMatchObject({ type: 'invalid_request_error', param });
      expect(await taskCount()).toBe(before);
      expect(h.sim.world.requests('kling', 'submit')).toBe(submits);
    });

    it('answers malformed JSON and a wrong content type with 4xx in the generations shape', async () => {
      const bad = await h.http('POST', '/v1/video/generations', {
        token: key,
        rawBody: '{"model":',
        headers: { 'content-type': 'application/json' },
      });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json' });
      const text = await h.http('POST', '/v1/video/generations', {
        token: key,
        rawBody: '<model/>',
        headers: { 'content-type': 'application/xml' },
      });
      expect(text.status).toBe(415);
      expect(Object.keys(text.body).sort()).toEqual(['code', 'message', 'param', 'type']);
    });
  });

  describe('authentication', () => {
    const body = { model: 'kling-v1', prompt: 'x' };

    it.each([
      ['no Authorization header', undefined, 'missing_api_key'],
      [
        'a key that does not exist',
        'sk-doesnotexist0000000000000000000000000000000000000',
        'invalid_api_key',
      ],
      ['something that is not an sk- key', 'Basic-abc', 'invalid_api_key'],
    ])('refuses %s with 401', async (_name, token, code) => {
      const res = await h.http('POST', '/v1/video/generations', { token, body });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ type: 'authentication_error', code, param: null });
    });

    it('refuses a revoked key at once, although it was just used', async () => {
      const { userId, key: revoked, keyId } = await h.user();
      expect((await h.query(revoked, 'task_00000000000000000000')).status).toBe(404);
      expect((await h.admin('DELETE', `/users/${userId}/keys/${keyId}`)).status).toBe(200);
      const res = await h.submit(revoked, body);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('revoked_api_key');
    });

    it('refuses an expired key', async () => {
      // Two seconds ahead: one second could already be past (whole seconds) by the time the key is created.
      const expiresAt = Math.floor(Date.now() / 1000) + 2;
      const { key: expiring } = await h.user({ expires_at: expiresAt });
      expect((await h.submit(expiring, body)).status).not.toBe(401);
      await new Promise((r) => setTimeout(r, expiresAt * 1000 - Date.now() + 100));
      const res = await h.submit(expiring, body);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('expired_api_key');
    });

    it('refuses with 403 a model outside the key allow-list', async () => {
      const { key: limited } = await h.user({ models: ['kling-v1-6'] });
      const res = await h.submit(limited, body);
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ type: 'permission_error', param: 'model', code: 'model_not_allowed' });
    });

    it("answers 404 for an unknown task and, identically, for another user's task", async () => {
      const mine = await h.submit(key, body);
      const { key: stranger } = await h.user();
      const foreign = await h.query(stranger, mine.body.task_id);
      const unknown = await h.query(stranger, 'task_00000000000000000000');
      expect(foreign.status).toBe(404);
      expect(unknown.status).toBe(404);
      expect(foreign.body).toMatchObject({
        type: 'not_found_error',
        code: 'task_not_found',
        param: 'task_id',
      });
      expect(unknown.body).toMatchObject({
        type: 'not_found_error',
        code: 'task_not_found',
        param: 'task_id',
      });
      expect((await h.query(stranger, 'not-even-an-id')).status).toBe(404);
    });
  });
});

describe.each(testDatabases())('vendor trouble at submit on %s', (database) => {
  let h: Harness;
  let key: string;

  beforeAll(async () => {
    h = await Harness.start({ database });
  });
  afterAll(() => h.close());

  it('returns a content-safety rejection as a 400 with the vendor reason, without trying another channel', async () => {
    await h.channel('kling', { priority: 10 });
    await h.channel('kling', { priority: 5 });
    key = (await h.user()).key;
    h.sim.world.inject('kling', 'submit', { type: 'content_safety' });
    const before = h.sim.world.requests('kling', 'submit');
    const res = await h.submit(key, { model: 'kling-v1', prompt: 'something forbidden' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ type: 'invalid_request_error', code: 'content_policy_violation' });
    expect(res.body.message).toContain('1301');
    expect(h.sim.world.requests('kling', 'submit') - before).toBe(1);
  });

  it('moves a job to the next channel when the first answers 500, and polls it there', async () => {
    const [first, second] = await h
      .admin('GET', '/channels')
      .then((r) => r.body.data.map((c: { id: string }) => c.id));
    h.sim.world.inject('kling', 'submit', { type: 'http_error', status: 500 });
    const res = await h.submit(key, { model: 'kling-v1', prompt: 'a calm lake' });
    expect(res.status).toBe(200);
    const job = await h.gateway.deps.database.db
      .selectFrom('task_jobs')
      .select('channel_id')
      .where('task_id', '=', res.body.task_id)
      .executeTakeFirstOrThrow();
    expect(job.channel_id).toBe(second);
    expect(job.channel_id).not.toBe(first);
    expect((await h.waitForEnd(key, res.body.task_id)).body.status).toBe('succeeded');
  });

  it('answers 503 when every channel is overloaded, and the task shows failed', async () => {
    h.sim.world.inject('kling', 'submit', { type: 'rate_limit' }, 2);
    const res = await h.submit(key, { model: 'kling-v1', prompt: 'busy day' });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ type: 'service_unavailable_error', code: 'upstream_unavailable' });
  });

  it('disables a channel whose credentials the vendor rejects, and says why', async () => {
    const badId = await h.channel('kling', {
      priority: 100,
      credentials: { access_key: 'sim-kling-access-key', secret_key: 'wrong' },
    });
    const res = await h.submit(key, { model: 'kling-v1', prompt: 'still works elsewhere' });
    expect(res.status).toBe(200);
    const bad = await h.admin('GET', `/channels/${badId}`);
    expect(bad.body.enabled).toBe(false);
    expect(bad.body.disabled_reason).toContain('1002');
    expect(JSON.stringify(bad.body)).not.toContain('wrong');
    // Credentials are sealed at rest: the database holds no secret in clear.
    const rows = await h.gateway.deps.database.db.selectFrom('channels').select('credentials').execute();
    for (const row of rows) expect(row.credentials).not.toMatch(/sim-kling-secret-key|wrong/);
  });

  it('answers 502 when the only channels left refuse the account', async () => {
    const { key: lonely } = await h.user();
    await h.channel('kling', {
      models: ['house-video'],
      model_mapping: { 'house-video': 'kling-v2-6' },
      credentials: { access_key: 'unknown', secret_key: 'x' },
    });
    const res = await h.submit(lonely, { model: 'house-video', prompt: 'x' });
    expect(res.status).toBe(502);
    expect(res.body.type).toBe('upstream_error');
    // The channel is now disabled: nothing left to try.
    const again = await h.submit(lonely, { model: 'house-video', prompt: 'x' });
    expect(again.status).toBe(503);
  });
});
