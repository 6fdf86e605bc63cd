/** The Vidu adapter against the Vidu simulator, over real HTTP, as core/jobs.ts drives them. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { first, last, pngBase64, prepareVidu } from '../../../test/support/vidu.js';
import { defaultViduAccount } from '../../simulator/vidu.js';
import { startSimulator, type RunningSimulator } from '../../simulator/server.js';
import type { VendorCall } from '../adapter.js';
import { Wire } from '../wire.js';
import { viduAdapter } from './adapter.js';
import { viduImageCounts, viduModelRules, type ViduEndpoint } from './types.js';

describe('Vidu adapter against the simulator', () => {
  let sim: RunningSimulator;
  const wire = new Wire();

  beforeAll(async () => {
    // Long tasks: each test moves a task through its stages by backdating it.
    sim = await startSimulator({ taskDurationMs: 60_000 });
  });
  afterAll(async () => {
    await sim.close();
    await wire.close();
  });
  beforeEach(() => sim.world.reset());

  const send = async (call: VendorCall, credentials = defaultViduAccount) =>
    wire.send(await viduAdapter.sign(call, sim.baseUrl('vidu'), credentials, wire));
  const submit = async (request: Record<string, unknown>, credentials = defaultViduAccount) =>
    viduAdapter.readSubmit(await send(prepareVidu(request).call, credentials));
  const poll = async (upstreamTaskId: string, credentials = defaultViduAccount) =>
    viduAdapter.readPoll(await send(viduAdapter.preparePoll(upstreamTaskId, {}), credentials), {});

  async function accepted(request: Record<string, unknown>): Promise<string> {
    const outcome = await submit(request);
    if (outcome.kind !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(outcome)}`);
    return outcome.upstreamTaskId;
  }

  /** Moves a simulated task to this fraction of its run time. */
  const advance = (upstreamTaskId: string, fraction: number) => {
    const task = sim.world.tasks.get(upstreamTaskId)!;
    task.createdAt = Date.now() - fraction * task.durationMs;
  };

  it('reads every state the simulator moves a task through', async () => {
    const id = await accepted({ model: 'viduq2', prompt: 'a cat' });
    expect(await poll(id)).toEqual({ kind: 'processing', queued: true, progress: null }); // created
    advance(id, 0.15);
    expect(await poll(id)).toEqual({ kind: 'processing', queued: true, progress: null }); // queueing
    advance(id, 0.5);
    expect(await poll(id)).toEqual({ kind: 'processing', queued: false, progress: null }); // processing
    advance(id, 1);
    const done = await poll(id);
    if (done.kind !== 'succeeded') throw new Error(JSON.stringify(done));
    expect((await fetch(done.url)).headers.get('content-type')).toBe('video/mp4');
    expect((await fetch(done.coverUrl!)).headers.get('content-type')).toBe('image/jpeg');
  });

  it.each([
    [
      'CreationPolicyViolation',
      'content_policy_violation',
      "the generated video was blocked by Vidu's content policy",
    ],
    [
      'TaskPromptPolicyViolation',
      'content_policy_violation',
      "the prompt was blocked by Vidu's content policy",
    ],
    ['ImageDownloadFailure', 'invalid_input', 'Vidu could not download an input image'],
    ['InternalServiceFailure', 'generation_failed', 'Vidu had an internal error'],
  ])('explains a task failed with err_code %s', async (errCode, code, meaning) => {
    sim.world.inject('vidu', 'submit', { type: 'task_fails', reason: errCode });
    const id = await accepted({ image: first });
    advance(id, 1);
    const failed = await poll(id);
    expect(failed).toEqual({ kind: 'failed', code, message: expect.stringContaining(meaning) });
    expect(failed).toEqual(
      expect.objectContaining({ message: expect.stringContaining(`err_code ${errCode}`) }),
    );
  });

  const endpointRequests: Record<ViduEndpoint, (model: string) => Record<string, unknown>> = {
    text2video: (model) => ({ model }),
    img2video: (model) => ({ model, image: `data:image/png;base64,${pngBase64}` }),
    'start-end2video': (model) => ({ model, image: first, metadata: { image_tail: last } }),
    reference2video: (model) => ({ model, metadata: { reference_images: [first, last] } }),
  };
  const everyModel = Object.entries(viduModelRules).flatMap(([endpoint, rules]) =>
    Object.keys(rules).map((model) => [endpoint as ViduEndpoint, model] as const),
  );

  it.each(everyModel)(
    'has %s with %s accepted by the simulator with its defaults',
    async (endpoint, model) => {
      expect((await submit(endpointRequests[endpoint](model))).kind).toBe('accepted');
      const [task] = [...sim.world.tasks.values()].slice(-1);
      expect(task!.request.endpoint).toBe(endpoint);
      expect((task!.request.body as { images?: string[] }).images?.length ?? 0).toBeGreaterThanOrEqual(
        viduImageCounts[endpoint].min,
      );
    },
  );

  it.each([
    ['rate limit', { type: 'rate_limit' } as const, 'retry_later'],
    ['server error', { type: 'http_error', status: 500 } as const, 'retry_later'],
    ['garbage', { type: 'garbage' } as const, 'retry_later'],
    ['refused credentials', { type: 'auth_error' } as const, 'channel_broken'],
  ])('reads a %s at submit as %s', async (_, fault, kind) => {
    sim.world.inject('vidu', 'submit', fault);
    expect((await submit({})).kind).toBe(kind);
  });

  it("rejects on Vidu's content-safety refusal, naming it", async () => {
    sim.world.inject('vidu', 'submit', { type: 'content_safety' });
    expect(await submit({})).toEqual({
      kind: 'rejected',
      code: 'content_policy_violation',
      message: expect.stringContaining('AuditSubmitIllegal'),
    });
  });

  it("rejects a body Vidu refuses, with Vidu's reason (new-api's raw size as resolution)", async () => {
    const call = prepareVidu({}).call;
    const outcome = viduAdapter.readSubmit(
      await send({ ...call, body: { ...(call.body as object), resolution: '1920x1080' } }),
    );
    expect(outcome).toEqual({
      kind: 'rejected',
      code: 'vendor_invalid_request',
      message: expect.stringContaining('FieldInvalid'),
    });
  });

  it('reads a wrong API key as a broken channel, at submit and at poll', async () => {
    const wrong = { api_key: 'not-the-key' };
    expect((await submit({}, wrong)).kind).toBe('channel_broken');
    const id = await accepted({});
    expect((await poll(id, wrong)).kind).toBe('channel_broken');
  });

  it.each([
    ['rate limit', { type: 'rate_limit' } as const],
    ['server error', { type: 'http_error', status: 503 } as const],
    ['garbage', { type: 'garbage' } as const],
  ])('reads a %s while polling as worth another try', async (_, fault) => {
    const id = await accepted({});
    sim.world.inject('vidu', 'poll', fault);
    expect((await poll(id)).kind).toBe('retry_later');
    expect((await poll(id)).kind).toBe('processing');
  });

  it('fails a task Vidu no longer knows, without its id in the message', async () => {
    const lost = await poll('424242424242');
    expect(lost).toEqual({
      kind: 'failed',
      code: 'vendor_task_lost',
      message: 'Vidu no longer knows this task',
    });
  });
});
