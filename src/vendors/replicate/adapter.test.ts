/** The Replicate adapter: its mapping, and against the Replicate simulator over real HTTP. */
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AdapterDriver, jobFor, pngBase64 } from '../../../test/support/aggregators.js';
import { defaultReplicateAccount, replicate, replicateVersionOf } from '../../simulator/replicate.js';
import { startSimulator, type RunningSimulator } from '../../simulator/server.js';
import { InvalidRequestError } from '../errors.js';
import { replicateAdapter } from './adapter.js';
import { replicateModels } from './types.js';

describe('Replicate mapping', () => {
  it('runs an official model by name, and a version by id, with the input under `input`', () => {
    const official = replicateAdapter.prepareSubmit(
      jobFor('google/veo-3', { width: 720, height: 1280, seed: 4 }),
    );
    expect(official.call).toEqual({
      method: 'POST',
      path: '/v1/models/google/veo-3/predictions',
      body: {
        input: {
          prompt: 'a lighthouse at dusk',
          duration: 8,
          aspect_ratio: '9:16',
          resolution: '720p',
          seed: 4,
        },
      },
    });
    const version = 'a'.repeat(64);
    const pinned = replicateAdapter.prepareSubmit(jobFor(`google/veo-3:${version}`));
    expect(pinned.call).toMatchObject({ path: '/v1/predictions', body: { version } });
  });

  it("maps the image to the model's own field, and asks for the completed webhook only", () => {
    const { call } = replicateAdapter.prepareSubmit(
      jobFor('kwaivgi/kling-v2.1', {
        image: { kind: 'base64', data: pngBase64, mimeType: 'image/png' },
        vendorCallbackUrl: 'https://reelay.example/cb/1',
      }),
    );
    expect(call.body).toEqual({
      input: {
        prompt: 'a lighthouse at dusk',
        duration: 5,
        start_image: `data:image/png;base64,${pngBase64}`,
      },
      webhook: 'https://reelay.example/cb/1',
      webhook_events_filter: ['completed'],
    });
  });

  it.each([
    ['a model name that is not owner/name', jobFor('veo-3'), 'model'],
    ['a duration Veo does not render', jobFor('google/veo-3', { durationSeconds: 5 }), 'duration'],
    ['Kling 2.1 without its start image', jobFor('kwaivgi/kling-v2.1'), 'image'],
    ['a seed for a model Reelay does not know', jobFor('lightricks/ltx-video', { seed: 1 }), 'seed'],
  ])('refuses %s with a 400 naming the field', (_, job, param) => {
    try {
      replicateAdapter.prepareSubmit(job);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidRequestError);
      expect((err as InvalidRequestError).param).toBe(param);
    }
  });

  it('skips a poll for a callback that says the prediction is still running', () => {
    expect(replicateAdapter.callbackWorthAPoll!({ status: 'processing' })).toBe(false);
    expect(replicateAdapter.callbackWorthAPoll!({ status: 'succeeded' })).toBe(true);
  });

  it('lists only models the simulator serves', () => {
    for (const model of Object.keys(replicateModels)) expect(replicate.models).toContain(model);
  });
});

describe('Replicate adapter against the simulator', () => {
  let sim: RunningSimulator;
  let driver: AdapterDriver<typeof defaultReplicateAccount>;

  beforeAll(async () => {
    sim = await startSimulator({ taskDurationMs: 60_000 });
    driver = new AdapterDriver(replicateAdapter, sim, defaultReplicateAccount);
  });
  afterAll(async () => {
    await sim.close();
    await driver.close();
  });
  beforeEach(() => sim.world.reset());

  it('reads starting, processing and succeeded, with an output URL that serves the MP4', async () => {
    const { id, pollContext } = await driver.accepted(jobFor('kwaivgi/kling-v2.1-master'));
    expect(await driver.poll(id, pollContext)).toEqual({ kind: 'processing', queued: true, progress: null });
    driver.advance(id, 0.5);
    expect(await driver.poll(id, pollContext)).toEqual({ kind: 'processing', queued: false, progress: null });
    driver.advance(id, 1);
    const done = await driver.poll(id, pollContext);
    if (done.kind !== 'succeeded') throw new Error(JSON.stringify(done));
    expect((await fetch(done.url)).headers.get('content-type')).toBe('video/mp4');
  });

  it('runs a pinned version, and a model outside the table whose output is a list, through metadata', async () => {
    const pinned = await driver.accepted(jobFor(`google/veo-3:${replicateVersionOf('google/veo-3')}`));
    expect(driver.lastRequest()).toMatchObject({ model: 'google/veo-3' });
    driver.advance(pinned.id, 1);
    expect((await driver.poll(pinned.id, {})).kind).toBe('succeeded');

    const ltx = await driver.accepted(jobFor('lightricks/ltx-video', { metadata: { length: 129, seed: 2 } }));
    expect(driver.lastRequest()).toMatchObject({
      input: { prompt: 'a lighthouse at dusk', length: 129, seed: 2 },
    });
    driver.advance(ltx.id, 1);
    expect(await driver.poll(ltx.id, {})).toMatchObject({
      kind: 'succeeded',
      url: expect.stringMatching(/\.mp4$/),
    });
  });

  it("rejects what the model's schema refuses, naming the field from the problem JSON", async () => {
    const { outcome } = await driver.submit(jobFor('lightricks/ltx-video', { metadata: { length: 100 } }));
    expect(outcome).toEqual({
      kind: 'rejected',
      code: 'vendor_invalid_request',
      message: expect.stringContaining('input field length'),
    });
  });

  it('rejects a model Replicate does not have', async () => {
    expect((await driver.submit(jobFor('nobody/nothing'))).outcome).toMatchObject({
      kind: 'rejected',
      code: 'model_not_found',
    });
  });

  it.each([
    ['a failure', 'CUDA out of memory', 'generation_failed'],
    ['a flagged input or output (E005)', null, 'content_policy_violation'],
  ])('fails a prediction ending in %s, with the reason', async (_, reason, code) => {
    if (reason) sim.world.inject('replicate', 'submit', { type: 'task_fails', reason });
    else sim.world.inject('replicate', 'submit', { type: 'content_safety' });
    const { id } = await driver.accepted(jobFor('google/veo-3'));
    driver.advance(id, 1);
    expect(await driver.poll(id, {})).toEqual({
      kind: 'failed',
      code,
      message: expect.stringContaining(reason ?? 'E005'),
    });
  });

  it('fails a prediction whose output Replicate has already deleted, saying why', async () => {
    const { id } = await driver.accepted(jobFor('google/veo-3'));
    const task = sim.world.tasks.get(id)!;
    task.createdAt = Date.now() - task.durationMs - 3601_000;
    expect(await driver.poll(id, {})).toMatchObject({ kind: 'failed', code: 'vendor_result_expired' });
  });

  it.each([
    ['rate limit', 'retry_later', { type: 'rate_limit' } as const],
    ['server error', 'retry_later', { type: 'http_error', status: 500 } as const],
    ['garbage body', 'retry_later', { type: 'garbage' } as const],
    ['refused token', 'channel_broken', { type: 'auth_error' } as const],
  ])('reads a %s at submit as %s', async (_, kind, fault) => {
    sim.world.inject('replicate', 'submit', fault);
    expect((await driver.submit(jobFor('google/veo-3'))).outcome.kind).toBe(kind);
  });

  it('respects Retry-After on a throttled poll', async () => {
    const { id } = await driver.accepted(jobFor('google/veo-3'));
    sim.world.inject('replicate', 'poll', { type: 'rate_limit' });
    expect(await driver.poll(id, {})).toMatchObject({ kind: 'retry_later', retryAfterMs: 1000 });
  });

  it('reads a wrong token as a broken channel', async () => {
    expect((await driver.submit(jobFor('google/veo-3'), { api_key: 'r8_wrong' })).outcome.kind).toBe(
      'channel_broken',
    );
  });

  it('cancels a running prediction, and says when one has already ended', async () => {
    const running = await driver.accepted(jobFor('google/veo-3'));
    driver.advance(running.id, 0.5);
    expect(await driver.cancel(running.id, {})).toEqual({ kind: 'cancelled' });
    expect(await driver.poll(running.id, {})).toMatchObject({ kind: 'failed', code: 'cancelled' });
    const done = await driver.accepted(jobFor('google/veo-3'));
    driver.advance(done.id, 1);
    expect(await driver.cancel(done.id, {})).toMatchObject({ kind: 'not_cancellable' });
  });

  it('holds a create with Prefer: wait until the prediction ends', async () => {
    const short = await startSimulator({ taskDurationMs: 200 });
    try {
      const res = await request(`${short.baseUrl('replicate')}/v1/models/google/veo-3/predictions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${defaultReplicateAccount.api_key}`,
          'content-type': 'application/json',
          prefer: 'wait=5',
        },
        body: JSON.stringify({ input: { prompt: 'a cat' } }),
      });
      expect(res.statusCode).toBe(201);
      expect(await res.body.json()).toMatchObject({
        status: 'succeeded',
        output: expect.stringMatching(/\.mp4$/),
      });
    } finally {
      await short.close();
    }
  });

  it('answers problem JSON for a missing token', async () => {
    const res = await request(`${sim.baseUrl('replicate')}/v1/predictions/x`);
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await res.body.json()).toEqual({
      title: 'Unauthenticated',
      detail: 'You did not pass a valid authentication token',
      status: 401,
    });
  });
});
