import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultKlingAccount } from './kling.js';
import { buildSimulator } from './server.js';
import { SimWorld } from './world.js';

/** A token as Kling's docs describe it: HS256, iss = access key, exp in 30 minutes, nbf 5 s ago. */
async function token(): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: defaultKlingAccount.access_key, exp: now + 1800, nbf: now - 5 })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(defaultKlingAccount.secret_key));
}

const image = 'https://example.com/first.png';

describe('Kling simulator', () => {
  let world: SimWorld;
  let app: FastifyInstance;

  beforeAll(async () => {
    world = new SimWorld({ taskDurationMs: 60_000, taskJitterMs: 0 });
    app = await buildSimulator(world);
  });
  afterAll(() => app.close());

  const create = async (endpoint: string, payload: Record<string, unknown>) =>
    app.inject({
      method: 'POST',
      url: `/kling/v1/videos/${endpoint}`,
      headers: { authorization: `Bearer ${await token()}` },
      payload,
    });

  it('accepts a text-to-video task with the documented fields and answers in its envelope', async () => {
    const res = await create('text2video', {
      model_name: 'kling-v2-6',
      prompt: 'a cat',
      duration: '10',
      aspect_ratio: '9:16',
      mode: 'pro',
      camera_control: { type: 'simple', config: { zoom: 5 } },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ code: 0, data: { task_status: 'submitted' } });
  });

  it.each([
    [
      'kling-v1-5 on text2video (an image-to-video model)',
      'text2video',
      { model_name: 'kling-v1-5', prompt: 'a cat' },
    ],
    [
      'kling-v2-1 on text2video (an image-to-video model)',
      'text2video',
      { model_name: 'kling-v2-1', prompt: 'a cat' },
    ],
    ['an unknown model', 'image2video', { model_name: 'kling-v9', image }],
  ])('refuses %s with 404 code 1203', async (_what, endpoint, payload) => {
    const res = await create(endpoint, payload);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 1203 });
  });

  it('takes the image-to-video models on image2video', async () => {
    for (const model of ['kling-v1-5', 'kling-v2-1'])
      expect((await create('image2video', { model_name: model, image })).statusCode).toBe(200);
  });

  it.each([
    ['no prompt on text2video', 'text2video', { model_name: 'kling-v1' }],
    ['a numeric duration', 'text2video', { prompt: 'a cat', duration: 5 }],
    ['an image on text2video', 'text2video', { prompt: 'a cat', image }],
    ['aspect_ratio on image2video', 'image2video', { image, aspect_ratio: '16:9' }],
    ['a base64 image with its data: prefix', 'image2video', { image: 'data:image/png;base64,iVBORw0KGgo=' }],
    [
      'image_tail together with camera_control',
      'image2video',
      { image, image_tail: image, camera_control: { type: 'down_back' } },
    ],
    [
      'a simple camera move along two axes',
      'text2video',
      { prompt: 'a cat', camera_control: { type: 'simple', config: { pan: 1, zoom: 1 } } },
    ],
    ['cfg_scale above 1', 'text2video', { prompt: 'a cat', cfg_scale: 1.5 }],
  ])('refuses %s with 400 code 1201', async (_what, endpoint, payload) => {
    const res = await create(endpoint, payload);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 1201, request_id: expect.any(String) });
  });
});
