/** The fal simulator on the wire, as fal's docs and fal-js describe it (no adapter involved). */
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCallbackReceiver, type CallbackReceiver } from '../../test/support/callbacks.js';
import { defaultFalAccount } from './fal.js';
import { startSimulator, type RunningSimulator } from './server.js';

describe('fal simulator', () => {
  let sim: RunningSimulator;
  let receiver: CallbackReceiver;
  const auth = { authorization: `Key ${defaultFalAccount.api_key}` };

  beforeAll(async () => {
    sim = await startSimulator({ taskDurationMs: 150 });
    receiver = await startCallbackReceiver();
  });
  afterAll(async () => {
    await sim.close();
    await receiver.close();
  });
  beforeEach(() => sim.world.reset());

  async function call(method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown, headers = auth) {
    const res = await request(url.startsWith('http') ? url : sim.baseUrl('fal') + url, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, any> };
  }

  it('queues a request and gives its URLs under the app id, without the sub-path', async () => {
    const submitted = await call('POST', '/fal-ai/veo3/image-to-video', {
      prompt: 'a cat',
      image_url: 'https://example.com/cat.png',
    });
    expect(submitted.status).toBe(200);
    const id = submitted.body.request_id;
    sim.world.tasks.get(id)!.durationMs = 60_000; // stays queued while it is looked at
    const root = `${sim.baseUrl('fal')}/fal-ai/veo3/requests/${id}`;
    expect(submitted.body).toMatchObject({
      response_url: root,
      status_url: `${root}/status`,
      cancel_url: `${root}/cancel`,
    });
    expect((await call('GET', submitted.body.status_url)).body).toMatchObject({
      status: 'IN_QUEUE',
      queue_position: 0,
    });
  });

  it('reports logs when asked, and the video at response_url once completed', async () => {
    const { body } = await call('POST', '/fal-ai/kling-video/v2.1/standard/text-to-video', {
      prompt: 'a cat',
    });
    const task = sim.world.tasks.get(body.request_id)!;
    task.createdAt -= task.durationMs;
    const status = await call('GET', `${body.status_url}?logs=1`);
    expect(status.body).toMatchObject({
      status: 'COMPLETED',
      logs: expect.arrayContaining([expect.objectContaining({ message: expect.any(String) })]),
    });
    const result = await call('GET', body.response_url);
    expect(result.body.video).toMatchObject({
      url: expect.stringMatching(/\.mp4$/),
      content_type: 'video/mp4',
    });
  });

  it("answers invalid input with fal's 422 detail list, naming the field under body", async () => {
    const res = await call('POST', '/fal-ai/kling-video/v2.1/standard/text-to-video', {
      prompt: 'a cat',
      duration: '7',
    });
    expect(res.status).toBe(422);
    expect(res.body.detail[0]).toMatchObject({ loc: ['body', 'duration'], type: 'literal_error' });
    const missing = await call('POST', '/fal-ai/kling-video/v2.1/standard/image-to-video', {
      prompt: 'a cat',
    });
    expect(missing.body.detail[0]).toMatchObject({
      loc: ['body', 'image_url'],
      msg: 'field required',
      type: 'missing',
    });
  });

  it('refuses a missing or wrong key with 401', async () => {
    expect((await call('POST', '/fal-ai/veo3', { prompt: 'a cat' }, { authorization: '' })).status).toBe(401);
    expect(
      (await call('POST', '/fal-ai/veo3', { prompt: 'a cat' }, { authorization: 'Key nope' })).status,
    ).toBe(401);
  });

  it('cancels only while queued', async () => {
    const { body } = await call('POST', '/fal-ai/veo3', { prompt: 'a cat' });
    sim.world.tasks.get(body.request_id)!.durationMs = 60_000; // stays queued until cancelled
    expect(await call('PUT', body.cancel_url)).toEqual({
      status: 202,
      body: { status: 'CANCELLATION_REQUESTED' },
    });
    expect(await call('PUT', body.cancel_url)).toEqual({
      status: 400,
      body: { status: 'ALREADY_COMPLETED' },
    });
  });

  it('calls fal_webhook once when done: OK with the payload, or ERROR', async () => {
    const webhook = `?fal_webhook=${encodeURIComponent(receiver.url)}`;
    const ok = await call('POST', `/fal-ai/veo3${webhook}`, { prompt: 'a cat' });
    sim.world.inject('fal', 'submit', { type: 'task_fails', reason: 'could not render' });
    const failed = await call('POST', `/fal-ai/veo3${webhook}`, { prompt: 'a dog' });
    const received = (await receiver.waitFor(2)) as Record<string, any>[];
    const byId = new Map(received.map((r) => [r.request_id, r]));
    expect(byId.get(ok.body.request_id)).toMatchObject({
      status: 'OK',
      payload: { video: { url: expect.any(String) } },
    });
    expect(byId.get(failed.body.request_id)).toMatchObject({
      status: 'ERROR',
      payload: { detail: [{ msg: 'could not render' }] },
    });
  });
});
