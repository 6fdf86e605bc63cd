import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../../../test/support/harness.js';
import { expectDownloadableMp4 } from '../../../test/support/media.js';
import { originJimengExample } from '../../../test/support/origin-examples.js';
import { defaultJimengAccount } from '../../simulator/jimeng.js';

const tailUrl = 'https://example.com/last-frame.png';

describe.each(testDatabases())('Jimeng through the gateway on %s', (database) => {
  let h: Harness;
  let key: string;

  beforeAll(async () => {
    h = await Harness.start({ database });
    await h.channel('jimeng');
    key = (await h.user()).key;
  });
  afterEach(() => {
    h.sim.world.reset();
    h.sim.world.options.taskDurationMs = 300;
    h.sim.world.options.taskExpiryMs = undefined;
  });
  afterAll(() => h.close());

  async function submitAndWait(body: unknown) {
    const submitted = await h.submit(key, body);
    expect(submitted.status).toBe(200);
    return h.waitForEnd(key, submitted.body.task_id);
  }

  it("runs the origin document's Jimeng example, sent as is, to succeeded with a downloadable MP4", async () => {
    const submitted = await h.submit(key, originJimengExample);
    expect(submitted.status).toBe(200);
    expect(submitted.body).toMatchObject({ status: 'processing', model: 'jimeng_vgfm_t2v_l20', error: null });
    expect(submitted.body).not.toHaveProperty('warnings');

    const done = await h.waitForEnd(key, submitted.body.task_id);
    expect(done.body.status).toBe('succeeded');
    expect(done.body.metadata).toEqual({ duration: 5, fps: 24, width: 1280, height: 720, seed: null });
    await expectDownloadableMp4(done.body.url);
  });

  it('a task seen generating for several polls still succeeds', async () => {
    h.sim.world.options.taskDurationMs = 1500;
    const generatingBefore = h.sim.world.requests('jimeng', 'poll.generating');
    const done = await submitAndWait({ model: 'jimeng_v30', prompt: 'a slow pan over mountains' });
    expect(h.sim.world.requests('jimeng', 'poll.generating') - generatingBefore).toBeGreaterThanOrEqual(3);
    expect(done.body.status).toBe('succeeded');
  });

  it('polls a 3.0 first-and-last-frame task with the req_key it was submitted with', async () => {
    // Jimeng finds a task only under its own req_key: a poll with any other key would see not_found.
    const done = await submitAndWait({
      model: 'jimeng_v30_1080p',
      prompt: 'a door opens',
      image: originJimengExample.image,
      metadata: { image_urls: [tailUrl] },
    });
    expect(done.body.status).toBe('succeeded');
    expect(done.body.metadata).toMatchObject({ duration: 5, fps: 24, width: null, height: null });
  });

  it("refuses a content-checked prompt with the client's 400 and the vendor's reason, on one channel only", async () => {
    await h.channel('jimeng');
    h.sim.world.inject('jimeng', 'submit', { type: 'content_safety' });
    const res = await h.submit(key, { model: 'jimeng_v30', prompt: 'something forbidden' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      code: 'content_policy_violation',
      message: expect.stringContaining('Text Risk Not Pass'),
    });
    expect(h.sim.world.requests('jimeng', 'submit')).toBe(1);
  });

  it('retries QPS limits, concurrency limits and internal errors while polling, and still succeeds', async () => {
    h.sim.world.options.taskDurationMs = 600;
    for (const fault of [
      { type: 'rate_limit' },
      { type: 'http_error', status: 429 },
      { type: 'http_error', status: 500 },
      { type: 'http_error', status: 503 },
    ] as const) {
      h.sim.world.inject('jimeng', 'poll', fault);
    }
    const done = await submitAndWait({ model: 'jimeng_v30', prompt: 'a river at dawn' });
    expect(done.body.status).toBe('succeeded');
    expect(h.sim.world.requests('jimeng', 'poll')).toBeGreaterThanOrEqual(5);
  });

  it("fails a task whose video fails the vendor's content check, with the vendor's reason", async () => {
    h.sim.world.inject('jimeng', 'poll', { type: 'content_safety' });
    const done = await submitAndWait({ model: 'jimeng_v30', prompt: 'a crowd' });
    expect(done.body.status).toBe('failed');
    expect(done.body.error).toMatchObject({
      code: 'content_policy_violation',
      message: expect.stringContaining('Post Video Risk Not Pass'),
    });
  });

  it('fails a task the vendor reports expired, saying so', async () => {
    h.sim.world.options.taskDurationMs = 60_000;
    h.sim.world.options.taskExpiryMs = 150;
    const done = await submitAndWait({ model: 'jimeng_v30', prompt: 'a long story' });
    expect(done.body.status).toBe('failed');
    expect(done.body.error).toMatchObject({
      code: 'vendor_task_expired',
      message: expect.stringContaining('expired'),
    });
  });

  it('fails a task the vendor no longer knows, saying so', async () => {
    h.sim.world.options.taskDurationMs = 60_000;
    const submitted = await h.submit(key, { model: 'jimeng_v30', prompt: 'a forgotten task' });
    for (const [id, task] of h.sim.world.tasks) if (task.vendor === 'jimeng') h.sim.world.tasks.delete(id);
    const done = await h.waitForEnd(key, submitted.body.task_id);
    expect(done.body.status).toBe('failed');
    expect(done.body.error).toMatchObject({
      code: 'vendor_task_lost',
      message: expect.stringContaining('not_found'),
    });
  });

  it('a req_key for a pricier model is a 400 naming metadata.req_key, and nothing reaches the vendor', async () => {
    const res = await h.submit(key, {
      ...originJimengExample,
      metadata: { ...originJimengExample.metadata, req_key: 'jimeng_ti2v_v30_pro' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ param: 'metadata.req_key', type: 'invalid_request_error' });
    expect(h.sim.world.requests('jimeng', 'submit')).toBe(0);
  });

  it('disables a channel whose signature Volcengine rejects, and answers the client with a 502', async () => {
    const secret = 'a-wrong-secret-access-key';
    const channelId = await h.channel('jimeng', {
      models: ['jimeng-broken'],
      model_mapping: { 'jimeng-broken': 'jimeng_vgfm_t2v_l20' },
      credentials: { ...defaultJimengAccount, secret_access_key: secret },
    });
    const res = await h.submit(key, { model: 'jimeng-broken', prompt: 'a cat' });
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ code: 'upstream_account_error', type: 'upstream_error' });

    const channel = await h.admin('GET', `/channels/${channelId}`);
    expect(channel.body).toMatchObject({
      enabled: false,
      disabled_reason: expect.stringContaining('SignatureDoesNotMatch'),
    });
    expect(JSON.stringify(channel.body)).not.toContain(secret);
  });
});
