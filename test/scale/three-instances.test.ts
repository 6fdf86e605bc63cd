/**
 * Three gateway processes on one PostgreSQL database behave as one: the vendor never sees more calls in flight
 * than the channel's `max_concurrency` (the simulator counts), a circuit one instance opens rests the channel on
 * the others, and when one instance is SIGKILLed mid-run every accepted task still succeeds, started upstream
 * once and never polled by two instances at the same time, with the ledger balanced.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultKlingAccount } from '../../src/simulator/kling.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.js';
import { defaultViduAccount } from '../../src/simulator/vidu.js';
import {
  call,
  killGateway,
  postgresSchema,
  startGateway,
  type GatewayProcess,
} from '../support/gateway-process.js';
import { testDatabases } from '../support/harness.js';

const adminToken = 'scale-test-admin-token-0123456789';

describe.skipIf(!testDatabases().includes('postgres'))('three instances on one PostgreSQL', () => {
  let sim: RunningSimulator;
  let dataDir: string;
  let dropSchema: () => Promise<void>;
  let terminateConnections: () => Promise<number>;
  let gateways: GatewayProcess[] = [];
  let key: string;

  const admin = (gateway: GatewayProcess, method: string, path: string, body?: unknown) =>
    call(gateway.url, method, `/admin/v1${path}`, adminToken, body);

  /** A channel on the simulator serving one model, priced per call (0: free); returns its id. */
  async function addChannel(
    vendor: 'kling' | 'vidu',
    model: string,
    price: number,
    limits: { max_concurrency?: number } = {},
  ): Promise<string> {
    const gateway = gateways[0]!;
    await admin(gateway, 'PUT', `/prices/${model}`, { unit: 'call', price, free: price === 0 });
    const credentials = vendor === 'kling' ? defaultKlingAccount : defaultViduAccount;
    const channel = await admin(gateway, 'POST', '/channels', {
      vendor,
      name: `${vendor}-${model}`,
      base_url: sim.baseUrl(vendor),
      credentials,
      models: [model],
      ...limits,
    });
    expect(channel.status).toBe(201);
    return channel.body.id as string;
  }

  /**
   * Every task of the user ends (none left processing: those saved for a client that heard an error included), and
   * the vendor started exactly one upstream task for each that succeeded since `upstreamBefore`.
   */
  async function expectEveryTaskEndedAndStartedOnce(
    gateway: GatewayProcess,
    userId: string,
    upstreamBefore: number,
  ): Promise<void> {
    const listed = async () =>
      (await admin(gateway, 'GET', `/tasks?user_id=${userId}&limit=100`)).body.data as { status: string }[];
    let tasks = await listed();
    for (let tries = 0; tasks.some((t) => t.status === 'processing') && tries < 600; tries++) {
      await new Promise((r) => setTimeout(r, 100));
      tasks = await listed();
    }
    expect(tasks.filter((t) => t.status === 'processing')).toEqual([]);
    expect(sim.world.tasks.size - upstreamBefore).toBe(tasks.filter((t) => t.status === 'succeeded').length);
  }

  beforeAll(async () => {
    sim = await startSimulator({ taskDurationMs: 300 });
    dataDir = mkdtempSync(join(tmpdir(), 'reelay-scale-'));
    const schema = await postgresSchema('reelay_scale');
    dropSchema = schema.drop;
    terminateConnections = schema.terminateConnections;
    const env = (n: number) => ({
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: schema.url,
      REELAY_DATA_DIR: join(dataDir, `instance-${n}`),
      REELAY_ADMIN_TOKEN: adminToken,
      REELAY_SECRET: 'scale-test-secret-0123456789',
      LOG_LEVEL: 'info',
      // Caches that would outlive the test: what another instance changed is known by its notice only.
      CACHE_TTL_MS: '600000',
      POLL_INITIAL_DELAY_MS: '50',
      POLL_MAX_DELAY_MS: '200',
      POLL_TICK_MS: '20',
      REHOST_CONTENT: 'false',
      CIRCUIT_FAILURE_THRESHOLD: '2',
      CIRCUIT_OPEN_MS: '600000',
      VENDOR_TIMEOUT_MS: '5000',
      // A killed instance's jobs come back soon, yet not while a live instance is still (slowly, on a loaded
      // machine) submitting or renewing them.
      POLL_LEASE_MS: '3000',
      SUBMIT_LEASE_MS: '10000',
    });
    // Started together: the migration runs once, under Kysely's advisory lock.
    gateways = await Promise.all([1, 2, 3].map((n) => startGateway(env(n))));
    const first = gateways[0]!;
    const user = (await admin(first, 'POST', '/users', { name: 'scale' })).body;
    key = (await admin(first, 'POST', `/users/${user.id}/keys`, {})).body.key as string;
  }, 180_000);

  afterAll(async () => {
    await Promise.all(gateways.map((g) => killGateway(g)));
    await sim?.close();
    rmSync(dataDir, { recursive: true, force: true });
    await dropSchema?.();
  });

  it('never lets the vendor see more calls in flight than max_concurrency, and finishes every task', async () => {
    await addChannel('kling', 'kling-v1', 0, { max_concurrency: 2 });
    // A slow vendor: every submit and poll is answered 80 ms late, so calls pile up at the limit.
    sim.world.inject('kling', 'submit', { type: 'slow', delayMs: 80 }, 10_000);
    sim.world.inject('kling', 'poll', { type: 'slow', delayMs: 80 }, 10_000);

    const submitted = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        call(gateways[i % 3]!.url, 'POST', '/v1/video/generations', key, {
          model: 'kling-v1',
          prompt: `${i}`,
        }),
      ),
    );
    expect(submitted.map((r) => r.status)).toEqual(submitted.map(() => 200));
    for (const [i, { body }] of submitted.entries()) {
      let status = 'processing';
      for (let tries = 0; status === 'processing' && tries < 2_000; tries++) {
        status = (await call(gateways[(i + 1) % 3]!.url, 'GET', `/v1/video/generations/${body.task_id}`, key))
          .body.status;
        if (status === 'processing') await new Promise((r) => setTimeout(r, 50));
      }
      expect(status).toBe('succeeded');
    }
    expect(sim.world.peakInFlight('kling')).toBe(2);
    // Each upstream task started once.
    expect(sim.world.tasks.size).toBe(24);
  }, 120_000);

  it("rests a channel on every instance once one instance's calls opened its circuit", async () => {
    const [a, b, c] = gateways as [GatewayProcess, GatewayProcess, GatewayProcess];
    const channelId = await addChannel('vidu', 'viduq1', 0);
    sim.world.inject('vidu', 'submit', { type: 'http_error', status: 500 }, 10_000);
    const health = async (gateway: GatewayProcess) =>
      (await admin(gateway, 'GET', `/channels/${channelId}`)).body.health.state as string;
    // Two failed submits through A (one call each: a single channel has nowhere to fail over to).
    for (const prompt of ['x', 'y']) {
      const failed = await call(a.url, 'POST', '/v1/video/generations', key, { model: 'viduq1', prompt });
      expect(failed.status).toBeGreaterThanOrEqual(500);
    }
    expect(await health(a)).toBe('open');
    let seenByB = await health(b);
    for (let tries = 0; seenByB !== 'open' && tries < 200; tries++) {
      await new Promise((r) => setTimeout(r, 50));
      seenByB = await health(b);
    }
    expect(seenByB).toBe('open');
    // C, which never called the vendor, does not call it now either.
    const before = sim.world.requests('vidu', 'submit');
    const refused = await call(c.url, 'POST', '/v1/video/generations', key, { model: 'viduq1', prompt: 'z' });
    expect(refused.status).toBe(503);
    expect(sim.world.requests('vidu', 'submit')).toBe(before);
  }, 60_000);
  it("loses no task when every instance's database connections are cut under load, and still hears changes", async () => {
    const [a, b, c] = gateways as [GatewayProcess, GatewayProcess, GatewayProcess];
    await addChannel('kling', 'kling-v2-master', 1_000);
    const user = (await admin(a, 'POST', '/users', { name: 'cut' })).body;
    const paying = (await admin(a, 'POST', `/users/${user.id}/keys`, {})).body.key as string;
    await admin(a, 'POST', `/users/${user.id}/topup`, { amount: 10_000_000 });
    const upstreamBefore = sim.world.tasks.size;
    // Slow submits and polls keep calls in flight when the connections are cut.
    sim.world.inject('kling', 'submit', { type: 'slow', delayMs: 100 }, 40);
    sim.world.inject('kling', 'poll', { type: 'slow', delayMs: 100 }, 200);
    const submit = async (i: number) => {
      const res = await call([a, b, c][i % 3]!.url, 'POST', '/v1/video/generations', paying, {
        model: 'kling-v2-master',
        prompt: `${i}`,
      }).catch(() => null);
      return res?.status === 200 ? (res.body.task_id as string) : null;
    };

    // As PostgreSQL restarting would: every connection of the three instances (pools and listeners) is cut while
    // 30 submits are under way. Those that meet a dead connection may fail; none that was accepted is lost.
    let cut: Promise<number> | null = null;
    let answered = 0;
    const during = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const taskId = await submit(i);
        if (++answered === 10) cut = terminateConnections();
        return taskId;
      }),
    );
    expect(await cut).toBeGreaterThanOrEqual(3);
    // The instances reconnect by themselves: a request may meet a dead pooled connection first, then works.
    const after: string[] = [];
    for (let i = 0; after.length < 15 && i < 300; i++) {
      const taskId = await submit(i);
      if (taskId) after.push(taskId);
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(after, gateways.map((g) => g.process.exitCode).join()).toHaveLength(15);
    const accepted = [...during.filter((id): id is string => id !== null), ...after];
    for (const [i, taskId] of accepted.entries()) {
      let status = 'processing';
      for (let tries = 0; status === 'processing' && tries < 2_000; tries++) {
        const res = await call([a, b, c][i % 3]!.url, 'GET', `/v1/video/generations/${taskId}`, paying).catch(
          () => null,
        );
        status = res?.status === 200 ? res.body.status : 'processing';
        if (status === 'processing') await new Promise((r) => setTimeout(r, 50));
      }
      expect(status).toBe('succeeded');
    }
    // Nothing in limbo, each started upstream once, and the ledger balanced.
    await expectEveryTaskEndedAndStartedOnce(a, user.id, upstreamBefore);
    expect((await admin(a, 'GET', '/audit')).body.balanced).toBe(true);

    // The listeners are back: a key revoked through A is refused by B and C (their caches live ten minutes).
    const keyed = (await admin(a, 'POST', `/users/${user.id}/keys`, {})).body;
    const query = (gateway: GatewayProcess) =>
      call(gateway.url, 'GET', '/v1/video/generations/task_00000000000000000000', keyed.key);
    expect((await query(b)).status).toBe(404);
    expect((await query(c)).status).toBe(404);
    expect((await admin(a, 'DELETE', `/users/${user.id}/keys/${keyed.id}`)).status).toBe(200);
    for (const gateway of [b, c]) {
      let status = (await query(gateway)).status;
      for (let tries = 0; status !== 401 && tries < 200; tries++) {
        await new Promise((r) => setTimeout(r, 50));
        status = (await query(gateway)).status;
      }
      expect(status).toBe(401);
    }
  }, 240_000);

  it('finishes every accepted task and keeps the books when one of three instances is killed mid-run', async () => {
    const [a, b, c] = gateways as [GatewayProcess, GatewayProcess, GatewayProcess];
    await addChannel('kling', 'kling-v1-6', 1_000);
    const user = (await admin(a, 'POST', '/users', { name: 'paying' })).body;
    const paying = (await admin(a, 'POST', `/users/${user.id}/keys`, {})).body.key as string;
    await admin(a, 'POST', `/users/${user.id}/topup`, { amount: 10_000_000 });
    const upstreamBefore = sim.world.tasks.size;
    const overlapsBefore = sim.world.overlappingQueries;

    // 60 submits spread over the three instances; C is killed once half have been answered.
    const accepted: string[] = [];
    let answered = 0;
    let killing: Promise<void> | null = null;
    await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        try {
          const res = await call([a, b, c][i % 3]!.url, 'POST', '/v1/video/generations', paying, {
            model: 'kling-v1-6',
            prompt: `run ${i}`,
          });
          if (res.status === 200) accepted.push(res.body.task_id);
        } catch {
          // C died with the request in flight: its client was told nothing.
        }
        if (++answered === 30) killing = killGateway(c);
      }),
    );
    await killing;
    expect(accepted.length).toBeGreaterThanOrEqual(40);

    // Every accepted task succeeds, read through the survivors (C's jobs come back when their leases end).
    for (const [i, taskId] of accepted.entries()) {
      let task: { status: string } = { status: 'processing' };
      for (let tries = 0; task.status === 'processing' && tries < 2_000; tries++) {
        task = (await call([a, b][i % 2]!.url, 'GET', `/v1/video/generations/${taskId}`, paying)).body;
        if (task.status === 'processing') await new Promise((r) => setTimeout(r, 50));
      }
      expect(task.status, JSON.stringify(task)).toBe('succeeded');
    }
    // No task left in limbo (those saved just before the kill that no client heard of included), each started
    // upstream once, no task polled by two instances at once, and the ledger balanced.
    await expectEveryTaskEndedAndStartedOnce(a, user.id, upstreamBefore);
    expect(sim.world.overlappingQueries - overlapsBefore).toBe(0);
    expect((await admin(a, 'GET', '/audit')).body.balanced).toBe(true);
  }, 240_000);
});
