/** Vidu end to end: a client on the seed API, the real gateway, the Vidu simulator, and the client's callback. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackReceiver } from '../../../test/support/callbacks.js';
import { Harness, testDatabases } from '../../../test/support/harness.js';
import { first, last, pngBase64, originViduExample, seedViduWireBody } from '../../../test/support/vidu.js';
import type { SimTask } from '../../simulator/world.js';

describe.each(testDatabases())('Vidu through the gateway on %s', (database) => {
  let h: Harness;
  let key: string;

  beforeAll(async () => {
    h = await Harness.start({ database });
    await h.channel('vidu');
    key = (await h.user()).key;
  });
  afterAll(() => h.close());

  const viduTasks = (): SimTask[] => [...h.sim.world.tasks.values()].filter((t) => t.vendor === 'vidu');
  /** What the simulator received for the latest Vidu task. */
  const lastSent = () => viduTasks().at(-1)!.request as { endpoint: string; body: Record<string, unknown> };

  /** A model name served only by the channels of one test, mapped to a real Vidu model. */
  async function channelsFor(alias: string, specs: Record<string, unknown>[]): Promise<string[]> {
    const ids: string[] = [];
    for (const spec of specs)
      ids.push(await h.channel('vidu', { models: [alias], model_mapping: { [alias]: 'viduq1' }, ...spec }));
    return ids;
  }

  it("runs the origin document's Vidu example as sent to succeeded, with a downloadable MP4 and exactly one callback", async () => {
    const callbacks = await startCallbackReceiver();
    try {
      const request = {
        ...originViduExample,
        metadata: { ...originViduExample.metadata, callback_url: callbacks.url },
      };
      const submitted = await h.submit(key, request);
      expect(submitted.status).toBe(200);
      expect(submitted.body).toMatchObject({ status: 'processing', url: null, error: null, model: 'viduq1' });
      expect(submitted.body.warnings).toEqual([
        "Vidu img2video follows the input image's aspect ratio: only the resolution (1080p) was taken from the requested size",
      ]);
      const taskId: string = submitted.body.task_id;

      // What Vidu received: the image endpoint, zeros and falses as sent, a Vidu resolution, no callback_url.
      const sent = lastSent();
      expect(sent.endpoint).toBe('img2video');
      expect(sent.body).toEqual(seedViduWireBody);

      const done = await h.waitForEnd(key, taskId);
      expect(done.body).toMatchObject({ task_id: taskId, status: 'succeeded', format: 'mp4', error: null });
      expect(done.body.metadata).toEqual({ duration: 5, fps: null, width: null, height: null, seed: null });
      const video = await fetch(done.body.url);
      expect(video.headers.get('content-type')).toBe('video/mp4');
      expect(
        Buffer.from(await video.arrayBuffer())
          .subarray(4, 8)
          .toString('ascii'),
      ).toBe('ftyp');

      const [notification] = await callbacks.waitFor(1);
      expect(notification).toMatchObject({
        task_id: taskId,
        status: 'succeeded',
        url: done.body.url,
        error: null,
      });
      const upstreamTaskId = viduTasks().at(-1)!.id;
      expect(JSON.stringify(notification)).not.toContain(upstreamTaskId);
      // A few more poller cycles: the task has ended, nothing may notify again.
      await new Promise((r) => setTimeout(r, 300));
      expect(callbacks.received).toHaveLength(1);
    } finally {
      await callbacks.close();
    }
  });

  it.each([
    [
      'text2video',
      { model: 'viduq2', prompt: 'a cat', size: '1280x720', seed: 7 },
      { model: 'viduq2', resolution: '720p', aspect_ratio: '16:9', seed: 7, duration: 5 },
      { duration: 5, width: 1280, height: 720, seed: 7 },
    ],
    [
      'img2video',
      { model: 'viduq2-turbo', prompt: 'a cat', image: pngBase64, duration: 3 },
      { images: [`data:image/png;base64,${pngBase64}`], resolution: '720p', duration: 3 },
      { duration: 3, width: null, height: null },
    ],
    [
      'start-end2video',
      { model: 'viduq1', prompt: 'a cat', image: first, metadata: { image_tail: last, is_rec: false } },
      { images: [first, last], resolution: '1080p', is_rec: false },
      { duration: 5 },
    ],
    [
      'reference2video',
      {
        model: 'viduq2',
        prompt: 'a cat',
        width: 1080,
        height: 1080,
        metadata: { reference_images: [first, last, first] },
      },
      { images: [first, last, first], resolution: '1080p', aspect_ratio: '1:1' },
      { width: 1080, height: 1080 },
    ],
  ])('sends %s what Vidu expects and reaches succeeded', async (endpoint, request, body, facts) => {
    const submitted = await h.submit(key, request);
    expect(submitted.status).toBe(200);
    const sent = lastSent();
    expect(sent.endpoint).toBe(endpoint);
    expect(sent.body).toMatchObject(body);
    const done = await h.waitForEnd(key, submitted.body.task_id);
    expect(done.body.status).toBe('succeeded');
    expect(done.body.metadata).toMatchObject(facts);
  });

  it('refuses what Vidu cannot take with a 400 naming the field, before calling Vidu', async () => {
    const before = h.sim.world.requests('vidu', 'submit');
    const res = await h.submit(key, { model: 'viduq1', prompt: 'a cat', size: '1280x720' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ param: 'size', type: 'invalid_request_error' });
    expect(res.body.message).toMatch(/1080p/);
    expect(h.sim.world.requests('vidu', 'submit')).toBe(before);
  });

  it('keeps polling through rate limits and server errors, and the task still succeeds', async () => {
    h.sim.world.inject('vidu', 'poll', { type: 'rate_limit' }, 2);
    h.sim.world.inject('vidu', 'poll', { type: 'http_error', status: 502 });
    const polls = h.sim.world.requests('vidu', 'poll');
    const submitted = await h.submit(key, { model: 'viduq1', prompt: 'a cat' });
    const done = await h.waitForEnd(key, submitted.body.task_id);
    expect(done.body.status).toBe('succeeded');
    expect(h.sim.world.requests('vidu', 'poll') - polls).toBeGreaterThanOrEqual(4);
  });

  it('moves a rate-limited or failing submit on to the next Vidu channel', async () => {
    await channelsFor('vidu-failover', [{ priority: 10 }, { priority: 0 }]);
    h.sim.world.inject('vidu', 'submit', { type: 'rate_limit' });
    const before = h.sim.world.requests('vidu', 'submit');
    const submitted = await h.submit(key, { model: 'vidu-failover', prompt: 'a cat' });
    expect(submitted.status).toBe(200);
    expect(h.sim.world.requests('vidu', 'submit') - before).toBe(2);
    expect((await h.waitForEnd(key, submitted.body.task_id)).body.status).toBe('succeeded');

    h.sim.world.inject('vidu', 'submit', { type: 'http_error', status: 500 }, 2);
    const unavailable = await h.submit(key, { model: 'vidu-failover', prompt: 'a cat' });
    expect(unavailable.status).toBe(503);
  });

  it("gives the client Vidu's content-safety refusal as a 400, without trying another channel", async () => {
    await channelsFor('vidu-safety', [{ priority: 10 }, { priority: 0 }]);
    h.sim.world.inject('vidu', 'submit', { type: 'content_safety' });
    const before = h.sim.world.requests('vidu', 'submit');
    const res = await h.submit(key, { model: 'vidu-safety', prompt: 'something unsafe' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'content_policy_violation', type: 'invalid_request_error' });
    expect(res.body.message).toMatch(/AuditSubmitIllegal/);
    expect(h.sim.world.requests('vidu', 'submit') - before).toBe(1);
  });

  it('disables a channel whose API key Vidu refuses, and answers 502 without leaking the key', async () => {
    const [channelId] = await channelsFor('vidu-badkey', [{ credentials: { api_key: 'revoked-key-123' } }]);
    const res = await h.submit(key, { model: 'vidu-badkey', prompt: 'a cat' });
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ code: 'upstream_account_error', type: 'upstream_error' });
    expect(JSON.stringify(res.body)).not.toContain('revoked-key-123');
    const channel = await h.admin('GET', `/channels/${channelId}`);
    expect(channel.body).toMatchObject({
      enabled: false,
      disabled_reason: expect.stringContaining('Unauthorized'),
    });
    expect((await h.submit(key, { model: 'vidu-badkey', prompt: 'a cat' })).status).toBe(503);
  });

  it("fails a task Vidu fails, explaining Vidu's err_code", async () => {
    h.sim.world.inject('vidu', 'submit', { type: 'task_fails', reason: 'TaskPromptPolicyViolation' });
    const submitted = await h.submit(key, { model: 'viduq1', prompt: 'a cat' });
    const done = await h.waitForEnd(key, submitted.body.task_id);
    expect(done.body).toMatchObject({ status: 'failed', url: null });
    expect(done.body.error).toEqual({
      code: 'content_policy_violation',
      message:
        "Vidu could not generate the video: the prompt was blocked by Vidu's content policy (err_code TaskPromptPolicyViolation)",
    });
  });

  it('never hands Vidu a callback_url', () => {
    expect(viduTasks().length).toBeGreaterThan(0);
    for (const task of viduTasks()) expect(task.request.body).not.toHaveProperty('callback_url');
  });
});
