/** What the DashScope simulator does that the adapter never asks of it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from './server.js';
import { defaultWanAccount } from './wan.js';

describe('the DashScope simulator', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.close());

  const create = (headers: Record<string, string>, body: unknown) =>
    fetch(`${sim.baseUrl('wan')}/api/v1/services/aigc/video-generation/video-synthesis`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${defaultWanAccount.api_key}`,
        'content-type': 'application/json',
        ...headers,
      },
      body: JSON.stringify(body),
    });

  it('refuses a create without X-DashScope-Async: enable, in DashScope words', async () => {
    const res = await create({}, { model: 'wan2.2-t2v-plus', input: { prompt: 'a cat' } });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      code: 'AccessDenied',
      message: 'current user api does not support synchronous calls',
    });
  });

  it('refuses a keyframe model on the video-generation endpoint', async () => {
    const res = await create(
      { 'x-dashscope-async': 'enable' },
      {
        model: 'wan2.2-kf2v-flash',
        input: { prompt: 'a cat', first_frame_url: 'https://example.com/a.png' },
      },
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'InvalidParameter', request_id: expect.any(String) });
  });

  it('answers UNKNOWN, with HTTP 200, for a task id it never gave', async () => {
    const res = await fetch(`${sim.baseUrl('wan')}/api/v1/tasks/not-a-task`, {
      headers: { authorization: `Bearer ${defaultWanAccount.api_key}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ output: { task_id: 'not-a-task', task_status: 'UNKNOWN' } });
  });

  it('reports times as DashScope does: "YYYY-MM-DD HH:MM:SS.mmm" in Asia/Shanghai', async () => {
    const created = (await (
      await create(
        { 'x-dashscope-async': 'enable' },
        { model: 'wan2.2-t2v-plus', input: { prompt: 'a cat' } },
      )
    ).json()) as { output: { task_id: string } };
    const task = (await (
      await fetch(`${sim.baseUrl('wan')}/api/v1/tasks/${created.output.task_id}`, {
        headers: { authorization: `Bearer ${defaultWanAccount.api_key}` },
      })
    ).json()) as { output: { submit_time: string } };
    expect(task.output.submit_time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/);
    const shanghai = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 13).replace('T', ' ');
    expect(task.output.submit_time.slice(0, 13)).toBe(shanghai);
  });
});
