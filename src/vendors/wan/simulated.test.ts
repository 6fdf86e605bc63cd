/** The Wan adapter against the DashScope simulator, over real HTTP, as core/jobs.ts drives them. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { driveAdapter, videoJob, type AdapterDriver } from '../../../test/support/adapters.js';
import { expectDownloadableMp4 } from '../../../test/support/media.js';
import { startSimulator, type RunningSimulator } from '../../simulator/server.js';
import { arrearsWanAccount, defaultWanAccount } from '../../simulator/wan.js';
import { wanAdapter } from './adapter.js';
import { wanModelRules } from './types.js';

const first = { kind: 'url', url: 'https://example.com/first.png' } as const;

describe('Wan adapter against the simulator', () => {
  let sim: RunningSimulator;
  let dashscope: AdapterDriver;

  beforeAll(async () => {
    sim = await startSimulator({ taskDurationMs: 60_000 });
    dashscope = driveAdapter(wanAdapter, sim, defaultWanAccount);
  });
  afterAll(async () => {
    await dashscope.close();
    await sim.close();
  });
  beforeEach(() => sim.world.reset());

  it.each(Object.entries(wanModelRules))('has %s accepted with its defaults', async (model, rule) => {
    const metadata = rule.kind === 'kf2v' ? { last_frame_url: 'https://example.com/last.png' } : {};
    const job = videoJob(model, { image: rule.kind === 't2v' ? null : first, metadata });
    expect((await dashscope.submit(job)).kind).toBe('accepted');
  });

  it('reads PENDING, RUNNING and SUCCEEDED, with what DashScope says it made', async () => {
    const { id } = await dashscope.accepted(
      videoJob('wan2.5-i2v-preview', { image: first, metadata: { resolution: '720P' } }),
    );
    expect(await dashscope.poll(id)).toEqual({ kind: 'processing', queued: true, progress: null });
    dashscope.advance(id, 0.5);
    expect(await dashscope.poll(id)).toEqual({ kind: 'processing', queued: false, progress: null });
    dashscope.advance(id, 1);
    const done = await dashscope.poll(id);
    if (done.kind !== 'succeeded') throw new Error(JSON.stringify(done));
    expect(done.facts).toEqual({ durationSeconds: 5, shortSide: 720 });
    await expectDownloadableMp4(done.url);
  });

  it('reads wan2.2 usage (video_duration)', async () => {
    const { id } = await dashscope.accepted(videoJob('wan2.2-t2v-plus'));
    dashscope.advance(id, 1);
    expect(await dashscope.poll(id)).toMatchObject({ kind: 'succeeded', facts: { durationSeconds: 5 } });
  });

  it.each([
    ['DataInspectionFailed', 'content_policy_violation'],
    ['the model wandered off', 'generation_failed'],
  ])('fails a task DashScope fails (%s), with its code and message', async (reason, code) => {
    sim.world.inject('wan', 'submit', { type: 'task_fails', reason });
    const { id } = await dashscope.accepted(videoJob('wan2.2-t2v-plus'));
    dashscope.advance(id, 1);
    expect(await dashscope.poll(id)).toEqual({
      kind: 'failed',
      code,
      message: expect.stringContaining('Wan could not generate'),
    });
  });

  it('fails a task DashScope no longer knows (UNKNOWN after 24 hours)', async () => {
    const { id } = await dashscope.accepted(videoJob('wan2.2-t2v-plus'));
    sim.world.tasks.get(id)!.createdAt = Date.now() - 25 * 3600 * 1000;
    expect(await dashscope.poll(id)).toEqual({
      kind: 'failed',
      code: 'vendor_task_lost',
      message: 'DashScope no longer knows this task',
    });
  });

  it.each([
    ['rate limit', 'retry_later', { type: 'rate_limit' } as const],
    ['server error', 'retry_later', { type: 'http_error', status: 500 } as const],
    ['garbage', 'retry_later', { type: 'garbage' } as const],
    ['refused API key', 'channel_broken', { type: 'auth_error' } as const],
    ['content-safety refusal', 'rejected', { type: 'content_safety' } as const],
  ])('reads a %s at submit as %s', async (_, kind, fault) => {
    sim.world.inject('wan', 'submit', fault);
    expect((await dashscope.submit(videoJob('wan2.2-t2v-plus'))).kind).toBe(kind);
  });

  it('reads Arrearage (an HTTP 400) and a wrong key as a broken channel', async () => {
    expect(await dashscope.submit(videoJob('wan2.2-t2v-plus'), arrearsWanAccount)).toEqual({
      kind: 'channel_broken',
      message: expect.stringContaining('Wan Arrearage'),
    });
    const { id } = await dashscope.accepted(videoJob('wan2.2-t2v-plus'));
    expect((await dashscope.poll(id, {}, { api_key: 'sk-wrong' })).kind).toBe('channel_broken');
  });

  it("rejects a body DashScope refuses, with DashScope's code", async () => {
    const call = wanAdapter.prepareSubmit(videoJob('wan2.2-t2v-plus')).call;
    const body = call.body as { parameters: object };
    const answer = await dashscope.send({
      ...call,
      body: { ...body, parameters: { ...body.parameters, size: '1280x720' } },
    });
    expect(wanAdapter.readSubmit(answer)).toEqual({
      kind: 'rejected',
      code: 'vendor_invalid_request',
      message: expect.stringContaining('Wan InvalidParameter'),
    });
  });

  it.each([
    ['rate limit', { type: 'rate_limit' } as const],
    ['server error', { type: 'http_error', status: 503 } as const],
    ['garbage', { type: 'garbage' } as const],
  ])('reads a %s while polling as worth another try', async (_, fault) => {
    const { id } = await dashscope.accepted(videoJob('wan2.2-t2v-plus'));
    sim.world.inject('wan', 'poll', fault);
    expect((await dashscope.poll(id)).kind).toBe('retry_later');
    expect((await dashscope.poll(id)).kind).toBe('processing');
  });
});
