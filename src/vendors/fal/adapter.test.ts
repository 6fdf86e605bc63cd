/** The fal adapter: its mapping, and against the fal simulator over real HTTP. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AdapterDriver, jobFor, pngBase64 } from '../../../test/support/aggregators.js';
import { defaultFalAccount, fal } from '../../simulator/fal.js';
import { startSimulator, type RunningSimulator } from '../../simulator/server.js';
import { InvalidRequestError } from '../errors.js';
import { falAdapter } from './adapter.js';
import { falModels } from './types.js';

const klingT2v = 'fal-ai/kling-video/v2.1/standard/text-to-video';
const klingI2v = 'fal-ai/kling-video/v2.1/standard/image-to-video';

function refusedParam(job: Parameters<typeof falAdapter.prepareSubmit>[0]): string | null {
  try {
    falAdapter.prepareSubmit(job);
  } catch (err) {
    if (err instanceof InvalidRequestError) return err.param;
    throw err;
  }
  throw new Error('the request was accepted');
}

describe('fal mapping', () => {
  it('maps prompt, duration and size to a Kling endpoint in its own spelling', () => {
    const { call, expected, warnings } = falAdapter.prepareSubmit(
      jobFor(klingT2v, { durationSeconds: 10, width: 720, height: 1280, seed: 3 }),
    );
    expect(call).toEqual({
      method: 'POST',
      path: `/${klingT2v}`,
      body: { prompt: 'a lighthouse at dusk', duration: '10', aspect_ratio: '9:16' },
    });
    expect(expected).toMatchObject({ durationSeconds: 10, width: 720, height: 1280, seed: null });
    expect(warnings).toEqual([expect.objectContaining({ feature: 'seed' })]);
  });

  it('maps Veo 3 with "8s", a resolution and the seed, and the image to image_url as a data URI', () => {
    expect(
      falAdapter.prepareSubmit(jobFor('fal-ai/veo3', { width: 1920, height: 1080, seed: 7 })).call.body,
    ).toEqual({
      prompt: 'a lighthouse at dusk',
      duration: '8s',
      aspect_ratio: '16:9',
      resolution: '1080p',
      seed: 7,
    });
    const i2v = falAdapter.prepareSubmit(
      jobFor('fal-ai/veo3/image-to-video', {
        image: { kind: 'base64', data: pngBase64, mimeType: 'image/png' },
      }),
    );
    expect(i2v.call.body).toMatchObject({ image_url: `data:image/png;base64,${pngBase64}`, duration: '8s' });
  });

  it('passes metadata through as model input, and calls back through fal_webhook', () => {
    const { call } = falAdapter.prepareSubmit(
      jobFor(klingT2v, {
        metadata: { cfg_scale: 0.3 },
        vendorCallbackUrl: 'https://reelay.example/cb/1?a=b',
      }),
    );
    expect(call.path).toBe(
      `/${klingT2v}?fal_webhook=${encodeURIComponent('https://reelay.example/cb/1?a=b')}`,
    );
    expect(call.body).toEqual({ prompt: 'a lighthouse at dusk', duration: '5', cfg_scale: 0.3 });
  });

  it.each([
    ['a duration the model does not render', jobFor(klingT2v, { durationSeconds: 7 }), 'duration'],
    [
      'an image on a text-to-video endpoint',
      jobFor(klingT2v, { image: { kind: 'url', url: 'https://x/y.png' } }),
      'image',
    ],
    ['no image on an image-to-video endpoint', jobFor(klingI2v), 'image'],
    ['a frame rate', jobFor('fal-ai/veo3', { fps: 24 }), 'fps'],
    [
      'metadata contradicting a mapped field',
      jobFor(klingT2v, { durationSeconds: 5, metadata: { duration: '10' } }),
      'metadata.duration',
    ],
    [
      'a size for a model Reelay does not know',
      jobFor('fal-ai/ltx-video', { width: 1280, height: 720 }),
      'size',
    ],
    [
      'an image for a model Reelay does not know',
      jobFor('fal-ai/ltx-video', { image: { kind: 'url', url: 'https://x/y.png' } }),
      'image',
    ],
  ])('refuses %s with a 400 naming the field', (_, job, param) => {
    expect(refusedParam(job)).toBe(param);
  });

  it('expects the duration a model outside the table is given in its own input (for prices per second)', () => {
    const { expected, call } = falAdapter.prepareSubmit(
      jobFor('fal-ai/new-model', { metadata: { duration: '6s' } }),
    );
    expect(expected.durationSeconds).toBe(6);
    expect(call.body).toEqual({ prompt: 'a lighthouse at dusk', duration: '6s' });
  });

  it('lists only endpoints the simulator serves', () => {
    for (const model of Object.keys(falModels)) expect(fal.models).toContain(model);
  });
});

describe('fal adapter against the simulator', () => {
  let sim: RunningSimulator;
  let driver: AdapterDriver<typeof defaultFalAccount>;

  beforeAll(async () => {
    // Long tasks: each test moves a task through its stages by backdating it.
    sim = await startSimulator({ taskDurationMs: 60_000 });
    driver = new AdapterDriver(falAdapter, sim, defaultFalAccount);
  });
  afterAll(async () => {
    await sim.close();
    await driver.close();
  });
  beforeEach(() => sim.world.reset());

  it('reads every status, then follows response_url to the video', async () => {
    const { id, pollContext } = await driver.accepted(
      jobFor('fal-ai/veo3/image-to-video', {
        image: { kind: 'url', url: 'https://example.com/frame.png' },
      }),
    );
    // fal keeps the request under the app id, without the endpoint's sub-path.
    expect(pollContext.status_url).toBe(`${sim.baseUrl('fal')}/fal-ai/veo3/requests/${id}/status`);
    expect(await driver.poll(id, pollContext)).toEqual({
      kind: 'processing',
      queued: true,
      progress: null,
      queuePosition: 0,
    });
    driver.advance(id, 0.5);
    expect(await driver.poll(id, pollContext)).toEqual({ kind: 'processing', queued: false, progress: null });
    driver.advance(id, 1);
    const done = await driver.poll(id, pollContext);
    if (done.kind !== 'succeeded') throw new Error(JSON.stringify(done));
    expect((await fetch(done.url)).headers.get('content-type')).toBe('video/mp4');
    expect(sim.world.requests('fal', 'result')).toBe(1);
  });

  it('works with a model outside the table through metadata, and reports its seed', async () => {
    const { id, pollContext } = await driver.accepted(
      jobFor('fal-ai/ltx-video', { metadata: { num_inference_steps: 30, seed: 11 } }),
    );
    expect((driver.lastRequest() as { input: unknown }).input).toEqual({
      prompt: 'a lighthouse at dusk',
      num_inference_steps: 30,
      seed: 11,
    });
    driver.advance(id, 1);
    expect(await driver.poll(id, pollContext)).toMatchObject({ kind: 'succeeded', facts: { seed: 11 } });
  });

  it("rejects what the model's validation refuses, naming the field fal names", async () => {
    const { outcome } = await driver.submit(
      jobFor('fal-ai/ltx-video', { metadata: { num_inference_steps: 500 } }),
    );
    expect(outcome).toEqual({
      kind: 'rejected',
      code: 'vendor_invalid_request',
      message: expect.stringContaining('input field num_inference_steps'),
      param: 'num_inference_steps',
    });
  });

  it("rejects on fal's content checker, naming it", async () => {
    sim.world.inject('fal', 'submit', { type: 'content_safety' });
    expect(await driver.submit(jobFor(klingT2v))).toMatchObject({
      outcome: { kind: 'rejected', code: 'content_policy_violation' },
    });
  });

  it('fails a request whose result is an error, with the reason', async () => {
    sim.world.inject('fal', 'submit', {
      type: 'task_fails',
      reason: 'the model could not render this scene',
    });
    const { id, pollContext } = await driver.accepted(jobFor(klingT2v));
    driver.advance(id, 1);
    expect(await driver.poll(id, pollContext)).toEqual({
      kind: 'failed',
      code: 'generation_failed',
      message: expect.stringContaining('the model could not render this scene'),
    });
  });

  it.each([
    ['rate limit', 'retry_later', { type: 'rate_limit' } as const],
    ['server error', 'retry_later', { type: 'http_error', status: 503 } as const],
    ['garbage', 'retry_later', { type: 'garbage' } as const],
    ['refused key', 'channel_broken', { type: 'auth_error' } as const],
  ])('reads a %s at submit as %s', async (_, kind, fault) => {
    sim.world.inject('fal', 'submit', fault);
    expect((await driver.submit(jobFor(klingT2v))).outcome.kind).toBe(kind);
  });

  it('reads a wrong key as a broken channel, at submit and at poll', async () => {
    const wrong = { api_key: 'not-the-key' };
    expect((await driver.submit(jobFor(klingT2v), wrong)).outcome.kind).toBe('channel_broken');
    const { id, pollContext } = await driver.accepted(jobFor(klingT2v));
    expect((await driver.poll(id, pollContext, wrong)).kind).toBe('channel_broken');
  });

  it('reads a rate limit while polling as worth another try, with the wait fal asks for', async () => {
    const { id, pollContext } = await driver.accepted(jobFor(klingT2v));
    sim.world.inject('fal', 'poll', { type: 'rate_limit' });
    expect(await driver.poll(id, pollContext)).toMatchObject({ kind: 'retry_later', retryAfterMs: 1000 });
    expect((await driver.poll(id, pollContext)).kind).toBe('processing');
  });

  it('cancels a queued request, and not one already running', async () => {
    const queued = await driver.accepted(jobFor(klingT2v));
    expect(await driver.cancel(queued.id, queued.pollContext)).toEqual({ kind: 'cancelled' });
    expect(await driver.poll(queued.id, queued.pollContext)).toMatchObject({ kind: 'failed' });
    const running = await driver.accepted(jobFor(klingT2v));
    driver.advance(running.id, 0.5);
    expect(await driver.cancel(running.id, running.pollContext)).toMatchObject({ kind: 'not_cancellable' });
  });

  it('fails a request fal does not know', async () => {
    const { pollContext } = await driver.accepted(jobFor(klingT2v));
    const lost = pollContext.status_url!.replace(
      /requests\/[^/]+/,
      'requests/00000000-0000-0000-0000-000000000000',
    );
    expect(await driver.poll('x', { ...pollContext, status_url: lost })).toMatchObject({
      kind: 'failed',
      code: 'vendor_task_lost',
    });
  });
});
