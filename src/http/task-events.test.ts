/** Live progress: event streams (GET …/events) and waiting requests (Prefer: wait) on both surfaces. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../../test/support/harness.js';
import { readEventStream } from '../../test/support/sse.js';

const body = { model: 'kling-v1', prompt: 'a cat', size: '1280x720', duration: 5 };

describe.each(testDatabases())('live progress on %s', (database) => {
  let h: Harness;
  let key: string;

  beforeAll(async () => {
    h = await Harness.start({
      database,
      config: { TASK_WATCH_INTERVAL_MS: 20, EVENT_STREAM_HEARTBEAT_MS: 50, PREFER_WAIT_MAX_SECONDS: 5 },
      simulator: { taskDurationMs: 800 },
    });
    await h.channel('kling');
    key = (await h.user()).key;
  });
  afterAll(() => h.close());

  it('streams processing to succeeded on the generations surface, with growing ids, then closes', async () => {
    const submitted = await h.submit(key, body);
    const stream = await readEventStream(
      `${h.url}/v1/video/generations/${submitted.body.task_id}/events`,
      key,
    );
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    const statuses = stream.events.filter((e) => e.event === 'status');
    const tasks = statuses.map((e) => JSON.parse(e.data));
    expect(tasks[0].status).toBe('processing');
    expect(tasks.at(-1)).toMatchObject({
      task_id: submitted.body.task_id,
      status: 'succeeded',
      progress: 100,
    });
    expect(tasks.at(-1).url).toMatch(/^http/);
    const ids = statuses.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    // One event per change: no two in a row say the same.
    for (let i = 1; i < tasks.length; i++) {
      expect([tasks[i].status, tasks[i].progress]).not.toEqual([tasks[i - 1].status, tasks[i - 1].progress]);
    }
    expect(stream.events.at(-1)).toMatchObject({ event: 'done', data: '{"status":"succeeded"}' });
  });

  it('streams queued or in_progress to completed on /v1/videos, in OpenAI’s shape', async () => {
    const created = await h.http('POST', '/v1/videos', {
      token: key,
      body: { model: 'kling-v1', prompt: 'a cat' },
    });
    expect(created.status).toBe(200);
    const stream = await readEventStream(`${h.url}/v1/videos/${created.body.id}/events`, key);
    const videos = stream.events.filter((e) => e.event === 'status').map((e) => JSON.parse(e.data));
    expect(['queued', 'in_progress']).toContain(videos[0].status);
    expect(videos.at(-1)).toMatchObject({ id: created.body.id, object: 'video', status: 'completed' });
  });

  it('resumes after Last-Event-ID without repeating what was seen, and sends heartbeats while waiting', async () => {
    const submitted = await h.submit(key, body);
    const url = `${h.url}/v1/video/generations/${submitted.body.task_id}/events`;
    const first = await readEventStream(url, key, {}, 1);
    const seen = Number(first.events[0]!.id);
    const rest = await readEventStream(url, key, { 'last-event-id': String(seen) });
    const ids = rest.events.filter((e) => e.event === 'status').map((e) => Number(e.id));
    expect(ids.length).toBeGreaterThan(0);
    expect(Math.min(...ids)).toBeGreaterThan(seen);
    expect(JSON.parse(rest.events.filter((e) => e.event === 'status').at(-1)!.data).status).toBe('succeeded');
    expect(rest.comments).toContain('heartbeat');
  });

  it('sends one event for a task that already ended, and nothing more after its last id', async () => {
    const submitted = await h.submit(key, body);
    await h.waitForEnd(key, submitted.body.task_id);
    const url = `${h.url}/v1/video/generations/${submitted.body.task_id}/events`;
    const ended = await readEventStream(url, key);
    expect(ended.events.map((e) => e.event)).toEqual(['status', 'done']);
    const resumed = await readEventStream(url, key, { 'last-event-id': ended.events[0]!.id! });
    expect(resumed.events.map((e) => e.event)).toEqual(['done']);
  });

  it("answers 404 for another user's task stream", async () => {
    const submitted = await h.submit(key, body);
    const other = (await h.user()).key;
    const res = await h.http('GET', `/v1/video/generations/${submitted.body.task_id}/events`, {
      token: other,
    });
    expect(res.status).toBe(404);
    const video = await h.http('GET', `/v1/videos/${submitted.body.task_id}/events`, { token: other });
    expect(video.status).toBe(404);
    expect(video.body.error.code).toBe('video_not_found');
  });

  it('holds a submit with Prefer: wait until a fast task has succeeded', async () => {
    const res = await h.http('POST', '/v1/video/generations', {
      token: key,
      body,
      headers: { prefer: 'wait=5' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['preference-applied']).toBe('wait=5');
    expect(res.body.status).toBe('succeeded');

    const video = await h.http('POST', '/v1/videos', {
      token: key,
      body: { model: 'kling-v1', prompt: 'a cat' },
      headers: { prefer: 'wait=5' },
    });
    expect(video.body.status).toBe('completed');
  });

  it('answers a slow task as processing once the wait has passed, and GET waits too', async () => {
    h.sim.world.options.taskDurationMs = 30_000;
    try {
      const res = await h.http('POST', '/v1/video/generations', {
        token: key,
        body,
        headers: { prefer: 'respond-async, wait=1' },
      });
      expect(res.headers['preference-applied']).toBe('wait=1');
      expect(res.body.status).toBe('processing');
      const read = await h.http('GET', `/v1/video/generations/${res.body.task_id}`, {
        token: key,
        headers: { prefer: 'wait=1' },
      });
      expect(read.headers['preference-applied']).toBe('wait=1');
      expect(read.body.status).toBe('processing');
    } finally {
      h.sim.world.options.taskDurationMs = 800;
    }
  });

  it('cuts a wait beyond PREFER_WAIT_MAX_SECONDS to it, and answers an ended task at once', async () => {
    const submitted = await h.submit(key, body);
    await h.waitForEnd(key, submitted.body.task_id);
    const read = await h.http('GET', `/v1/videos/${submitted.body.task_id}`, {
      token: key,
      headers: { prefer: 'wait=600' },
    });
    expect(read.headers['preference-applied']).toBe('wait=5');
    expect(read.body.status).toBe('completed');
  });

  it('carries the vendor’s queue position while a fal task waits, and drops it once it runs', async () => {
    await h.channel('fal', {
      models: ['kling-fal'],
      model_mapping: { 'kling-fal': 'fal-ai/kling-video/v2.1/standard/text-to-video' },
    });
    // Three requests at once: the last waits behind two in fal's queue for a fifth of the tasks' time.
    h.sim.world.options.taskDurationMs = 3_000;
    const falBody = { model: 'kling-fal', prompt: 'a cat', duration: 5 };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await h.submit(key, falBody)).body.task_id);
    const stream = await readEventStream(`${h.url}/v1/video/generations/${ids[2]}/events`, key);
    h.sim.world.options.taskDurationMs = 800;
    const statuses = stream.events.filter((e) => e.event === 'status');
    const tasks = statuses.map((e) => JSON.parse(e.data));
    const queued = tasks.filter((t) => t.queue_position !== undefined);
    expect(queued.length).toBeGreaterThan(0);
    expect(queued[0]).toMatchObject({ status: 'processing', queue_position: 2 });
    expect(tasks.at(-1)).toMatchObject({ status: 'succeeded' });
    expect(tasks.at(-1).queue_position).toBeUndefined();
    const sequence = statuses.map((e) => Number(e.id));
    expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
    // GET keeps the documented shape: no queue position there.
    expect((await h.query(key, ids[2]!)).body.queue_position).toBeUndefined();
  });

  it('streams a task another instance on the same database submitted and moves', async () => {
    const other = await Harness.start({ reuse: h, pollerOff: true });
    try {
      const submitted = await h.submit(key, body);
      const stream = await readEventStream(
        `${other.url}/v1/video/generations/${submitted.body.task_id}/events`,
        key,
      );
      const tasks = stream.events.filter((e) => e.event === 'status').map((e) => JSON.parse(e.data));
      expect(tasks.at(-1).status).toBe('succeeded');
    } finally {
      await other.stopGateway();
    }
  });
});
