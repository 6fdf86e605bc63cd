import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Harness, testDatabases } from '../../../../test/support/harness.js';
import { download, followNative } from '../../../../test/support/native.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../../../test/support/webhook-receiver.js';
import { klingTaskResponseSchema } from './view.js';

/**
 * Kling's image-to-video request example, verbatim (Kling API reference, "Image to Video" → Create Task:
 * https://app.klingai.com/global/dev/document-api/apiReference/model/imageToVideo).
 */
const klingImage2VideoExample = {
  model_name: 'kling-v1',
  mode: 'pro',
  duration: '5',
  image:
    'https://h2.inkwai.com/bs2/upload-ylab-stunt/se/ai_portal_queue_mmu_image_upscale_aiweb/3214b798-e1b4-4b00-b7af-72b5b0417420_raw_image_0.jpg',
  prompt: 'The astronaut stood up and walked away',
  cfg_scale: 0.5,
  static_mask: 'https://h2.inkwai.com/bs2/upload-ylab-stunt/ai_portal/1732888177/cOLNrShrSO/static_mask.png',
  dynamic_masks: [
    {
      mask: 'https://h2.inkwai.com/bs2/upload-ylab-stunt/ai_portal/1732888130/WU8spl23dA/dynamic_mask_1.png',
      trajectories: [
        { x: 279, y: 219 },
        { x: 417, y: 65 },
      ],
    },
  ],
};

/** A text-to-video body with every field of Kling's "Text to Video" request table (same page, Create Task). */
const klingText2VideoBody = {
  model_name: 'kling-v1',
  prompt: 'A cat walking on the moon',
  negative_prompt: 'blur',
  cfg_scale: 0.5,
  mode: 'std',
  camera_control: { type: 'simple', config: { zoom: 5 } },
  aspect_ratio: '16:9',
  duration: '5',
  external_task_id: 'my-order-42',
};

/**
 * Kling's answers, written from its docs' "Response Body" of Create Task and Query Task (Single), independent of
 * the route's own schema: `{code, message, request_id, data}`, status words, millisecond timestamps, durations
 * as strings; errors `{code, message, request_id}` (Kling's "Error Code" page).
 */
const klingStatus = z.enum(['submitted', 'processing', 'succeed', 'failed']);
const klingAnswer = z.object({
  code: z.literal(0),
  message: z.string(),
  request_id: z.string().min(1),
  data: z.object({
    task_id: z.string().min(1),
    task_status: klingStatus,
    task_status_msg: z.string().optional(),
    task_info: z.object({ external_task_id: z.string().optional() }),
    task_result: z
      .object({
        videos: z.array(z.object({ id: z.string(), url: z.string().url(), duration: z.string() })),
      })
      .optional(),
    created_at: z.number().int().gt(1e12),
    updated_at: z.number().int().gt(1e12),
  }),
});
const klingError = z.object({ code: z.number().int(), message: z.string(), request_id: z.string() }).strict();

const price = 250_000;

describe.each(testDatabases())('Kling-native routes (%s)', (database) => {
  let h: Harness;
  let user: { userId: string; key: string };
  let receiver: WebhookReceiver;
  const bearer = () => `Bearer ${user.key}`;

  beforeAll(async () => {
    h = await Harness.start({ database });
    receiver = await startWebhookReceiver();
    await h.channel('kling');
    await h.price('kling-v1', { unit: 'call', price });
    user = await h.user();
    await h.topUp(user.userId, 10 * price);
  });
  afterAll(async () => {
    await receiver?.close();
    await h?.close();
  });

  const post = (endpoint: string, body: unknown, authorization = bearer()) =>
    h.http('POST', `/kling/v1/videos/${endpoint}`, { body, headers: { authorization } });

  it("runs Kling's text2video request to a downloadable video, answered in Kling's shapes and billed", async () => {
    const created = await post('text2video', klingText2VideoBody);
    expect(created.status).toBe(200);
    const answer = klingAnswer.parse(created.body);
    // The route's own schema (the one the API document is made from) agrees with what it answers.
    klingTaskResponseSchema.parse(created.body);
    expect(answer.data.task_id).toMatch(/^task_/);
    expect(answer.data.task_status).toMatch(/^(submitted|processing)$/);
    expect(answer.data.task_info).toEqual({ external_task_id: 'my-order-42' });

    const path = `/kling/v1/videos/text2video/${answer.data.task_id}`;
    const ended = klingAnswer.parse(
      await followNative(
        h,
        path,
        bearer(),
        (b) => b.data.task_status !== 'submitted' && b.data.task_status !== 'processing',
      ),
    );
    expect(ended.data.task_status).toBe('succeed');
    const [video] = ended.data.task_result!.videos;
    expect(Number(video!.duration)).toBe(5);
    const file = await download(video!.url);
    expect(file).toMatchObject({ status: 200, type: 'video/mp4' });
    expect(file.bytes).toBeGreaterThan(1000);

    // The same task by the client's external_task_id, in the path as Kling takes it.
    const byExternal = await h.http('GET', '/kling/v1/videos/text2video/my-order-42', { token: user.key });
    expect(klingAnswer.parse(byExternal.body).data.task_id).toBe(answer.data.task_id);
    // Billed like every task.
    const seen = await h.query(user.key, answer.data.task_id);
    expect(seen.body.cost).toEqual({ state: 'charged', amount: price });
  });

  it("runs Kling's own image2video example verbatim and calls back in Kling's shape", async () => {
    const created = await post('image2video', {
      ...klingImage2VideoExample,
      callback_url: `${receiver.url}/kling`,
    });
    expect(created.status).toBe(200);
    const taskId = klingAnswer.parse(created.body).data.task_id;
    const [callback] = await receiver.waitFor(1);
    const data = klingAnswer.shape.data.parse(JSON.parse(callback!.body));
    expect(data).toMatchObject({ task_id: taskId, task_status: 'succeed' });
    const ended = klingAnswer.parse(
      (await h.http('GET', `/kling/v1/videos/image2video/${taskId}`, { token: user.key })).body,
    );
    expect((await download(ended.data.task_result!.videos[0]!.url)).status).toBe(200);
  });

  it.each([
    ['an unknown field', 'text2video', { prompt: 'a cat', resolution: '4k' }, 'resolution'],
    [
      'an image on text2video',
      'text2video',
      { prompt: 'a cat', image: 'https://example.com/a.png' },
      'image',
    ],
    [
      'an aspect ratio on image2video',
      'image2video',
      { image: 'https://example.com/a.png', aspect_ratio: '1:1' },
      'aspect_ratio',
    ],
    [
      'voice_list, which Reelay does not carry',
      'image2video',
      { image: 'https://example.com/a.png', voice_list: [{ voice_id: 'v' }] },
      'voice_list',
    ],
    ['a duration Kling does not render', 'text2video', { prompt: 'a cat', duration: '7' }, 'duration'],
    ['a mode Kling does not have', 'text2video', { prompt: 'a cat', mode: 'ultra' }, 'mode'],
    ['text2video without a prompt', 'text2video', { duration: '5' }, 'prompt'],
  ])(
    "refuses %s with a 400 in Kling's error shape naming the field",
    async (_name, endpoint, body, field) => {
      const res = await post(endpoint, body);
      expect(res.status).toBe(400);
      const error = klingError.parse(res.body);
      expect(error.code).toBe(1201);
      expect(error.message).toContain(field);
      expect(error.message).not.toContain('metadata.');
    },
  );

  it("passes Kling's content-safety refusal back with Kling's code 1301", async () => {
    h.sim.world.inject('kling', 'submit', { type: 'content_safety' });
    const res = await post('text2video', { prompt: 'something Kling refuses' });
    expect([res.status, klingError.parse(res.body).code]).toEqual([400, 1301]);
  });

  it("answers auth and lookup failures with Kling's codes", async () => {
    const missing = await h.http('POST', '/kling/v1/videos/text2video', { body: { prompt: 'a cat' } });
    expect([missing.status, klingError.parse(missing.body).code]).toEqual([401, 1001]);
    const wrong = await post('text2video', { prompt: 'a cat' }, 'Bearer sk-not-a-key');
    expect([wrong.status, klingError.parse(wrong.body).code]).toEqual([401, 1002]);
    const unknown = await h.http('GET', '/kling/v1/videos/text2video/task_00000000000000000000', {
      token: user.key,
    });
    expect([unknown.status, klingError.parse(unknown.body).code]).toEqual([404, 1203]);
  });

  it('refuses a task the balance cannot cover with Kling\'s "resource pack used up" code', async () => {
    const poor = await h.user();
    const res = await post('text2video', { prompt: 'a cat' }, `Bearer ${poor.key}`);
    expect([res.status, klingError.parse(res.body).code]).toEqual([403, 1102]);
  });
});

describe("Kling-native routes on another vendor's Kling", () => {
  it("serves a Kling-shaped client from fal's Kling when that is the channel serving the model", async () => {
    const h = await Harness.start();
    try {
      await h.channel('fal', {
        models: ['kling-v1'],
        model_mapping: { 'kling-v1': 'fal-ai/kling-video/v2.1/standard/text-to-video' },
      });
      const { key } = await h.user();
      const created = await h.http('POST', '/kling/v1/videos/text2video', {
        token: key,
        body: { model_name: 'kling-v1', prompt: 'a cat on the moon', duration: '5', aspect_ratio: '16:9' },
      });
      expect(created.status).toBe(200);
      const taskId = klingAnswer.parse(created.body).data.task_id;
      const ended = klingAnswer.parse(
        await followNative(h, `/kling/v1/videos/text2video/${taskId}`, `Bearer ${key}`, (b) =>
          ['succeed', 'failed'].includes(b.data.task_status),
        ),
      );
      expect(ended.data.task_status).toBe('succeed');
      expect(h.sim.world.requests('fal', 'submit')).toBe(1);
      expect(h.sim.world.requests('kling', 'submit')).toBe(0);
    } finally {
      await h.close();
    }
  });
});
