/** The Replicate simulator on the wire, as Replicate's docs and replicate-javascript describe it. */
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCallbackReceiver, type CallbackReceiver } from '../../test/support/callbacks.js';
import { defaultReplicateAccount, replicateVersionOf } from './replicate.js';
import { startSimulator, type RunningSimulator } from './server.js';

describe('Replicate simulator', () => {
  let sim: RunningSimulator;
  let receiver: CallbackReceiver;

  beforeAll(async () => {
    sim = await startSimulator({ taskDurationMs: 150 });
    receiver = await startCallbackReceiver();
  });
  afterAll(async () => {
    await sim.close();
    await receiver.close();
  });
  beforeEach(() => {
    sim.world.reset();
    receiver.received.length = 0;
  });

  async function post(path: string, body: unknown) {
    const res = await request(sim.baseUrl('replicate') + path, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${defaultReplicateAccount.api_key}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, any> };
  }

  it('creates a prediction by model and by version, starting, with its URLs', async () => {
    const byModel = await post('/v1/models/google/veo-3/predictions', { input: { prompt: 'a cat' } });
    expect(byModel.status).toBe(201);
    expect(byModel.body).toMatchObject({
      status: 'starting',
      model: 'google/veo-3',
      output: null,
      urls: { get: expect.stringContaining(`/v1/predictions/${byModel.body.id}`) },
    });
    const byVersion = await post('/v1/predictions', {
      version: replicateVersionOf('minimax/hailuo-02'),
      input: { prompt: 'a cat' },
    });
    expect(byVersion.body).toMatchObject({ status: 'starting', model: 'minimax/hailuo-02' });
  });

  it('answers invalid input with problem JSON listing the invalid field', async () => {
    const res = await post('/v1/models/kwaivgi/kling-v2.1/predictions', { input: { prompt: 'a cat' } });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      title: 'Input validation failed',
      status: 422,
      detail: expect.stringContaining('input.start_image'),
      invalid_fields: [{ field: 'input.start_image', type: 'missing' }],
    });
  });

  it('sends only the completed webhook when filtered, and every event otherwise', async () => {
    // Tasks long enough that the start event's timer fires before the end, even on a busy machine.
    sim.world.options.taskDurationMs = 1500;
    await post('/v1/models/google/veo-3/predictions', {
      input: { prompt: 'filtered' },
      webhook: receiver.url,
      webhook_events_filter: ['completed'],
    });
    await post('/v1/models/google/veo-3/predictions', { input: { prompt: 'all' }, webhook: receiver.url });
    const received = (await receiver.waitFor(3)) as Record<string, any>[];
    await new Promise((r) => setTimeout(r, 200));
    const of = (prompt: string) => received.filter((r) => r.input.prompt === prompt).map((r) => r.status);
    expect(of('filtered')).toEqual(['succeeded']);
    expect(of('all')).toEqual(['processing', 'succeeded']);
    sim.world.options.taskDurationMs = 150;
  });

  it('keeps an ended prediction as it is when asked to cancel it', async () => {
    const { body } = await post('/v1/models/google/veo-3/predictions', { input: { prompt: 'a cat' } });
    const task = sim.world.tasks.get(body.id)!;
    task.createdAt -= task.durationMs;
    expect((await post(`/v1/predictions/${body.id}/cancel`, {})).body).toMatchObject({ status: 'succeeded' });
  });
});
