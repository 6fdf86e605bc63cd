import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Harness, testDatabases } from '../../../../test/support/harness.js';
import { download, followNative } from '../../../../test/support/native.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../../../test/support/webhook-receiver.js';
import { viduCreateResponseSchema, viduCreationsResponseSchema } from './view.js';

/**
 * Vidu's request examples, verbatim, from its API reference (platform.vidu.cn → API 文档: 文生视频, 图生视频, 首尾帧,
 * 参考生视频; https://platform.vidu.cn/docs/text-to-video and its sibling pages; copy at ZeoXel/SUNSTUDIO docs/vidu.md).
 */
const viduExamples = {
  text2video: {
    model: 'viduq2',
    style: 'general',
    prompt:
      'In an ultra-realistic fashion photography style featuring light blue and pale amber tones, an astronaut in a spacesuit walks through the fog. The background consists of enchanting white and golden lights, creating a minimalist still life and an impressive panoramic scene.',
    duration: 5,
    seed: 0,
    aspect_ratio: '4:3',
    resolution: '540p',
    movement_amplitude: 'auto',
    off_peak: false,
  },
  img2video: {
    model: 'viduq2-pro',
    images: ['https://prod-ss-images.s3.cn-northwest-1.amazonaws.com.cn/vidu-maas/template/image2video.png'],
    prompt: 'The astronaut waved and the camera moved up.',
    audio: true,
    voice_id: 'professional_host',
    duration: 5,
    seed: 0,
    resolution: '1080p',
    movement_amplitude: 'auto',
    off_peak: false,
  },
  'start-end2video': {
    model: 'viduq2-pro',
    images: [
      'https://prod-ss-images.s3.cn-northwest-1.amazonaws.com.cn/vidu-maas/template/startend2video-1.jpeg',
      'https://prod-ss-images.s3.cn-northwest-1.amazonaws.com.cn/vidu-maas/template/startend2video-2.jpeg',
    ],
    prompt:
      'The camera zooms in on the bird, which then flies to the right. With its flight being smooth and natural, the bird soars in the sky. with a red light effect following and surrounding it from behind.',
    duration: 5,
    seed: 0,
    resolution: '1080p',
    movement_amplitude: 'auto',
    off_peak: false,
  },
  reference2video: {
    model: 'viduq2',
    images: [
      'https://prod-ss-images.s3.cn-northwest-1.amazonaws.com.cn/vidu-maas/template/reference2video-1.png',
      'https://prod-ss-images.s3.cn-northwest-1.amazonaws.com.cn/vidu-maas/template/reference2video-2.png',
      'https://prod-ss-images.s3.cn-northwest-1.amazonaws.com.cn/vidu-maas/template/reference2video-3.png',
    ],
    prompt: 'Santa Claus and the bear hug by the lakeside.',
    duration: 5,
    seed: 0,
    aspect_ratio: '3:4',
    resolution: '540p',
    movement_amplitude: 'auto',
    off_peak: false,
  },
} as const;

/** 参考生视频, 音视频直出 (subjects, with speech): the variant Reelay does not carry. */
const viduSubjectsExample = {
  model: 'viduq2',
  subjects: [
    {
      id: 'your_subject1_id',
      images: ['your_image_url1', 'your_image_url2', 'your_image_url3'],
      voice_id: '',
    },
    {
      id: 'your_subject2_id',
      images: ['your_image_url4', 'your_image_url5', 'your_image_url6'],
      voice_id: '',
    },
    { id: 'your_subject3_id', images: ['your_image_url7'], voice_id: '' },
  ],
  prompt: '@1 和 @2 在一起吃火锅，并且旁白音说火锅大家都爱吃。',
  duration: 8,
  audio: true,
};

/**
 * Vidu's answers, written from its docs (create: "响应体" of each endpoint; query: 查询生成结果), independent of
 * the route's own schemas. `credits` is Vidu's own money: Reelay bills in its own, so it may be left out.
 */
const viduState = z.enum(['created', 'queueing', 'processing', 'success', 'failed']);
const viduCreateAnswer = z.object({
  task_id: z.string().min(1),
  state: viduState,
  model: z.string(),
  prompt: z.string().optional(),
  images: z.array(z.string()).optional(),
  duration: z.number().int().optional(),
  seed: z.number().int().optional(),
  aspect_ratio: z.string().optional(),
  resolution: z.string().optional(),
  bgm: z.boolean().optional(),
  movement_amplitude: z.string().optional(),
  payload: z.string(),
  off_peak: z.boolean(),
  credits: z.number().int().optional(),
  watermark: z.boolean().optional(),
  created_at: z.string().datetime(),
});
const viduCreations = z.object({
  id: z.string(),
  state: viduState,
  err_code: z.string(),
  payload: z.string(),
  bgm: z.boolean(),
  off_peak: z.boolean(),
  creations: z.array(
    z.object({ id: z.string(), url: z.string(), cover_url: z.string(), watermarked_url: z.string() }),
  ),
});
/** Vidu's error body (its cancel page): `{code, reason, message, metadata: {trace_id}}`. */
const viduError = z.object({
  code: z.number().int(),
  reason: z.string(),
  message: z.string(),
  metadata: z.object({ trace_id: z.string() }).passthrough(),
});

const price = 300_000;

describe.each(testDatabases())('Vidu-native routes (%s)', (database) => {
  let h: Harness;
  let user: { userId: string; key: string };
  let receiver: WebhookReceiver;
  const token = () => `Token ${user.key}`;

  beforeAll(async () => {
    h = await Harness.start({ database });
    receiver = await startWebhookReceiver();
    await h.channel('vidu');
    for (const model of ['viduq2', 'viduq2-pro']) await h.price(model, { unit: 'call', price });
    user = await h.user();
    await h.topUp(user.userId, 20 * price);
  });
  afterAll(async () => {
    await receiver?.close();
    await h?.close();
  });

  const post = (endpoint: string, body: unknown, authorization = token()) =>
    h.http('POST', `/ent/v2/${endpoint}`, { body, headers: { authorization } });
  const ended = (body: any) => body.state === 'success' || body.state === 'failed';

  it.each(Object.entries(viduExamples))(
    "runs Vidu's own %s example to a downloadable video, in Vidu's shapes, billed",
    async (endpoint, example) => {
      const created = await post(endpoint, example);
      expect(created.status).toBe(200);
      const answer = viduCreateAnswer.parse(created.body);
      expect(answer).toMatchObject({ model: example.model, prompt: example.prompt, duration: 5, seed: 0 });
      expect(answer.state).toMatch(/^(created|queueing|processing)$/);
      if ('images' in example) expect(answer.images).toEqual(example.images);

      viduCreateResponseSchema.parse(created.body);
      const done = viduCreations.parse(
        await followNative(h, `/ent/v2/tasks/${answer.task_id}/creations`, token(), ended),
      );
      expect(done).toMatchObject({ id: answer.task_id, state: 'success', err_code: '' });
      viduCreationsResponseSchema.parse(done);
      const file = await download(done.creations[0]!.url);
      expect(file).toMatchObject({ status: 200, type: 'video/mp4' });
      const seen = await h.query(user.key, answer.task_id);
      expect(seen.body.cost).toEqual({ state: 'charged', amount: price });
    },
  );

  it('takes the key as Bearer too, echoes payload and calls back with the query answer', async () => {
    const created = await post(
      'text2video',
      { model: 'viduq2', prompt: 'a dog', payload: 'order-7', callback_url: `${receiver.url}/vidu` },
      `Bearer ${user.key}`,
    );
    expect(created.status).toBe(200);
    const taskId = viduCreateAnswer.parse(created.body).task_id;
    const [callback] = await receiver.waitFor(1);
    expect(viduCreations.parse(JSON.parse(callback!.body))).toMatchObject({
      id: taskId,
      state: 'success',
      payload: 'order-7',
    });
  });

  it.each([
    ['the subjects variant, which Reelay does not carry', 'reference2video', viduSubjectsExample, 'subjects'],
    [
      'a field the endpoint does not take',
      'img2video',
      { ...viduExamples.img2video, style: 'anime' },
      'style',
    ],
    ['an unknown field', 'text2video', { model: 'viduq2', prompt: 'a cat', fps: 24 }, 'fps'],
    [
      'images on text2video',
      'text2video',
      { model: 'viduq2', prompt: 'a cat', images: ['https://a.test/x.png'] },
      'images',
    ],
    [
      'start-end2video with one image',
      'start-end2video',
      { model: 'viduq2-pro', images: ['https://a.test/x.png'] },
      'images',
    ],
  ])("refuses %s with a 400 in Vidu's error shape naming the field", async (_name, endpoint, body, field) => {
    const res = await post(endpoint, body);
    expect(res.status).toBe(400);
    const error = viduError.parse(res.body);
    expect(error).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(error.message).toContain(field);
    expect(error.message).not.toContain('metadata.');
  });

  it("answers auth and lookup failures in Vidu's error shape", async () => {
    const missing = await h.http('POST', '/ent/v2/text2video', { body: viduExamples.text2video });
    expect([missing.status, viduError.parse(missing.body).reason]).toEqual([401, 'Unauthorized']);
    const unknown = await h.http('GET', '/ent/v2/tasks/task_00000000000000000000/creations', {
      headers: { authorization: token() },
    });
    expect([unknown.status, viduError.parse(unknown.body).code]).toEqual([404, 404]);
  });
});

describe('Vidu-native routes fail over', () => {
  it('sends the task to the next channel serving the model when the first one fails', async () => {
    const h = await Harness.start();
    try {
      await h.channel('vidu', { priority: 10 });
      const fallback = await h.channel('vidu', { priority: 0 });
      const { key } = await h.user();
      h.sim.world.inject('vidu', 'submit', { type: 'http_error', status: 500 });
      const created = await h.http('POST', '/ent/v2/text2video', {
        body: viduExamples.text2video,
        headers: { authorization: `Token ${key}` },
      });
      expect(created.status).toBe(200);
      const taskId = viduCreateAnswer.parse(created.body).task_id;
      const done = viduCreations.parse(
        await followNative(h, `/ent/v2/tasks/${taskId}/creations`, `Token ${key}`, (b) =>
          ['success', 'failed'].includes(b.state),
        ),
      );
      expect(done.state).toBe('success');
      expect(h.sim.world.requests('vidu', 'submit')).toBe(2);
      expect((await h.admin('GET', `/tasks/${taskId}`)).body.channel_ids).toEqual([fallback]);
    } finally {
      await h.close();
    }
  });
});
