import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../../../test/support/harness.js';

/** The read endpoints the web console is built on: task lists, task detail, channel checks, usage over time. */
describe.each(testDatabases())('console API on %s', (database) => {
  let h: Harness;
  let kling: string;
  let alice: { userId: string; key: string; keyId: string };
  let bob: { userId: string; key: string; keyId: string };
  let aliceTask: string;
  let bobTask: string;

  beforeAll(async () => {
    h = await Harness.start({ database });
    kling = await h.channel('kling');
    await h.price('kling-v1', { unit: 'second', price: 100_000 });
    alice = await h.user();
    bob = await h.user();
    await h.topUp(alice.userId, 10_000_000);
    await h.topUp(bob.userId, 10_000_000);
    aliceTask = (
      await h.submit(alice.key, { model: 'kling-v1', prompt: 'a fox', duration: 5, size: '1280x720' })
    ).body.task_id;
    bobTask = (await h.submit(bob.key, { model: 'kling-v1', prompt: 'a hare', duration: 5 })).body.task_id;
    await h.waitForEnd(alice.key, aliceTask);
    await h.waitForEnd(bob.key, bobTask);
  });
  afterAll(() => h.close());

  it("lists every user's tasks for the operator, newest first, filtered by user, channel and status", async () => {
    const all = await h.admin('GET', '/tasks');
    expect(all.status).toBe(200);
    expect(all.body.data.map((t: { id: string }) => t.id)).toEqual([bobTask, aliceTask]);
    expect(all.body.data[1]).toMatchObject({
      status: 'succeeded',
      model: 'kling-v1',
      user_id: alice.userId,
      channel_ids: [kling],
      cost: { state: 'charged', amount: 500_000 },
    });
    expect(all.body.data[1].duration_ms).toBeGreaterThan(0);
    expect(all.body.data[1].video_seconds).toBe(5);

    const alices = await h.admin('GET', `/tasks?user_id=${alice.userId}`);
    expect(alices.body.data.map((t: { id: string }) => t.id)).toEqual([aliceTask]);
    expect((await h.admin('GET', `/tasks?channel_id=${kling}&status=succeeded`)).body.data).toHaveLength(2);
    expect((await h.admin('GET', '/tasks?status=failed')).body.data).toEqual([]);
    expect((await h.admin('GET', '/tasks?channel_id=ch_none')).body.data).toEqual([]);
  });

  it('pages through tasks with before', async () => {
    const first = await h.admin('GET', '/tasks?limit=1');
    expect(first.body).toMatchObject({ has_more: true, data: [{ id: bobTask }] });
    const second = await h.admin('GET', `/tasks?limit=1&before=${bobTask}`);
    expect(second.body).toMatchObject({ has_more: false, data: [{ id: aliceTask }] });
  });

  it('refuses a bad filter with a 400 naming it', async () => {
    const res = await h.admin('GET', '/tasks?status=done');
    expect(res.status).toBe(400);
    expect(res.body.param).toBe('status');
    expect((await h.admin('GET', '/tasks?before=task_unknown')).body.param).toBe('before');
  });

  it("shows one task's request, generation history and a playable link", async () => {
    const res = await h.admin('GET', `/tasks/${aliceTask}`);
    expect(res.status).toBe(200);
    // The request with the API's field names, as the client sent them.
    expect(res.body.request).toEqual({ model: 'kling-v1', prompt: 'a fox', duration: 5, size: '1280x720' });
    expect(res.body.jobs).toEqual([
      expect.objectContaining({ state: 'succeeded', channel_id: kling, last_error: null }),
    ]);
    expect(JSON.stringify(res.body)).not.toMatch(/upstream_task_id/);
    const video = await fetch(res.body.jobs[0].video_url);
    expect(video.status).toBe(200);
    expect(video.headers.get('content-type')).toBe('video/mp4');
    expect((await h.admin('GET', '/tasks/task_00000000000000000000')).status).toBe(404);
  });

  it('checks a channel with the vendor: working credentials pass, refused ones say why', async () => {
    const good = await h.admin('POST', `/channels/${kling}/test`);
    expect(good.status).toBe(200);
    expect(good.body.ok).toBe(true);

    const broken = await h.channel('kling', { credentials: { access_key: 'wrong', secret_key: 'wrong' } });
    const before = h.sim.world.requests('kling', 'submit');
    const refused = await h.admin('POST', `/channels/${broken}/test`);
    expect(refused.body.ok).toBe(false);
    expect(refused.body.message).toMatch(/refuses this account/);
    expect(h.sim.world.requests('kling', 'submit')).toBe(before);
    // A check does not disable the channel: the operator decides.
    expect((await h.admin('GET', `/channels/${broken}`)).body.enabled).toBe(true);

    const unreachable = await h.channel('kling', { base_url: 'http://127.0.0.1:9/kling' });
    const down = await h.admin('POST', `/channels/${unreachable}/test`);
    expect(down.body).toMatchObject({ ok: false, message: expect.stringMatching(/could not be reached/) });
    expect((await h.admin('POST', '/channels/ch_none/test')).status).toBe(404);
  });

  it("names each vendor's credential fields", async () => {
    const res = await h.admin('GET', '/vendors');
    const fields = Object.fromEntries(
      res.body.data.map((v: { vendor: string; credentials: { name: string }[] }) => [
        v.vendor,
        v.credentials.map((c) => c.name),
      ]),
    );
    expect(fields.kling).toEqual(['access_key', 'secret_key']);
    expect(fields.jimeng).toEqual(['access_key_id', 'secret_access_key']);
    expect(fields.vidu).toEqual(['api_key']);
    expect(fields.openai).toContain('api_key');
  });

  it('reports spend and task counts per hour by model, channel and key', async () => {
    const byModel = await h.admin('GET', '/usage/series?bucket=hour');
    expect(byModel.status).toBe(200);
    const total = (rows: { tasks: number; cost: number }[]) =>
      rows.reduce((sum, r) => ({ tasks: sum.tasks + r.tasks, cost: sum.cost + r.cost }), {
        tasks: 0,
        cost: 0,
      });
    expect(total(byModel.body.data)).toEqual({ tasks: 2, cost: 1_000_000 });
    expect(byModel.body.data[0]).toMatchObject({ group: 'kling-v1' });
    expect(byModel.body.data[0].start % 3600).toBe(0);

    const byChannel = await h.admin('GET', '/usage/series?group_by=channel');
    expect(byChannel.body.data.map((r: { group: string }) => r.group)).toEqual([kling]);
    expect(total(byChannel.body.data)).toEqual({ tasks: 2, cost: 1_000_000 });

    const aliceOnly = await h.admin('GET', `/usage/series?group_by=key&user_id=${alice.userId}`);
    expect(aliceOnly.body.data).toEqual([expect.objectContaining({ group: alice.keyId, tasks: 1 })]);
    expect((await h.admin('GET', '/usage/series?bucket=week')).body.param).toBe('bucket');
  });

  it('shows a key holder their own account, tasks, usage and ledger, and nobody else’s', async () => {
    const account = await h.http('GET', '/v1/account', { token: alice.key });
    expect(account.status).toBe(200);
    expect(account.body).toMatchObject({
      user: { id: alice.userId, balance: 9_500_000 },
      key: { id: alice.keyId, spent: 500_000 },
    });
    expect(account.body.models).toContain('kling-v1');

    const tasks = await h.http('GET', '/v1/video/generations', { token: alice.key });
    expect(tasks.body.data.map((t: { task_id: string }) => t.task_id)).toEqual([aliceTask]);
    expect(tasks.body.data[0]).toMatchObject({ status: 'succeeded', cost: { state: 'charged' } });

    const usage = await h.http('GET', '/v1/account/usage', { token: alice.key });
    expect(usage.body.data).toEqual([expect.objectContaining({ tasks: 1, cost: 500_000 })]);
    const ledger = await h.http('GET', '/v1/account/ledger', { token: alice.key });
    expect(ledger.body.data.map((e: { kind: string }) => e.kind)).toEqual(['topup', 'reserve', 'settle']);
    expect((await h.http('GET', '/v1/account')).status).toBe(401);
  });

  it('shows a /v1/videos request in OpenAI’s field names', async () => {
    const created = await h.http('POST', '/v1/videos', {
      token: alice.key,
      body: { model: 'kling-v1', prompt: 'a lynx', seconds: '10', size: '720x1280' },
    });
    expect(created.status).toBe(200);
    const res = await h.admin('GET', `/tasks/${created.body.id}`);
    expect(res.body.request).toEqual({
      model: 'kling-v1',
      prompt: 'a lynx',
      seconds: '10',
      size: '720x1280',
    });
  });
});
