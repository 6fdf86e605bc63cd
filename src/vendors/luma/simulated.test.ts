/** The Luma adapter against the Luma simulator, over real HTTP, as the engine drives them. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCallbackReceiver } from '../../../test/support/callbacks.js';
import { drive, imageUrl, jobOf } from '../../../test/support/west.js';
import { defaultLumaAccount } from '../../simulator/luma.js';
import { startSimulator, type RunningSimulator } from '../../simulator/server.js';
import { Wire } from '../wire.js';
import { lumaAdapter } from './adapter.js';

describe('Luma adapter against the simulator', () => {
  let sim: RunningSimulator;
  const wire = new Wire();

  beforeAll(async () => {
    sim = await startSimulator({ taskDurationMs: 60_000 });
  });
  afterAll(async () => {
    await sim.close();
    await wire.close();
  });
  beforeEach(() => sim.world.reset());

  const luma = () => drive(lumaAdapter, sim, wire, () => defaultLumaAccount);
  const job = jobOf({ upstreamModel: 'ray-2', image: { kind: 'url', url: imageUrl } });

  it('reads every state a generation moves through: queued, dreaming, completed with its video and cover', async () => {
    const d = luma();
    const id = await d.accepted(job);
    expect(await d.poll(id)).toEqual({ kind: 'processing', queued: true, progress: null });
    d.advance(id, 0.5);
    expect(await d.poll(id)).toEqual({ kind: 'processing', queued: false, progress: null });
    d.advance(id, 1);
    const done = await d.poll(id);
    if (done.kind !== 'succeeded') throw new Error(JSON.stringify(done));
    expect((await fetch(done.url)).headers.get('content-type')).toBe('video/mp4');
    expect((await fetch(done.coverUrl!)).headers.get('content-type')).toBe('image/jpeg');
  });

  it('reads a failed generation with its failure_reason, moderation as a content-policy failure', async () => {
    const d = luma();
    sim.world.inject('luma', 'submit', { type: 'task_fails', reason: 'Prompt moderation failed' });
    const moderated = await d.accepted(job);
    d.advance(moderated, 1);
    expect(await d.poll(moderated)).toMatchObject({ kind: 'failed', code: 'content_policy_violation' });
    sim.world.inject('luma', 'submit', { type: 'task_fails', reason: 'Generation timed out' });
    const failed = await d.accepted(job);
    d.advance(failed, 1);
    expect(await d.poll(failed)).toEqual({
      kind: 'failed',
      code: 'generation_failed',
      message: 'Luma could not generate the video: Generation timed out',
    });
    expect(await d.poll('00000000-0000-0000-0000-000000000000')).toMatchObject({ code: 'vendor_task_lost' });
  });

  it('reads a refused key as a broken channel, a rate limit as retry later, moderation as rejected', async () => {
    const d = luma();
    sim.world.inject('luma', 'submit', { type: 'auth_error' });
    expect(await d.submit(job)).toMatchObject({ kind: 'channel_broken' });
    sim.world.inject('luma', 'submit', { type: 'rate_limit' });
    expect(await d.submit(job)).toMatchObject({ kind: 'retry_later', retryAfterMs: 1000 });
    sim.world.inject('luma', 'submit', { type: 'content_safety' });
    expect(await d.submit(job)).toMatchObject({ kind: 'rejected', code: 'content_policy_violation' });
  });

  it("gives Luma Reelay's callback URL; Luma's updates while dreaming bring no poll, the last one does", async () => {
    const receiver = await startCallbackReceiver();
    try {
      sim.world.options.taskDurationMs = 200;
      const d = luma();
      await d.accepted({ ...job, vendorCallbackUrl: receiver.url });
      const [dreaming, completed] = await receiver.waitFor(2);
      expect(dreaming).toMatchObject({ state: 'dreaming' });
      expect(lumaAdapter.callbackWorthAPoll!(dreaming)).toBe(false);
      expect(completed).toMatchObject({
        state: 'completed',
        assets: { video: expect.stringMatching(/\.mp4$/) },
      });
      expect(lumaAdapter.callbackWorthAPoll!(completed)).toBe(true);
    } finally {
      sim.world.options.taskDurationMs = 60_000;
      await receiver.close();
    }
  });
});
