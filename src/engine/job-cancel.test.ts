/** Cancel (POST …/cancel on both surfaces): before a job is sent, at a vendor that can, and where none can. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../../test/support/harness.js';
import type { SimTask } from '../simulator/world.js';

const viduBody = { model: 'viduq2', prompt: 'a cat', size: '1280x720', duration: 5 };
const klingBody = { model: 'kling-v1', prompt: 'a cat', size: '1280x720', duration: 5 };
const price = 250_000;

describe.each(testDatabases())('cancelling a task on %s', (database) => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start({ database });
    await h.channel('vidu');
    await h.channel('kling');
    await h.channel('runway', { models: ['gen4.5'] });
    await h.price('gen4.5', { unit: 'call', price });
    await h.price('viduq2', { unit: 'call', price });
    await h.price('kling-v1', { unit: 'call', price });
  });
  afterAll(() => h.close());

  /** A user with money for a few tasks. */
  async function payingUser() {
    const user = await h.user();
    await h.topUp(user.userId, 10 * price);
    return user;
  }
  const ledgerKinds = async (userId: string) =>
    ((await h.admin('GET', `/users/${userId}/ledger`)).body.data as { kind: string; amount: number }[]).map(
      (e) => [e.kind, e.amount],
    );
  const cancel = (key: string, taskId: string) =>
    h.http('POST', `/v1/video/generations/${taskId}/cancel`, { token: key });
  const simTask = (vendor: string): SimTask =>
    [...h.sim.world.tasks.values()].filter((t) => t.vendor === vendor).at(-1)!;
  async function until(condition: () => boolean | Promise<boolean>) {
    while (!(await condition())) await new Promise((r) => setTimeout(r, 20));
  }

  it('cancels a task waiting in the vendor’s queue there, ends it failed with code cancelled, and refunds it', async () => {
    h.sim.world.options.taskDurationMs = 60_000;
    const { key, userId } = await payingUser();
    const submitted = await h.submit(key, viduBody);
    expect(submitted.status).toBe(200);
    const cancelsBefore = h.sim.world.requests('vidu', 'cancel');

    const cancelled = await cancel(key, submitted.body.task_id);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'failed', error: { code: 'cancelled' } });
    expect(cancelled.body.cost).toEqual({ state: 'refunded', amount: 0 });
    expect(h.sim.world.requests('vidu', 'cancel')).toBe(cancelsBefore + 1);
    expect(await ledgerKinds(userId)).toEqual([
      ['topup', 10 * price],
      ['reserve', -price],
      ['refund', price],
    ]);

    // Idempotent: the same answer again, no second vendor call, no second refund; the OpenAI surface agrees.
    const again = await cancel(key, submitted.body.task_id);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'failed', error: { code: 'cancelled' } });
    const video = await h.http('POST', `/v1/videos/${submitted.body.task_id}/cancel`, { token: key });
    expect(video.body).toMatchObject({ status: 'failed', error: { code: 'cancelled' } });
    expect(h.sim.world.requests('vidu', 'cancel')).toBe(cancelsBefore + 1);
    expect((await ledgerKinds(userId)).length).toBe(3);
    expect((await h.query(key, submitted.body.task_id)).body.status).toBe('failed');
  });

  it('cancels a task not yet sent at once, and stops the vendor’s job that was accepted meanwhile', async () => {
    h.sim.world.options.taskDurationMs = 60_000;
    const { key, userId } = await payingUser();
    h.sim.world.inject('vidu', 'submit', { type: 'slow', delayMs: 1_000 });
    const cancelsBefore = h.sim.world.requests('vidu', 'cancel');
    const submitting = h.submit(key, viduBody);
    let taskId = '';
    await until(async () => {
      taskId = (await h.http('GET', '/v1/video/generations', { token: key })).body.data[0]?.task_id ?? '';
      return taskId !== '';
    });

    const cancelled = await cancel(key, taskId);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'failed', error: { code: 'cancelled' } });
    expect(cancelled.body.error.message).toMatch(/before it was sent/);

    // The submit still waiting for the vendor answers the cancelled task, and Reelay cancels the vendor's job.
    const answer = await submitting;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ task_id: taskId, status: 'failed', error: { code: 'cancelled' } });
    expect(h.sim.world.requests('vidu', 'cancel')).toBe(cancelsBefore + 1);
    expect(simTask('vidu').request.cancelled).toBe(true);
    expect(await ledgerKinds(userId)).toEqual([
      ['topup', 10 * price],
      ['reserve', -price],
      ['refund', price],
    ]);
  });

  it('answers 409 cancel_not_possible with Vidu’s reason once the job runs, and the task goes on', async () => {
    h.sim.world.options.taskDurationMs = 1_500;
    const { key, userId } = await payingUser();
    const submitted = await h.submit(key, viduBody);
    const task = simTask('vidu');
    await until(() => h.sim.world.stage(task) === 'running');

    const refused = await cancel(key, submitted.body.task_id);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'cancel_not_possible', type: 'conflict_error' });
    expect(refused.body.message).toMatch(/can not cancel/);
    const done = await h.waitForEnd(key, submitted.body.task_id);
    expect(done.body.status).toBe('succeeded');
    expect((await ledgerKinds(userId)).map(([kind]) => kind)).toEqual(['topup', 'reserve', 'settle']);
  });

  it('cancels a running task at a vendor whose API can (Runway, through its adapter’s prepareCancel)', async () => {
    h.sim.world.options.taskDurationMs = 5_000;
    const { key, userId } = await payingUser();
    const submitted = await h.submit(key, {
      model: 'gen4.5',
      prompt: 'a cat',
      size: '720x1280',
      duration: 2,
    });
    expect(submitted.status).toBe(200);
    const task = simTask('runway');
    await until(() => h.sim.world.stage(task) === 'running');

    const cancelled = await cancel(key, submitted.body.task_id);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'failed', error: { code: 'cancelled' } });
    expect(cancelled.body.error.message).toMatch(/at runway/);
    expect((await ledgerKinds(userId)).map(([kind]) => kind)).toEqual(['topup', 'reserve', 'refund']);
  });

  it('answers 409 naming the vendor where it has no cancel (Kling), on both surfaces, and changes nothing', async () => {
    h.sim.world.options.taskDurationMs = 1_500;
    const { key } = await payingUser();
    const submitted = await h.submit(key, klingBody);
    const refused = await cancel(key, submitted.body.task_id);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toBe(
      'This task cannot be cancelled: kling offers no way to cancel a video once it is sent',
    );
    const video = await h.http('POST', `/v1/videos/${submitted.body.task_id}/cancel`, { token: key });
    expect(video.status).toBe(409);
    expect(video.body.error).toMatchObject({ code: 'cancel_not_possible', type: 'conflict_error' });
    const done = await h.waitForEnd(key, submitted.body.task_id);
    expect(done.body.status).toBe('succeeded');

    const ended = await cancel(key, submitted.body.task_id);
    expect(ended.status).toBe(409);
    expect(ended.body.message).toBe('This task cannot be cancelled: it has already ended (succeeded)');
  });

  it("answers 404 for another user's task and changes nothing", async () => {
    h.sim.world.options.taskDurationMs = 60_000;
    const owner = await payingUser();
    const other = await payingUser();
    const submitted = await h.submit(owner.key, viduBody);
    const refused = await cancel(other.key, submitted.body.task_id);
    expect(refused.status).toBe(404);
    expect((await h.query(owner.key, submitted.body.task_id)).body.status).toBe('processing');
  });
});
