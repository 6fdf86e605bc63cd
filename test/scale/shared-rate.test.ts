/**
 * A channel's `max_rps` holds across instances on one PostgreSQL: two gateways each submitting at once start the
 * vendor calls one interval apart in all, not one interval apart each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../support/harness.js';

describe.skipIf(!testDatabases().includes('postgres'))('a rate limit shared by two instances', () => {
  let a: Harness;
  let b: Harness;

  // No polls while the submits go out: only submits take the channel's starts.
  const config = { POLL_INITIAL_DELAY_MS: 30_000 };

  beforeAll(async () => {
    a = await Harness.start({ database: 'postgres', config });
    b = await Harness.start({ database: 'postgres', config, reuse: a });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('spaces 10 submits through two instances at max_rps 5 over at least 1.8 s', async () => {
    await a.channel('kling', { max_rps: 5 });
    const { key } = await a.user();
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => [a, b][i % 2]!.submit(key, { model: 'kling-v1', prompt: `${i}` })),
    );
    expect(answers.map((r) => r.status)).toEqual(answers.map(() => 200));
    // Five per instance at 5 per second each would all start within 0.8 s; shared, the tenth starts 9 × 200 ms on.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_800);
    expect(a.sim.world.requests('kling', 'submit')).toBe(10);
  });
});
