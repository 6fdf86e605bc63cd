import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plainJob } from '../video-job.js';
import { ApiError } from '../errors.js';
import { defaultKlingAccount } from '../../simulator/kling.js';
import { startSimulator, type RunningSimulator } from '../../simulator/server.js';
import type { VendorAnswer, VendorCall, VideoJob } from '../adapter.js';
import { Wire } from '../wire.js';
import { klingAdapter } from './adapter.js';
import { mintKlingToken, type KlingCredentials } from './auth.js';

const png =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

function job(overrides: Partial<VideoJob> = {}): VideoJob {
  return plainJob('kling-v1', 'an astronaut on the moon', overrides);
}

const bodyOf = (j: VideoJob) => klingAdapter.prepareSubmit(j).call.body as Record<string, unknown>;

function paramOf(fn: () => unknown): string | null {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError && err.status === 400) return err.param;
    throw err;
  }
  throw new Error('expected a 400');
}

describe('Kling request mapping', () => {
  it('maps a text request to text2video with Kling string durations and our external id', () => {
    const j = job({ durationSeconds: 10, width: 1920, height: 1080 });
    const prepared = klingAdapter.prepareSubmit(j);
    expect(prepared.call).toMatchObject({ method: 'POST', path: '/v1/videos/text2video' });
    expect(prepared.call.body).toEqual({
      model_name: 'kling-v1',
      prompt: 'an astronaut on the moon',
      mode: 'std',
      duration: '10',
      aspect_ratio: '16:9',
      external_task_id: j.externalId,
    });
    expect(prepared.expected).toEqual({
      durationSeconds: 10,
      fps: null,
      width: 1280,
      height: 720,
      seed: null,
      shortSide: 720,
    });
  });

  it.each([
    [1920, 1080, '16:9'],
    [1080, 1920, '9:16'],
    [1024, 1024, '1:1'],
    [1000, 700, '16:9'],
    [700, 1000, '9:16'],
    [1100, 1000, '1:1'],
  ])('picks the nearest supported aspect ratio for %ix%i: %s', (width, height, aspect) => {
    expect(bodyOf(job({ width, height })).aspect_ratio).toBe(aspect);
  });

  it('sends pro mode and reports 1080p output for it', () => {
    const prepared = klingAdapter.prepareSubmit(
      job({ metadata: { mode: 'pro' }, width: 1080, height: 1920 }),
    );
    expect(prepared.call.body).toMatchObject({ mode: 'pro', aspect_ratio: '9:16' });
    expect(prepared.expected).toMatchObject({ width: 1080, height: 1920 });
  });

  it('uses image2video with raw base64 (no data: prefix) for first and last frames', () => {
    const prepared = klingAdapter.prepareSubmit(
      job({
        image: { kind: 'base64', data: png, mimeType: 'image/png' },
        metadata: { image_tail: `data:image/png;base64,${png}` },
      }),
    );
    expect(prepared.call.path).toBe('/v1/videos/image2video');
    expect(prepared.call.body).toMatchObject({ image: png, image_tail: png });
    expect(prepared.call.body).not.toHaveProperty('aspect_ratio');
    expect(prepared.pollContext).toEqual({ endpoint: 'image2video' });
  });

  it('passes Kling-only metadata through in Kling names', () => {
    const body = bodyOf(
      job({
        metadata: {
          negative_prompt: 'blur',
          cfg_scale: 0,
          camera_control: { type: 'simple', config: { zoom: 5 } },
          sound: 'on',
          watermark_info: { enabled: false },
        },
      }),
    );
    expect(body).toMatchObject({
      negative_prompt: 'blur',
      cfg_scale: 0,
      camera_control: { type: 'simple', config: { zoom: 5 } },
      sound: 'on',
      watermark_info: { enabled: false },
    });
  });

  it('refuses a text-only request for the models Kling offers on image2video only, before any call', () => {
    for (const upstreamModel of ['kling-v1-5', 'kling-v2-1']) {
      expect(paramOf(() => klingAdapter.prepareSubmit(job({ upstreamModel })))).toBe('image');
      const image = { kind: 'url' as const, url: 'https://example.com/first.png' };
      expect(klingAdapter.prepareSubmit(job({ upstreamModel, image })).call.path).toBe(
        '/v1/videos/image2video',
      );
    }
  });

  it('does not send a seed, and says so', () => {
    const prepared = klingAdapter.prepareSubmit(job({ seed: 7, metadata: { seed: 20231234 } }));
    expect(JSON.stringify(prepared.call.body)).not.toContain('seed');
    expect(prepared.expected.seed).toBeNull();
    expect(prepared.warnings).toEqual([{ feature: 'seed', details: expect.stringMatching(/seed/) }]);
  });

  it.each([
    ['duration 7', job({ durationSeconds: 7 }), 'duration'],
    ['an fps', job({ fps: 24 }), 'fps'],
    ['an unknown metadata key', job({ metadata: { style: 'anime' } }), 'metadata.style'],
    ['mode ultra', job({ metadata: { mode: 'ultra' } }), 'metadata.mode'],
    ['cfg_scale 2', job({ metadata: { cfg_scale: 2 } }), 'metadata.cfg_scale'],
    [
      'a last frame without a first',
      job({ metadata: { image_tail: 'https://x.test/a.png' } }),
      'metadata.image_tail',
    ],
    [
      'a simple camera move without config',
      job({ metadata: { camera_control: { type: 'simple' } } }),
      'metadata.camera_control',
    ],
    [
      'two camera moves at once',
      job({ metadata: { camera_control: { type: 'simple', config: { zoom: 1, pan: 2 } } } }),
      'metadata.camera_control',
    ],
    [
      'an aspect ratio against the size',
      job({ width: 1920, height: 1080, metadata: { aspect_ratio: '9:16' } }),
      'metadata.aspect_ratio',
    ],
    ['a prompt over 2500 characters', job({ prompt: 'x'.repeat(2501) }), 'prompt'],
  ])('refuses %s with a 400 naming the field', (_name, j, param) => {
    expect(paramOf(() => klingAdapter.prepareSubmit(j))).toBe(param);
  });
});

function answer(status: number, json: unknown, headers: Record<string, string> = {}): VendorAnswer {
  return { status, headers, json, text: JSON.stringify(json) };
}
const task = (data: Record<string, unknown>) =>
  answer(200, { code: 0, message: 'SUCCEED', request_id: 'r', data: { task_id: '1', ...data } });

describe('Kling answers', () => {
  it.each([
    ['submitted', task({ task_status: 'submitted' }), { kind: 'processing', queued: true }],
    ['processing', task({ task_status: 'processing' }), { kind: 'processing', queued: false }],
    [
      'succeed',
      task({
        task_status: 'succeed',
        task_result: { videos: [{ id: 'v', url: 'https://cdn/v.mp4', duration: '5.1' }] },
      }),
      { kind: 'succeeded', url: 'https://cdn/v.mp4', facts: { durationSeconds: 5.1 } },
    ],
    [
      'failed',
      task({ task_status: 'failed', task_status_msg: 'risk control' }),
      { kind: 'failed', message: 'risk control' },
    ],
    ['an unknown status', task({ task_status: 'paused' }), { kind: 'retry_later' }],
    ['succeed without a video', task({ task_status: 'succeed' }), { kind: 'retry_later' }],
    ['rate limit 1302', answer(429, { code: 1302, message: 'rate limit' }), { kind: 'retry_later' }],
    [
      'concurrency 1303',
      answer(429, { code: 1303, message: 'parallel task over resource pack limit' }),
      { kind: 'retry_later' },
    ],
    ['expired token 1004', answer(401, { code: 1004, message: 'expired' }), { kind: 'channel_broken' }],
    ['arrears 1101', answer(429, { code: 1101, message: 'in arrears' }), { kind: 'channel_broken' }],
    ['internal error 5000', answer(500, { code: 5000, message: 'oops' }), { kind: 'retry_later' }],
    [
      'garbage',
      { status: 200, headers: {}, json: undefined, text: '<html>' } as VendorAnswer,
      { kind: 'retry_later' },
    ],
    [
      'a task Kling lost',
      answer(404, { code: 1203, message: 'task not found' }),
      { kind: 'failed', code: 'vendor_task_lost' },
    ],
  ])('reads a poll answer of %s', (_name, a, expected) => {
    expect(klingAdapter.readPoll(a, {})).toMatchObject(expected);
  });

  it.each([
    [
      'content safety 1301',
      answer(400, { code: 1301, message: 'risk' }),
      { kind: 'rejected', code: 'content_policy_violation' },
    ],
    [
      'invalid parameter 1201',
      answer(400, { code: 1201, message: 'bad' }),
      { kind: 'rejected', code: 'vendor_invalid_request' },
    ],
    [
      'unknown model 1203',
      answer(404, { code: 1203, message: 'model not found' }),
      { kind: 'channel_broken' },
    ],
    ['auth 1002', answer(401, { code: 1002, message: 'invalid' }), { kind: 'channel_broken' }],
    [
      'rate limit with Retry-After',
      answer(429, { code: 1302, message: 'slow down' }, { 'retry-after': '7' }),
      { kind: 'retry_later', retryAfterMs: 7000 },
    ],
  ])('reads a submit answer of %s', (_name, a, expected) => {
    expect(klingAdapter.readSubmit(a)).toMatchObject(expected);
  });

  it('finds a callback worth a poll unless it says the task is still running', () => {
    const worth = (body: unknown) => klingAdapter.callbackWorthAPoll!(body);
    expect(worth({ task_id: 't', task_status: 'submitted' })).toBe(false);
    expect(worth({ task_id: 't', task_status: 'processing' })).toBe(false);
    expect(worth({ task_id: 't', task_status: 'succeed' })).toBe(true);
    expect(worth({ task_id: 't', task_status: 'failed' })).toBe(true);
    // Anything it cannot read might be news.
    for (const body of [undefined, null, 'text', { task_status: 'paused' }]) expect(worth(body)).toBe(true);
  });
});

describe('Kling on the wire (checked by the simulator)', () => {
  let sim: RunningSimulator;
  const wire = new Wire();
  beforeAll(async () => {
    sim = await startSimulator({ taskDurationMs: 150 });
  });
  afterAll(async () => {
    await wire.close();
    await sim.close();
  });

  const send = async (call: VendorCall, credentials: KlingCredentials = defaultKlingAccount) =>
    wire.send(await klingAdapter.sign(call, sim.baseUrl('kling'), credentials, wire));

  it('signs with a JWT the simulator accepts, and follows a task to its video', async () => {
    const j = job({ image: { kind: 'base64', data: png, mimeType: 'image/png' }, durationSeconds: 10 });
    const prepared = klingAdapter.prepareSubmit(j);
    const submitted = klingAdapter.readSubmit(await send(prepared.call));
    expect(submitted.kind).toBe('accepted');
    const upstreamTaskId = (submitted as { upstreamTaskId: string }).upstreamTaskId;

    await new Promise((r) => setTimeout(r, 200));
    const polled = klingAdapter.readPoll(
      await send(klingAdapter.preparePoll(upstreamTaskId, prepared.pollContext)),
      {},
    );
    expect(polled).toMatchObject({ kind: 'succeeded', facts: { durationSeconds: 10 } });

    const lookup = klingAdapter.readLookup!(
      await send(klingAdapter.prepareLookupByExternalId!(j.externalId, prepared.pollContext)),
    );
    expect(lookup).toEqual({ found: true, upstreamTaskId });
    const missing = klingAdapter.readLookup!(
      await send(klingAdapter.prepareLookupByExternalId!('job_never_sent', prepared.pollContext)),
    );
    expect(missing).toEqual({ found: false });
  });

  it('is refused like Kling refuses: wrong secret 1002, expired 1004, not yet valid 1003, missing 1001', async () => {
    const call = klingAdapter.prepareSubmit(job()).call;
    const wrong = await send(call, { ...defaultKlingAccount, secret_key: 'nope' });
    expect([wrong.status, (wrong.json as { code: number }).code]).toEqual([401, 1002]);
    expect(klingAdapter.readSubmit(wrong).kind).toBe('channel_broken');

    const url = sim.baseUrl('kling') + call.path;
    const body = JSON.stringify(call.body);
    const at = async (nowSeconds: number) => {
      const token = await mintKlingToken(defaultKlingAccount, nowSeconds);
      return wire.send({
        method: 'POST',
        url,
        body,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
    };
    const now = Math.floor(Date.now() / 1000);
    expect((await at(now - 3600)).json).toMatchObject({ code: 1004 });
    expect((await at(now + 600)).json).toMatchObject({ code: 1003 });
    const missing = await wire.send({
      method: 'POST',
      url,
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(missing.json).toMatchObject({ code: 1001 });
  });

  it('is checked like Kling checks bodies: a data: prefix or a numeric duration is 1201', async () => {
    const withPrefix: VendorCall = {
      method: 'POST',
      path: '/v1/videos/image2video',
      body: { model_name: 'kling-v1', image: `data:image/png;base64,${png}` },
    };
    const a = await send(withPrefix);
    expect([a.status, (a.json as { code: number }).code]).toEqual([400, 1201]);
    const numeric = await send({
      method: 'POST',
      path: '/v1/videos/text2video',
      body: { model_name: 'kling-v1', prompt: 'x', duration: 5 },
    });
    expect((numeric.json as { code: number }).code).toBe(1201);
    expect(klingAdapter.readSubmit(numeric)).toMatchObject({ kind: 'rejected' });
  });
});
