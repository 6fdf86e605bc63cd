/** Vertex AI through the gateway: OAuth tokens from the channel's service account, refreshed as they expire. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../../../test/support/harness.js';
import { expectDownloadableMp4 } from '../../../test/support/media.js';
import { setVertexTokenLifetime } from '../../simulator/vertex.js';

describe.each(testDatabases())('Vertex AI through the gateway on %s', (database) => {
  let h: Harness;
  let key: string;

  beforeAll(async () => {
    h = await Harness.start({ database });
    await h.channel('vertex');
    key = (await h.user()).key;
  });
  afterAll(() => h.close());

  it('mints one token for every call while it lasts', async () => {
    const tokens = h.sim.world.requests('vertex', 'token');
    for (const prompt of ['a', 'b']) {
      const submitted = await h.submit(key, { model: 'veo-3.1-generate-preview', prompt });
      expect((await h.waitForEnd(key, submitted.body.task_id)).body.status).toBe('succeeded');
    }
    expect(h.sim.world.requests('vertex', 'token') - tokens).toBeLessThanOrEqual(1);
  });

  it('finishes a task that outlives several short-lived tokens, minting each before the last expires', async () => {
    setVertexTokenLifetime(h.sim.world, 1);
    // A channel of its own: the first channel's account holds an hour-long token already.
    await h.channel('vertex', {
      models: ['vertex-short-tokens'],
      model_mapping: { 'vertex-short-tokens': 'veo-3.1-generate-preview' },
    });
    const tokens = h.sim.world.requests('vertex', 'token');
    const submitted = await h.submit(key, { model: 'vertex-short-tokens', prompt: 'a slow sunrise' });
    expect(submitted.status).toBe(200);
    // Three seconds of generation: three token lifetimes.
    const task = [...h.sim.world.tasks.values()].filter((t) => t.vendor === 'vertex').at(-1)!;
    task.durationMs = 3000;
    const done = await h.waitForEnd(key, submitted.body.task_id);
    expect(done.body.status).toBe('succeeded');
    await expectDownloadableMp4(done.body.url);
    expect(h.sim.world.requests('vertex', 'token') - tokens).toBeGreaterThanOrEqual(3);
    // No call ever went out with an expired token.
    expect(h.sim.world.requests('vertex', 'unauthenticated')).toBe(0);
  });
});
