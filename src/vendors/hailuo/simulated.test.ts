/** The MiniMax adapter against the MiniMax simulator, over real HTTP, as core/jobs.ts drives them. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { driveAdapter, videoJob, type AdapterDriver } from '../../../test/support/adapters.js';
import { expectDownloadableMp4 } from '../../../test/support/media.js';
import { brokeHailuoAccount, defaultHailuoAccount } from '../../simulator/hailuo.js';
import { startSimulator, type RunningSimulator } from '../../simulator/server.js';
import { hailuoAdapter } from './adapter.js';
import { hailuoModelRules } from './types.js';

const first = { kind: 'url', url: 'https://example.com/first.png' } as const;

describe('MiniMax adapter against the simulator', () => {
  let sim: RunningSimulator;
  let minimax: AdapterDriver;

  beforeAll(async () => {
    sim = await startSimulator({ taskDurationMs: 60_000 });
    minimax = driveAdapter(hailuoAdapter, sim, defaultHailuoAccount);
  });
  afterAll(async () => {
    await minimax.close();
    await sim.close();
  });
  beforeEach(() => sim.world.reset());

  it.each(Object.entries(hailuoModelRules))('has %s accepted with its defaults', async (model, rule) => {
    const job = rule.textResolutions.length > 0 ? videoJob(model) : videoJob(model, { image: first });
    expect((await minimax.submit(job)).kind).toBe('accepted');
  });

  it('reads Preparing, Queueing, Processing, then follows Success to a downloadable file', async () => {
    const { id } = await minimax.accepted(videoJob('MiniMax-Hailuo-02'));
    expect(await minimax.poll(id)).toEqual({ kind: 'processing', queued: true, progress: null });
    minimax.advance(id, 0.15);
    expect(await minimax.poll(id)).toEqual({ kind: 'processing', queued: true, progress: null });
    minimax.advance(id, 0.5);
    expect(await minimax.poll(id)).toEqual({ kind: 'processing', queued: false, progress: null });
    minimax.advance(id, 1);
    const retrieves = sim.world.requests('hailuo', 'retrieve');
    const done = await minimax.poll(id);
    if (done.kind !== 'succeeded') throw new Error(JSON.stringify(done));
    expect(sim.world.requests('hailuo', 'retrieve')).toBe(retrieves + 1);
    await expectDownloadableMp4(done.url);
  });

  it.each([
    ['1027', 'content_policy_violation'],
    ['the render farm is on strike', 'generation_failed'],
  ])('fails a task MiniMax fails (%s), with its reason', async (reason, code) => {
    sim.world.inject('hailuo', 'submit', { type: 'task_fails', reason });
    const { id } = await minimax.accepted(videoJob('MiniMax-Hailuo-02'));
    minimax.advance(id, 1);
    expect(await minimax.poll(id)).toEqual({
      kind: 'failed',
      code,
      message: expect.stringContaining('MiniMax could not generate'),
    });
  });

  it.each([
    ['rate limit (1002)', 'retry_later', { type: 'rate_limit' } as const],
    ['gateway error', 'retry_later', { type: 'http_error', status: 502 } as const],
    ['garbage', 'retry_later', { type: 'garbage' } as const],
    ['refused credentials (1004)', 'channel_broken', { type: 'auth_error' } as const],
    ['sensitive input (1026)', 'rejected', { type: 'content_safety' } as const],
  ])('reads a %s at submit as %s', async (_, kind, fault) => {
    sim.world.inject('hailuo', 'submit', fault);
    expect((await minimax.submit(videoJob('MiniMax-Hailuo-02'))).kind).toBe(kind);
  });

  it('reads an account without balance (1008) and a wrong key as a broken channel', async () => {
    expect(await minimax.submit(videoJob('MiniMax-Hailuo-02'), brokeHailuoAccount)).toEqual({
      kind: 'channel_broken',
      message: 'MiniMax 1008: insufficient balance',
    });
    expect((await minimax.submit(videoJob('MiniMax-Hailuo-02'), { api_key: 'wrong' })).kind).toBe(
      'channel_broken',
    );
    const { id } = await minimax.accepted(videoJob('MiniMax-Hailuo-02'));
    expect((await minimax.poll(id, {}, { api_key: 'wrong' })).kind).toBe('channel_broken');
  });

  it('rejects a body MiniMax refuses (2013), with its message', async () => {
    const call = hailuoAdapter.prepareSubmit(videoJob('MiniMax-Hailuo-02')).call;
    const answer = await minimax.send({ ...call, body: { ...(call.body as object), resolution: '4K' } });
    expect(hailuoAdapter.readSubmit(answer)).toEqual({
      kind: 'rejected',
      code: 'vendor_invalid_request',
      message: expect.stringContaining('MiniMax 2013'),
    });
  });

  it.each([
    ['rate limit', { type: 'rate_limit' } as const],
    ['gateway error', { type: 'http_error', status: 503 } as const],
    ['garbage', { type: 'garbage' } as const],
  ])('reads a %s while polling or retrieving as worth another try', async (_, fault) => {
    const { id } = await minimax.accepted(videoJob('MiniMax-Hailuo-02'));
    sim.world.inject('hailuo', 'poll', fault);
    expect((await minimax.poll(id)).kind).toBe('retry_later');
    minimax.advance(id, 1);
    sim.world.inject('hailuo', 'poll', fault);
    expect((await minimax.poll(id)).kind).toBe('retry_later');
    expect((await minimax.poll(id)).kind).toBe('succeeded');
  });

  it('fails a task MiniMax does not know', async () => {
    expect(await minimax.poll('123456789012345')).toMatchObject({ kind: 'failed', code: 'vendor_task_lost' });
  });
});
