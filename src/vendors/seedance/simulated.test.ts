/** The Seedance adapter against the Seedance simulator, over real HTTP, as core/jobs.ts drives them. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { driveAdapter, videoJob, type AdapterDriver } from '../../../test/support/adapters.js';
import { expectDownloadableMp4 } from '../../../test/support/media.js';
import { defaultSeedanceAccount, overdueSeedanceAccount } from '../../simulator/seedance.js';
import { startSimulator, type RunningSimulator } from '../../simulator/server.js';
import { seedanceAdapter } from './adapter.js';
import { seedanceModelRules } from './types.js';

const first = 'https://example.com/first.png';

describe('Seedance adapter against the simulator', () => {
  let sim: RunningSimulator;
  let ark: AdapterDriver;

  beforeAll(async () => {
    // Long tasks: each test moves a task through its stages by backdating it.
    sim = await startSimulator({ taskDurationMs: 60_000 });
    ark = driveAdapter(seedanceAdapter, sim, defaultSeedanceAccount);
  });
  afterAll(async () => {
    await ark.close();
    await sim.close();
  });
  beforeEach(() => sim.world.reset());

  const job = videoJob;

  it.each(Object.entries(seedanceModelRules))('has %s accepted with its defaults', async (model, rule) => {
    const request = rule.textToVideo ? job(model) : job(model, { image: { kind: 'url', url: first } });
    expect((await ark.submit(request)).kind).toBe('accepted');
  });

  it('reads queued, running and succeeded, with what Ark says it produced', async () => {
    const { id } = await ark.accepted(
      job('doubao-seedance-1-0-pro-250528', { width: 1280, height: 720, seed: 9 }),
    );
    expect(id).toMatch(/^cgt-\d{14}-\w{5}$/);
    expect(await ark.poll(id)).toEqual({ kind: 'processing', queued: true, progress: null });
    ark.advance(id, 0.5);
    expect(await ark.poll(id)).toEqual({ kind: 'processing', queued: false, progress: null });
    ark.advance(id, 1);
    const done = await ark.poll(id);
    if (done.kind !== 'succeeded') throw new Error(JSON.stringify(done));
    expect(done.facts).toEqual({
      durationSeconds: 5,
      fps: 24,
      seed: 9,
      shortSide: 720,
      width: 1280,
      height: 720,
    });
    await expectDownloadableMp4(done.url);
  });

  it("fails a task Ark fails, with Ark's reason, content safety named as such", async () => {
    sim.world.inject('seedance', 'submit', {
      type: 'task_fails',
      reason: 'OutputVideoSensitiveContentDetected',
    });
    const { id } = await ark.accepted(job('doubao-seedance-1-0-pro-250528'));
    ark.advance(id, 1);
    expect(await ark.poll(id)).toEqual({
      kind: 'failed',
      code: 'content_policy_violation',
      message: expect.stringContaining('OutputVideoSensitiveContentDetected'),
    });
    sim.world.inject('seedance', 'submit', { type: 'task_fails', reason: 'the GPU caught fire' });
    const other = await ark.accepted(job('doubao-seedance-1-0-pro-250528'));
    ark.advance(other.id, 1);
    expect(await ark.poll(other.id)).toEqual({
      kind: 'failed',
      code: 'generation_failed',
      message: expect.stringContaining('the GPU caught fire'),
    });
  });

  it('fails a task Ark let expire before it ran', async () => {
    sim.world.inject('seedance', 'submit', { type: 'task_never_ends' });
    const { id } = await ark.accepted(
      job('doubao-seedance-1-0-pro-250528', { metadata: { execution_expires_after: 3600 } }),
    );
    sim.world.tasks.get(id)!.createdAt = Date.now() - 3601_000;
    expect(await ark.poll(id)).toMatchObject({ kind: 'failed', code: 'vendor_task_expired' });
  });

  it('cancels a queued task, and says why a running one cannot be', async () => {
    const cancel = async (id: string) =>
      seedanceAdapter.readCancel!(await ark.send(seedanceAdapter.prepareCancel!(id, {})));
    const queued = await ark.accepted(job('doubao-seedance-1-0-pro-250528'));
    expect(await cancel(queued.id)).toEqual({ kind: 'cancelled' });
    expect(await ark.poll(queued.id)).toMatchObject({ kind: 'failed', code: 'cancelled' });

    const running = await ark.accepted(job('doubao-seedance-1-0-pro-250528'));
    ark.advance(running.id, 0.5);
    expect(await cancel(running.id)).toEqual({
      kind: 'not_cancellable',
      reason: expect.stringContaining('running'),
    });
    expect(await ark.poll(running.id)).toMatchObject({ kind: 'processing', queued: false });
  });

  it.each([
    ['rate limit', 'retry_later', { type: 'rate_limit' } as const],
    ['server error', 'retry_later', { type: 'http_error', status: 500 } as const],
    ['garbage', 'retry_later', { type: 'garbage' } as const],
    ['refused credentials', 'channel_broken', { type: 'auth_error' } as const],
    ['content-safety refusal', 'rejected', { type: 'content_safety' } as const],
  ])('reads a %s at submit as %s', async (_, kind, fault) => {
    sim.world.inject('seedance', 'submit', fault);
    expect((await ark.submit(job('doubao-seedance-1-0-pro-250528'))).kind).toBe(kind);
  });

  it("names Ark's content-safety code and reads an account in arrears as a broken channel", async () => {
    sim.world.inject('seedance', 'submit', { type: 'content_safety' });
    expect(await ark.submit(job('doubao-seedance-1-0-pro-250528'))).toEqual({
      kind: 'rejected',
      code: 'content_policy_violation',
      message: expect.stringContaining('InputTextSensitiveContentDetected'),
    });
    expect(await ark.submit(job('doubao-seedance-1-0-pro-250528'), overdueSeedanceAccount)).toEqual({
      kind: 'channel_broken',
      message: expect.stringContaining('AccountOverdueError'),
    });
  });

  it("rejects a body Ark refuses, with Ark's code", async () => {
    const call = seedanceAdapter.prepareSubmit(job('doubao-seedance-1-0-pro-250528')).call;
    const answer = await ark.send({ ...call, body: { ...(call.body as object), resolution: '2k' } });
    expect(seedanceAdapter.readSubmit(answer)).toEqual({
      kind: 'rejected',
      code: 'vendor_invalid_request',
      message: expect.stringContaining('InvalidParameter'),
    });
  });

  it('reads a wrong API key as a broken channel while polling', async () => {
    const { id } = await ark.accepted(job('doubao-seedance-1-0-pro-250528'));
    expect((await ark.poll(id, {}, { api_key: 'wrong' })).kind).toBe('channel_broken');
  });

  it.each([
    ['rate limit', { type: 'rate_limit' } as const],
    ['server error', { type: 'http_error', status: 503 } as const],
    ['garbage answer', { type: 'garbage' } as const],
  ])('reads a %s while polling as worth another try', async (_, fault) => {
    const { id } = await ark.accepted(job('doubao-seedance-1-0-pro-250528'));
    sim.world.inject('seedance', 'poll', fault);
    expect((await ark.poll(id)).kind).toBe('retry_later');
    expect((await ark.poll(id)).kind).toBe('processing');
  });

  it('fails a task Ark no longer knows', async () => {
    expect(await ark.poll('cgt-20250101000000-abcde')).toEqual({
      kind: 'failed',
      code: 'vendor_task_lost',
      message: 'Seedance no longer knows this task',
    });
  });
});
