/** What the Seedance simulator does that the adapter never asks of it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackReceiver } from '../../test/support/callbacks.js';
import { defaultSeedanceAccount } from './seedance.js';
import { startSimulator, type RunningSimulator } from './server.js';

describe('the Seedance simulator', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ taskDurationMs: 200 });
  });
  afterAll(() => sim.close());

  const headers = {
    authorization: `Bearer ${defaultSeedanceAccount.api_key}`,
  };
  const tasks = () => `${sim.baseUrl('seedance')}/api/v3/contents/generations/tasks`;
  const create = async (body: Record<string, unknown>) =>
    fetch(tasks(), {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'doubao-seedance-1-0-pro-250528',
        content: [{ type: 'text', text: 'a cat' }],
        ...body,
      }),
    });

  it('posts the task to callback_url on each status change, as the query shows it', async () => {
    const callbacks = await startCallbackReceiver();
    try {
      const { id } = (await (await create({ callback_url: callbacks.url })).json()) as { id: string };
      const received = (await callbacks.waitFor(2)) as { id: string; status: string }[];
      expect(received.map((c) => [c.id, c.status])).toEqual([
        [id, 'running'],
        [id, 'succeeded'],
      ]);
      expect(received[1]).toMatchObject({
        content: { video_url: expect.stringMatching(/\.mp4$/) },
        framespersecond: 24,
      });
    } finally {
      await callbacks.close();
    }
  });

  it('deletes the record of an ended task on DELETE', async () => {
    const { id } = (await (await create({})).json()) as { id: string };
    await new Promise((r) => setTimeout(r, 250));
    expect((await fetch(`${tasks()}/${id}`, { headers })).status).toBe(200);
    expect((await fetch(`${tasks()}/${id}`, { method: 'DELETE', headers })).status).toBe(200);
    const gone = await fetch(`${tasks()}/${id}`, { headers });
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ error: { code: 'ResourceNotFound' } });
  });

  it('fills in Ark defaults and reports the seed it chose', async () => {
    const { id } = (await (await create({})).json()) as { id: string };
    const task = (await (await fetch(`${tasks()}/${id}`, { headers })).json()) as Record<string, unknown>;
    expect(task).toMatchObject({ resolution: '1080p', ratio: '16:9', duration: 5, seed: expect.any(Number) });
  });

  it("refuses a model Ark does not serve with Ark's not-found code", async () => {
    const res = await create({ model: 'doubao-seedance-0-1' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'InvalidEndpointOrModel.NotFound' } });
  });
});
