import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildSimulator } from './server.js';
import { defaultViduAccount } from './vidu.js';
import { SimWorld } from './world.js';

const token = `Token ${defaultViduAccount.api_key}`;
const image = 'https://example.com/first.png';
const pngBase64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

describe('Vidu simulator', () => {
  let world: SimWorld;
  let app: FastifyInstance;

  beforeAll(async () => {
    world = new SimWorld({ taskDurationMs: 60_000, taskJitterMs: 0 });
    app = await buildSimulator(world);
  });
  afterAll(() => app.close());
  beforeEach(() => world.reset());

  const create = (endpoint: string, payload: Record<string, unknown>, authorization = token) =>
    app.inject({ method: 'POST', url: `/vidu/ent/v2/${endpoint}`, headers: { authorization }, payload });
  const creations = (id: string) =>
    app.inject({
      method: 'GET',
      url: `/vidu/ent/v2/tasks/${id}/creations`,
      headers: { authorization: token },
    });

  it.each([
    ['no header', ''],
    ['a Bearer header', `Bearer ${defaultViduAccount.api_key}`],
    ['an unknown key', 'Token not-a-key'],
  ])('answers %s with 401 in Vidu’s error envelope', async (_, authorization) => {
    const res = await create('text2video', { model: 'viduq1', prompt: 'a cat' }, authorization);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({
      code: 401,
      reason: 'Unauthorized',
      message: expect.any(String),
      metadata: { trace_id: expect.stringMatching(/^[0-9a-f]{32}$/) },
    });
  });

  it('accepts a task with state created and echoes it with its defaults', async () => {
    const res = await create('text2video', { model: 'viduq2', prompt: 'a cat', seed: 0 });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      state: 'created',
      model: 'viduq2',
      duration: 5,
      resolution: '720p',
      aspect_ratio: '16:9',
      style: 'general',
      bgm: false,
      movement_amplitude: 'auto',
      payload: '',
      off_peak: false,
    });
    expect(body.task_id).toMatch(/^\d+$/);
    expect(body.seed).toBeGreaterThan(0);
    expect(new Date(body.created_at).toISOString()).toBe(body.created_at);
    expect(body).not.toHaveProperty('images');
  });

  it.each([
    ['text2video', { model: 'viduq1', prompt: 'a cat', images: [image] }, 'FieldUnwanted'],
    [
      'img2video',
      { model: 'viduq1', prompt: 'a cat', aspect_ratio: '16:9', images: [image] },
      'FieldUnwanted',
    ],
    ['text2video', { model: 'viduq1', prompt: 'a cat', callback: 'x' }, 'FieldUnwanted'],
    ['reference2video', { model: 'viduq2', prompt: 'a cat', images: [image], audio: true }, 'FieldUnwanted'],
    ['text2video', { prompt: 'a cat' }, 'FieldLacking'],
    ['text2video', { model: 'viduq1' }, 'FieldLacking'],
    ['img2video', { model: 'viduq1' }, 'FieldLacking'],
    ['img2video', { model: 'viduq1', images: [image, image] }, 'FieldItemCountOutOfRange'],
    ['start-end2video', { model: 'viduq1', images: [image] }, 'FieldItemCountOutOfRange'],
    [
      'reference2video',
      { model: 'vidu2.0', prompt: 'a cat', images: [image, image, image, image] },
      'FieldItemCountOutOfRange',
    ],
    ['img2video', { model: 'viduq1', images: [pngBase64] }, 'ImageFormatInvalid'],
    ['img2video', { model: 'viduq1', images: [`data:image/gif;base64,${pngBase64}`] }, 'ImageFormatInvalid'],
    ['text2video', { model: 'viduq2-pro', prompt: 'a cat' }, 'FieldInvalid'],
    ['text2video', { model: 'viduq1', prompt: 'a cat', duration: 8 }, 'FieldInvalid'],
    ['text2video', { model: 'viduq1', prompt: 'a cat', resolution: '720p' }, 'FieldInvalid'],
    ['text2video', { model: 'viduq1', prompt: 'a cat', resolution: '1920x1080' }, 'FieldInvalid'],
    ['text2video', { model: 'viduq1', prompt: 'a cat', aspect_ratio: '4:3' }, 'FieldInvalid'],
    ['img2video', { model: 'vidu2.0', images: [image], duration: 8, resolution: '1080p' }, 'FieldInvalid'],
    ['start-end2video', { model: 'viduq2-turbo', images: [image, image], duration: 10 }, 'FieldInvalid'],
    ['text2video', { model: 'viduq1', prompt: 'a cat', bgm: 'false' }, 'FieldInvalid'],
  ])('refuses a %s body %j with 400 %s', async (endpoint, payload, reason) => {
    const tasksBefore = world.tasks.size;
    const res = await create(endpoint, payload);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 400, reason });
    expect(world.tasks.size).toBe(tasksBefore);
  });

  it('takes base64 images with their data: prefix', async () => {
    const res = await create('img2video', {
      model: 'viduq1',
      images: [`data:image/png;base64,${pngBase64}`],
    });
    expect(res.statusCode).toBe(200);
  });

  it('moves a task created → queueing → processing → success, with a downloadable video and cover', async () => {
    const { task_id: id } = (
      await create('start-end2video', { model: 'viduq1', images: [image, image] })
    ).json();
    const task = world.tasks.get(id)!;
    const stateAt = async (fraction: number) => {
      task.createdAt = Date.now() - fraction * task.durationMs;
      return (await creations(id)).json();
    };
    expect(await stateAt(0)).toMatchObject({ id, state: 'created', err_code: '', creations: [] });
    expect(await stateAt(0.15)).toMatchObject({ state: 'queueing', creations: [] });
    expect(await stateAt(0.5)).toMatchObject({ state: 'processing', creations: [] });
    const done = await stateAt(1);
    expect(done).toMatchObject({ state: 'success', err_code: '' });

    const { url, cover_url: coverUrl } = done.creations[0];
    const video = await app.inject({ method: 'GET', url: new URL(url).pathname });
    expect(video.statusCode).toBe(200);
    expect(video.headers['content-type']).toBe('video/mp4');
    const cover = await app.inject({ method: 'GET', url: new URL(coverUrl).pathname });
    expect(cover.statusCode).toBe(200);
    expect(cover.headers['content-type']).toBe('image/jpeg');

    world.expireAllFiles();
    expect((await app.inject({ method: 'GET', url: new URL(coverUrl).pathname })).statusCode).toBe(403);
  });

  it.each([
    ['CreationPolicyViolation', 'CreationPolicyViolation'],
    ['not a Vidu code', 'InternalServiceFailure'],
  ])('fails a task_fails task (reason %s) with err_code %s', async (reason, errCode) => {
    world.inject('vidu', 'submit', { type: 'task_fails', reason });
    const { task_id: id } = (await create('text2video', { model: 'viduq1', prompt: 'a cat' })).json();
    world.tasks.get(id)!.createdAt -= 60_000;
    expect((await creations(id)).json()).toMatchObject({ state: 'failed', err_code: errCode, creations: [] });
  });

  it('answers an unknown task with 404 TaskNotFound', async () => {
    const res = await creations('123');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 404, reason: 'TaskNotFound' });
  });

  it.each([
    [{ type: 'rate_limit' } as const, 429, 'TooManyRequests'],
    [{ type: 'http_error', status: 503 } as const, 503, 'InternalServiceFailure'],
    [{ type: 'content_safety' } as const, 400, 'AuditSubmitIllegal'],
    [{ type: 'auth_error' } as const, 401, 'Unauthorized'],
  ])('answers the fault %j with HTTP %i %s', async (fault, status, reason) => {
    world.inject('vidu', 'submit', fault);
    const res = await create('text2video', { model: 'viduq1', prompt: 'a cat' });
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ code: status, reason, metadata: { trace_id: expect.any(String) } });
    expect((await create('text2video', { model: 'viduq1', prompt: 'a cat' })).statusCode).toBe(200);
  });
});
