/**
 * A submit that outlasts SUBMIT_LEASE_MS on a live instance (the vendor slow to take the request) keeps its
 * lease: recovery never sends the job a second time, so each upstream task is started exactly once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../../test/support/harness.js';

describe.each(testDatabases())('a submit slower than its lease on %s', (database) => {
  const harnesses: Harness[] = [];
  afterEach(async () => {
    for (const h of harnesses.reverse()) await h.close();
    harnesses.length = 0;
  });

  async function start() {
    // The lease is short, the vendor slower than three leases: without renewal, recovery would step in.
    const h = await Harness.start({ database, config: { SUBMIT_LEASE_MS: 600, VENDOR_TIMEOUT_MS: 10_000 } });
    harnesses.push(h);
    return h;
  }

  it.each([
    // Kling would refuse the second send's external_task_id, or the first's if the second came first.
    ['kling', 'kling-v1'],
    // Vidu cannot be asked by Reelay's id: recovery would have failed the job as interrupted.
    ['vidu', 'viduq1'],
  ])('starts a %s task once and it succeeds', async (vendor, model) => {
    const h = await start();
    await h.channel(vendor);
    const { key } = await h.user();
    h.sim.world.inject(vendor, 'submit', { type: 'slow_intake', delayMs: 2_000 });

    const res = await h.submit(key, { model, prompt: 'a slow vendor' });
    expect(res.status).toBe(200);
    const done = await h.waitForEnd(key, res.body.task_id);
    expect(done.body.status).toBe('succeeded');
    expect(h.sim.world.requests(vendor, 'submit')).toBe(1);
    expect(h.sim.world.tasks.size).toBe(1);
  });
});
