import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../../test/support/harness.js';
import type { JobRunner } from '../engine/job-runner.js';
import { parseGenerationsRequest } from '../http/generations/request.js';
import { submitTask } from '../tasks/submit.js';
import { settleReservation } from '../store/billing.js';
import { inTransaction } from '../store/db.js';

/** 0.1 currency units per second of video, in micro-units. */
const perSecond = 100_000;

describe.each(testDatabases())('billing on %s', (database) => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start({ database });
    await h.price('kling-v1', {
      unit: 'second',
      price: perSecond,
      resolution_multipliers: { '720p': 1, '1080p': 1.5 },
      mode_multipliers: { pro: 3.5 },
    });
    await h.price('kling-v1-6', { unit: 'call', price: 2_000_000 });
    await h.channel('kling');
  });
  afterAll(() => h.close());

  async function funded(amount: number, keyOptions: Record<string, unknown> = {}) {
    const user = await h.user(keyOptions);
    await h.topUp(user.userId, amount);
    return user;
  }
  const balanceOf = async (userId: string) =>
    (await h.admin('GET', `/users/${userId}`)).body.balance as number;
  const ledgerOf = async (userId: string) =>
    (await h.admin('GET', `/users/${userId}/ledger`)).body.data as {
      kind: string;
      amount: number;
      task_id: string | null;
    }[];

  it('charges per second with resolution and mode multipliers, reserved at submit and settled at the end', async () => {
    const { userId, key } = await funded(10_000_000);
    const res = await h.submit(key, {
      model: 'kling-v1',
      prompt: 'x',
      duration: 10,
      size: '1920x1080',
      metadata: { mode: 'pro' },
    });
    expect(res.status).toBe(200);
    const expected = perSecond * 10 * 1.5 * 3.5; // 1080p (pro renders 1080p) and pro mode
    expect(res.body.cost).toEqual({ state: 'reserved', amount: expected });
    expect(await balanceOf(userId)).toBe(10_000_000 - expected);

    const done = await h.waitForEnd(key, res.body.task_id);
    expect(done.body.cost).toEqual({ state: 'charged', amount: expected });
    expect(await balanceOf(userId)).toBe(10_000_000 - expected);
    expect((await ledgerOf(userId)).map((e) => [e.kind, e.amount])).toEqual([
      ['topup', 10_000_000],
      ['reserve', -expected],
      ['settle', 0],
    ]);
  });

  it('charges a flat price per call times n', async () => {
    const { userId, key } = await funded(10_000_000);
    const res = await h.submit(key, { model: 'kling-v1-6', prompt: 'x', n: 2, duration: 10 });
    expect(res.body.cost.amount).toBe(4_000_000);
    await h.waitForEnd(key, res.body.task_id);
    expect(await balanceOf(userId)).toBe(6_000_000);
  });

  it('settles on what the vendor delivered: a shorter video costs less and the rest comes back', async () => {
    const { userId, key } = await funded(10_000_000);
    h.sim.world.inject('kling', 'submit', { type: 'short_video', durationSeconds: 6 });
    const res = await h.submit(key, { model: 'kling-v1', prompt: 'x', duration: 10 });
    expect(res.body.cost.amount).toBe(1_000_000);
    const done = await h.waitForEnd(key, res.body.task_id);
    expect(done.body).toMatchObject({
      status: 'succeeded',
      metadata: { duration: 6 },
      cost: { state: 'charged', amount: 600_000 },
    });
    expect(await balanceOf(userId)).toBe(10_000_000 - 600_000);
    expect((await ledgerOf(userId)).find((e) => e.kind === 'settle')!.amount).toBe(400_000);
  });

  it('charges only the generations that succeeded when some of n fail', async () => {
    const { userId, key } = await funded(10_000_000);
    h.sim.world.inject('kling', 'submit', { type: 'task_fails', reason: 'moderation' });
    const res = await h.submit(key, { model: 'kling-v1-6', prompt: 'x', n: 2 });
    const done = await h.waitForEnd(key, res.body.task_id);
    expect(done.body.status).toBe('succeeded');
    expect(done.body.videos.map((v: { status: string }) => v.status).sort()).toEqual(['failed', 'succeeded']);
    expect(done.body.cost).toEqual({ state: 'charged', amount: 2_000_000 });
    expect(await balanceOf(userId)).toBe(8_000_000);
  });

  describe('refunds in full', () => {
    it('when the vendor fails the task', async () => {
      const { userId, key } = await funded(5_000_000);
      h.sim.world.inject('kling', 'submit', { type: 'task_fails', reason: 'moderation' });
      const res = await h.submit(key, { model: 'kling-v1-6', prompt: 'x' });
      const done = await h.waitForEnd(key, res.body.task_id);
      expect(done.body.cost).toEqual({ state: 'refunded', amount: 0 });
      expect(await balanceOf(userId)).toBe(5_000_000);
      expect((await ledgerOf(userId)).map((e) => e.kind)).toEqual(['topup', 'reserve', 'refund']);
    });

    it('when the vendor rejects the submit', async () => {
      const { userId, key } = await funded(5_000_000);
      h.sim.world.inject('kling', 'submit', { type: 'content_safety' });
      const res = await h.submit(key, { model: 'kling-v1-6', prompt: 'x' });
      expect(res.status).toBe(400);
      expect(await balanceOf(userId)).toBe(5_000_000);
      expect((await ledgerOf(userId)).map((e) => [e.kind, e.amount])).toEqual([
        ['topup', 5_000_000],
        ['reserve', -2_000_000],
        ['refund', 2_000_000],
      ]);
    });
  });

  it('refuses before any vendor call when the balance cannot cover the task', async () => {
    const { userId, key } = await funded(1_000_000);
    const submits = h.sim.world.requests('kling', 'submit');
    const res = await h.submit(key, { model: 'kling-v1-6', prompt: 'x' });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ type: 'insufficient_balance_error', code: 'insufficient_balance' });
    expect(h.sim.world.requests('kling', 'submit')).toBe(submits);
    expect(await balanceOf(userId)).toBe(1_000_000);
    expect((await ledgerOf(userId)).map((e) => e.kind)).toEqual(['topup']);
  });

  it("refuses a task beyond the key's spending limit", async () => {
    const { key } = await funded(10_000_000, { spend_limit: 3_000_000 });
    expect((await h.submit(key, { model: 'kling-v1-6', prompt: 'x' })).status).toBe(200);
    const second = await h.submit(key, { model: 'kling-v1-6', prompt: 'x' });
    expect(second.status).toBe(403);
    expect(second.body.code).toBe('key_spend_limit_reached');
  });

  it('refuses an unpriced model with a clear error, and serves a model marked free at no cost', async () => {
    const { key } = await h.user();

    await h.channel('kling', { models: ['kling-v2-master'] });
    await h.admin('DELETE', '/prices/kling-v2-master');
    expect((await h.admin('GET', '/prices/kling-v2-master')).body.code).toBe('price_not_found');
    const unpriced = await h.submit(key, { model: 'kling-v2-master', prompt: 'x' });
    expect(unpriced.status).toBe(400);
    expect(unpriced.body).toMatchObject({ code: 'model_not_priced', param: 'model' });
    await h.price('kling-v2-master', { unit: 'call', price: 0, free: true });
    expect((await h.admin('GET', '/prices/kling-v2-master')).body).toMatchObject({
      model: 'kling-v2-master',
      free: true,
    });
    const free = await h.submit(key, { model: 'kling-v2-master', prompt: 'x' });
    expect(free.status).toBe(200);
    expect(free.body.cost).toEqual({ state: 'reserved', amount: 0 });
  });

  it('applies a top-up once however often it is sent with the same idempotency key', async () => {
    const { userId } = await h.user();
    for (let i = 0; i < 3; i++) {
      await h.admin('POST', `/users/${userId}/topup`, { amount: 700, idempotency_key: 'invoice-17' });
    }
    expect(await balanceOf(userId)).toBe(700);
  });

  it('sums usage by model, key and channel', async () => {
    const { userId, key, keyId } = await funded(10_000_000);
    const res = await h.submit(key, { model: 'kling-v1-6', prompt: 'x' });
    await h.waitForEnd(key, res.body.task_id);
    const byModel = await h.admin('GET', `/usage?group_by=model&user_id=${userId}`);
    expect(byModel.body.data).toEqual([{ group: 'kling-v1-6', tasks: 1, cost: 2_000_000, reserved_open: 0 }]);
    const byKey = await h.admin('GET', `/usage?group_by=key&user_id=${userId}`);
    expect(byKey.body.data).toEqual([{ group: keyId, tasks: 1, cost: 2_000_000, reserved_open: 0 }]);
    const byChannel = await h.admin('GET', `/usage?group_by=channel&user_id=${userId}`);
    expect(byChannel.body.data).toHaveLength(1);
    expect(byChannel.body.data[0]).toMatchObject({ tasks: 1, cost: 2_000_000 });
    expect((await h.admin('GET', '/usage?group_by=colour')).status).toBe(400);
  });

  it('never settles a task twice', async () => {
    const { userId, key } = await funded(5_000_000);
    const res = await h.submit(key, { model: 'kling-v1-6', prompt: 'x' });
    await h.waitForEnd(key, res.body.task_id);
    const before = await balanceOf(userId);
    // A second settlement (a retry, a second poller, a restart) is refused by the ledger and rolled back whole.
    await expect(
      inTransaction(h.gateway.deps.database, async (trx) => {
        const task = await trx.db
          .selectFrom('tasks')
          .selectAll()
          .where('id', '=', res.body.task_id)
          .executeTakeFirstOrThrow();
        await settleReservation(trx, task, 'succeeded', task.cost!, Date.now());
      }),
    ).rejects.toThrow();
    expect(await balanceOf(userId)).toBe(before);
    expect((await ledgerOf(userId)).filter((e) => e.kind === 'settle')).toHaveLength(1);
  });

  it('keeps the books balanced, and the audit finds an injected mismatch', async () => {
    expect((await h.admin('GET', '/audit')).body).toMatchObject({
      balanced: true,
      user_mismatches: [],
      key_mismatches: [],
    });
    const { userId } = await funded(1_000);
    await h.gateway.deps.database.db
      .updateTable('users')
      .set({ balance: 1_001 })
      .where('id', '=', userId)
      .execute();
    const report = await h.admin('GET', '/audit');
    expect(report.body.balanced).toBe(false);
    expect(report.body.user_mismatches).toEqual([{ user_id: userId, balance: 1_001, ledger_sum: 1_000 }]);
    await h.gateway.deps.database.db
      .updateTable('users')
      .set({ balance: 1_000 })
      .where('id', '=', userId)
      .execute();
  });
});

describe.each(testDatabases())('billing under pressure on %s', (database) => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ database });
    await h.price('kling-v1-6', { unit: 'call', price: 1_000 });
    await h.channel('kling');
  });
  afterAll(() => h.close());

  it('starts exactly 10 of 100 simultaneous submits against a balance for 10', async () => {
    const { userId, key } = await h.user();
    await h.topUp(userId, 10_000);
    const submitsBefore = h.sim.world.requests('kling', 'submit');
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => h.submit(key, { model: 'kling-v1-6', prompt: 'rush' })),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 403)).toHaveLength(90);
    expect(h.sim.world.requests('kling', 'submit') - submitsBefore).toBe(10);
    expect((await h.admin('GET', `/users/${userId}`)).body.balance).toBe(0);
    expect((await h.admin('GET', '/audit')).body.balanced).toBe(true);
  });
});

describe.each(testDatabases())('refunds after trouble on %s', (database) => {
  it('refunds a task that times out', async () => {
    const h = await Harness.start({
      database,
      simulator: { taskDurationMs: 60_000 },
      config: { TASK_TIMEOUT_MINUTES: 0.005 },
    });
    try {
      await h.price('kling-v1-6', { unit: 'call', price: 1_000 });
      await h.channel('kling');
      const user = await h.user();
      await h.topUp(user.userId, 5_000);
      const res = await h.submit(user.key, { model: 'kling-v1-6', prompt: 'x' });
      const done = await h.waitForEnd(user.key, res.body.task_id);
      expect(done.body).toMatchObject({
        status: 'failed',
        error: { code: 'timeout' },
        cost: { state: 'refunded', amount: 0 },
      });
      expect((await h.admin('GET', `/users/${user.userId}`)).body.balance).toBe(5_000);
    } finally {
      await h.close();
    }
  });

  it('refunds a task whose process died between reserve and the vendor call, once the restart resolves it', async () => {
    const h = await Harness.start({ database, config: { SUBMIT_LEASE_MS: 50 } });
    let restarted: Harness | undefined;
    try {
      await h.price('kling-v1-6', { unit: 'call', price: 1_000 });
      await h.channel('kling');
      const user = await h.user();
      await h.topUp(user.userId, 5_000);
      const dying = Object.create(h.gateway.runner) as JobRunner;
      dying.submit = async () => {
        throw new Error('process killed');
      };
      const request = parseGenerationsRequest({ model: 'kling-v1-6', prompt: 'x' });
      const caller = { userId: user.userId, keyId: user.keyId, models: null };
      await expect(submitTask(h.gateway.deps, dying, caller, request)).rejects.toThrow('process killed');
      expect((await h.admin('GET', `/users/${user.userId}`)).body.balance).toBe(4_000);
      await h.stopGateway();

      // After the restart the vendor refuses the resubmitted job: the reservation must come back.
      h.sim.world.inject('kling', 'submit', { type: 'content_safety' });
      restarted = await Harness.start({ database, reuse: h });
      const task = await restarted.gateway.deps.database.db
        .selectFrom('tasks')
        .select('id')
        .where('user_id', '=', user.userId)
        .executeTakeFirstOrThrow();
      const done = await restarted.waitForEnd(user.key, task.id);
      expect(done.body).toMatchObject({ status: 'failed', cost: { state: 'refunded', amount: 0 } });
      expect((await restarted.admin('GET', `/users/${user.userId}`)).body.balance).toBe(5_000);
      expect((await restarted.admin('GET', '/audit')).body.balanced).toBe(true);
    } finally {
      await restarted?.close();
      await h.close();
    }
  });
});

describe.each(testDatabases())('pricing across vendors on %s', (database) => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ database });
    const perSecondByTier = {
      unit: 'second',
      price: 100_000,
      resolution_multipliers: { '540p': 0.5, '720p': 1, '1080p': 2 },
    };
    for (const model of ['jimeng_v30_1080p', 'jimeng_vgfm_t2v_l20', 'viduq1', 'viduq2'])
      await h.price(model, perSecondByTier);
    await h.channel('jimeng');
    await h.channel('vidu');
  });
  afterAll(() => h.close());

  it.each([
    [
      'Jimeng 3.0 1080p, 10 s',
      { model: 'jimeng_v30_1080p', prompt: 'x', duration: 10, size: '1920x1080' },
      100_000 * 10 * 2,
    ],
    ['Jimeng S2.0 Pro 720p, 5 s', { model: 'jimeng_vgfm_t2v_l20', prompt: 'x' }, 100_000 * 5 * 1],
    ['Vidu q1 1080p, 5 s', { model: 'viduq1', prompt: 'x', duration: 5, size: '1920x1080' }, 100_000 * 5 * 2],
    [
      'Vidu q2 540p, 4 s',
      { model: 'viduq2', prompt: 'x', duration: 4, metadata: { resolution: '540p' } },
      100_000 * 4 * 0.5,
    ],
  ])('charges %s by its seconds and resolution', async (_name, body, expected) => {
    const { userId, key } = await h.user();
    await h.topUp(userId, 10_000_000);
    const res = await h.submit(key, body);
    expect(res.status).toBe(200);
    expect(res.body.cost).toEqual({ state: 'reserved', amount: expected });
    const done = await h.waitForEnd(key, res.body.task_id);
    expect(done.body.cost).toEqual({ state: 'charged', amount: expected });
    expect((await h.admin('GET', `/users/${userId}`)).body.balance).toBe(10_000_000 - expected);
  });

  it("answers OpenAI's insufficient_quota on /v1/videos when the balance is short", async () => {
    const { key } = await h.user();
    const res = await h.http('POST', '/v1/videos', {
      token: key,
      body: { model: 'viduq1', prompt: 'x', seconds: '5' },
    });
    expect(res.status).toBe(429);
    expect(res.body).toEqual({
      error: {
        message: expect.any(String),
        type: 'insufficient_quota',
        param: null,
        code: 'insufficient_quota',
      },
    });
  });
});

describe.each(testDatabases())(
  'pricing by resolution when only the resolution is known on %s',
  (database) => {
    it('prices image-to-video (size follows the image) by its known resolution, not the dearest tier', async () => {
      const h = await Harness.start({ database });
      try {
        await h.price('viduq1', {
          unit: 'call',
          price: 1_000,
          resolution_multipliers: { '720p': 1, '1080p': 2, '4k': 4 },
        });
        await h.channel('vidu');
        const { userId, key } = await h.user();
        await h.topUp(userId, 10_000);
        const res = await h.submit(key, {
          model: 'viduq1',
          prompt: 'x',
          image: 'https://example.com/first-frame.png',
          metadata: { resolution: '1080p' },
        });
        expect(res.status).toBe(200);
        expect(res.body.metadata).toMatchObject({ width: null, height: null });
        expect(res.body.cost).toEqual({ state: 'reserved', amount: 2_000 });
      } finally {
        await h.close();
      }
    });
  },
);
