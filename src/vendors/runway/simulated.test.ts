/** The Runway adapter against the Runway simulator, over real HTTP, as the engine drives them. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { drive, jobOf } from '../../../test/support/west.js';
import { defaultRunwayAccount } from '../../simulator/runway.js';
import { startSimulator, type RunningSimulator } from '../../simulator/server.js';
import { Wire } from '../wire.js';
import { runwayAdapter } from './adapter.js';

describe('Runway adapter against the simulator', () => {
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

  const runway = () => drive(runwayAdapter, sim, wire, () => defaultRunwayAccount);
  const job = jobOf({ upstreamModel: 'gen4.5' });
  const cancel = async (id: string) =>
    runwayAdapter.readCancel!(await runway().send(runwayAdapter.prepareCancel!(id, {})));

  it('reads every status a task moves through: PENDING, THROTTLED, RUNNING with progress, SUCCEEDED', async () => {
    const d = runway();
    const id = await d.accepted(job);
    expect(await d.poll(id)).toEqual({ kind: 'processing', queued: true, progress: null }); // PENDING
    d.advance(id, 0.1);
    expect(await d.poll(id)).toEqual({ kind: 'processing', queued: true, progress: null }); // THROTTLED
    d.advance(id, 0.5);
    expect(await d.poll(id)).toEqual({ kind: 'processing', queued: false, progress: 50 }); // RUNNING
    d.advance(id, 1);
    const done = await d.poll(id);
    if (done.kind !== 'succeeded') throw new Error(JSON.stringify(done));
    expect((await fetch(done.url)).headers.get('content-type')).toBe('video/mp4');
  });

  it.each([
    ['SAFETY.INPUT.IMAGE', 'content_policy_violation'],
    ['SAFETY.OUTPUT.VIDEO', 'content_policy_violation'],
    ['ASSET.INVALID', 'invalid_input'],
    ['INTERNAL.BAD_OUTPUT.CODE01', 'generation_failed'],
  ])('reads a task FAILED with failureCode %s as %s', async (failureCode, code) => {
    const d = runway();
    sim.world.inject('runway', 'submit', { type: 'task_fails', reason: failureCode });
    const id = await d.accepted(job);
    d.advance(id, 1);
    expect(await d.poll(id)).toEqual({ kind: 'failed', code, message: expect.stringContaining(failureCode) });
  });

  it('cancels a running task (CANCELLED after), and cannot cancel one Runway no longer knows', async () => {
    const d = runway();
    const id = await d.accepted(job);
    d.advance(id, 0.5);
    expect(await cancel(id)).toEqual({ kind: 'cancelled' });
    expect(await d.poll(id)).toMatchObject({ kind: 'failed', code: 'cancelled' });
    // A second DELETE deletes the ended task; after it Runway knows it no more.
    expect(await cancel(id)).toEqual({ kind: 'cancelled' });
    expect(await d.poll(id)).toMatchObject({ kind: 'failed', code: 'vendor_task_lost' });
    expect(await cancel(id)).toMatchObject({ kind: 'not_cancellable' });
  });

  it('reads a refused key as a broken channel, a rate limit as retry later, and a bad body as rejected', async () => {
    const d = runway();
    sim.world.inject('runway', 'submit', { type: 'auth_error' });
    expect(await d.submit(job)).toMatchObject({ kind: 'channel_broken' });
    sim.world.inject('runway', 'submit', { type: 'rate_limit' });
    expect(await d.submit(job)).toMatchObject({ kind: 'retry_later', retryAfterMs: 1000 });
    const answer = await d.send({ method: 'POST', path: '/v1/text_to_video', body: { model: 'gen4_turbo' } });
    expect(runwayAdapter.readSubmit(answer)).toMatchObject({
      kind: 'rejected',
      code: 'vendor_invalid_request',
    });
  });

  it('is refused without the X-Runway-Version header', async () => {
    const signed = await runwayAdapter.sign(
      runwayAdapter.preparePoll('x', {}),
      sim.baseUrl('runway'),
      defaultRunwayAccount,
      wire,
    );
    const { 'x-runway-version': _version, ...headers } = signed.headers;
    expect((await wire.send({ ...signed, headers })).status).toBe(400);
  });
});
