/** Luma through the gateway: Luma is given Reelay's callback URL and its final update brings the result at once. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../../../test/support/harness.js';

describe.each(testDatabases())('Luma callbacks through the gateway on %s', (database) => {
  let h: Harness;
  let key: string;

  beforeAll(async () => {
    // Slow polls: a result seen promptly came by the callback.
    h = await Harness.start({
      database,
      publicUrl: true,
      config: { POLL_INITIAL_DELAY_MS: 20_000, POLL_MAX_DELAY_MS: 20_000 },
    });
    await h.channel('luma');
    key = (await h.user()).key;
  });
  afterAll(() => h.close());

  it("hands Luma Reelay's own callback URL (never the client's) and ends the task when Luma calls back", async () => {
    const submitted = await h.submit(key, {
      model: 'ray-2',
      prompt: 'a cat',
      callback_url: 'https://client.example.com/hook',
    });
    expect(submitted.status).toBe(200);
    const sent = [...h.sim.world.tasks.values()].filter((t) => t.vendor === 'luma').at(-1)!.request.body as {
      callback_url: string;
    };
    expect(sent.callback_url.startsWith(h.url)).toBe(true);
    const done = await h.waitForEnd(key, submitted.body.task_id, 10_000);
    expect(done.body.status).toBe('succeeded');
    expect(h.sim.world.requests('luma', 'callback')).toBeGreaterThanOrEqual(2);
  });
});
