/**
 * Per-key limits: submits per minute (`rpm`) and tasks processing at once (`max_concurrent_tasks`), set through the
 * admin API and enforced by the database, so instances sharing one enforce a single limit. Free models included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../support/harness.js';

describe.each(testDatabases())('per-key limits on %s', (database) => {
  let h: Harness;
  let second: Harness;

  beforeAll(async () => {
    h = await Harness.start({ database, simulator: { taskDurationMs: 1_500 } });
    // Another instance on the same database.
    second = await Harness.start({ reuse: h });
    await h.channel('kling');
  });
  afterAll(async () => {
    await second.stopGateway();
    await h.close();
  });

  it('are set and cleared through the admin API', async () => {
    const { userId, keyId } = await h.user({ rpm: 10, max_concurrent_tasks: 2 });
    const path = `/users/${userId}/keys/${keyId}`;
    const listed = (await h.admin('GET', `/users/${userId}/keys`)).body.data[0];
    expect(listed).toMatchObject({ rpm: 10, max_concurrent_tasks: 2 });
    expect((await h.admin('PATCH', path, { rpm: null })).body).toMatchObject({
      rpm: null,
      max_concurrent_tasks: 2,
    });
    const bad = await h.admin('PATCH', path, { max_concurrent_tasks: 0 });
    expect(bad.status).toBe(400);
    expect(bad.body.param).toBe('max_concurrent_tasks');
  });

  it('refuse submits beyond rpm with a 429 and Retry-After on both surfaces, across instances', async () => {
    const { key } = await h.user({ rpm: 5 });
    // 12 at once, spread over two instances: exactly 5 start.
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 ? second : h).submit(key, { model: 'kling-v1', prompt: `burst ${i}` }),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([...Array(5).fill(200), ...Array(7).fill(429)]);
    const refused = answers.find((a) => a.status === 429)!;
    expect(refused.body).toMatchObject({ type: 'rate_limit_error', code: 'key_rate_limited' });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);

    const openai = await h.http('POST', '/v1/videos', {
      token: key,
      body: { model: 'kling-v1', prompt: 'one more' },
    });
    expect(openai.status).toBe(429);
    expect(openai.body.error).toMatchObject({ type: 'rate_limit_error', code: 'key_rate_limited' });
    expect(openai.headers['retry-after']).toBeDefined();
    // Nothing was saved for the refused ones.
    expect((await h.http('GET', '/v1/videos', { token: key })).body.data).toHaveLength(5);
  });

  it('refuse a task beyond max_concurrent_tasks until one ends', async () => {
    const { key } = await h.user({ max_concurrent_tasks: 2 });
    const running = await Promise.all([
      h.submit(key, { model: 'kling-v1', prompt: 'first' }),
      second.submit(key, { model: 'kling-v1', prompt: 'second' }),
    ]);
    expect(running.map((r) => r.status)).toEqual([200, 200]);
    const third = await second.submit(key, { model: 'kling-v1', prompt: 'third' });
    expect(third.status).toBe(429);
    expect(third.body).toMatchObject({ code: 'key_concurrency_limited' });
    expect(third.headers['retry-after']).toBeDefined();

    await h.waitForEnd(key, running[0]!.body.task_id);
    const afterOneEnded = await h.submit(key, { model: 'kling-v1', prompt: 'third, again' });
    expect(afterOneEnded.status).toBe(200);
  });
});
