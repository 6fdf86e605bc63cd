/**
 * The gateway as its own process, killed with SIGKILL in the middle of a stream of submits and started again:
 * every task a client was told about (a 200) exists and finishes, no task stays in limbo, and every
 * reservation is settled or refunded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.js';
import { openDatabase } from '../../src/store/db.js';
import { testDatabases } from '../support/harness.js';
import {
  call,
  klingUserOf,
  postgresSchema,
  startGateway,
  type GatewayProcess,
} from '../support/gateway-process.js';

const adminToken = 'crash-test-admin-token-0123456789';

describe.each(testDatabases())('a gateway killed mid-stream on %s', (database) => {
  let sim: RunningSimulator;
  let dataDir: string;
  let dropSchema: (() => Promise<void>) | null = null;
  let env: Record<string, string>;
  let gateway: GatewayProcess | null = null;

  beforeAll(async () => {
    sim = await startSimulator({ taskDurationMs: 400 });
    dataDir = mkdtempSync(join(tmpdir(), 'reelay-crash-'));
    let databaseUrl = `sqlite:${join(dataDir, 'reelay.db')}`;
    if (database === 'postgres') {
      const schema = await postgresSchema('reelay_crash');
      databaseUrl = schema.url;
      dropSchema = schema.drop;
    }
    env = {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      REELAY_DATA_DIR: dataDir,
      REELAY_ADMIN_TOKEN: adminToken,
      REELAY_SECRET: 'crash-test-secret-0123456789',
      LOG_LEVEL: 'info',
      POLL_INITIAL_DELAY_MS: '50',
      POLL_MAX_DELAY_MS: '200',
      POLL_TICK_MS: '20',
      SUBMIT_LEASE_MS: '500',
      POLL_LEASE_MS: '1000',
    };
  });

  afterAll(async () => {
    gateway?.process.kill('SIGKILL');
    await sim.close();
    rmSync(dataDir, { recursive: true, force: true });
    await dropSchema?.();
  });

  it('keeps every accepted task and every unit of money', async () => {
    gateway = await startGateway(env);
    const admin = (method: string, path: string, body?: unknown) =>
      call(gateway!.url, method, `/admin/v1${path}`, adminToken, body);
    const { key } = await klingUserOf(gateway, adminToken, sim.baseUrl('kling'), {
      name: 'crash',
      balance: 10_000_000,
    });

    // A stream of submits from 4 clients; the gateway is killed while it flows.
    const accepted: string[] = [];
    let killed = false;
    const client = async () => {
      while (!killed) {
        try {
          const res = await call(gateway!.url, 'POST', '/v1/video/generations', key, {
            model: 'kling-v1',
            prompt: 'stream',
          });
          if (res.status === 200) accepted.push(res.body.task_id);
        } catch {
          // The connection died with the process: the client was told nothing.
        }
      }
    };
    const clients = Array.from({ length: 4 }, client);
    // Killed once a handful were accepted (however slow the machine), while the clients keep submitting.
    const killAfter = Date.now() + 30_000;
    while (accepted.length < 6 && Date.now() < killAfter) await new Promise((r) => setTimeout(r, 10));
    const exited = new Promise((r) => gateway!.process.once('exit', r));
    gateway.process.kill('SIGKILL');
    killed = true;
    await Promise.all(clients);
    await exited;

    expect(accepted.length).toBeGreaterThan(5);

    gateway = await startGateway(env);
    // Every task the clients were told about finishes.
    const deadline = Date.now() + 60_000;
    for (const taskId of accepted) {
      let status = 'processing';
      while (status === 'processing' && Date.now() < deadline) {
        const res = await call(gateway.url, 'GET', `/v1/video/generations/${taskId}`, key);
        expect(res.status).toBe(200);
        status = res.body.status;
        if (status === 'processing') await new Promise((r) => setTimeout(r, 50));
      }
      expect(status).toBe('succeeded');
    }

    // No task in limbo, including ones saved just before the kill that no client heard of; books balanced.
    const { db, close } = await openDatabase(env.DATABASE_URL!);
    try {
      for (;;) {
        const open = await db.selectFrom('tasks').select('id').where('status', '=', 'processing').execute();
        if (open.length === 0 || Date.now() > deadline) {
          expect(open).toEqual([]);
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      const unsettled = await db
        .selectFrom('tasks')
        .leftJoin('ledger', (join) =>
          join.onRef('ledger.task_id', '=', 'tasks.id').on('ledger.kind', 'in', ['settle', 'refund']),
        )
        .select('tasks.id')
        .where('ledger.id', 'is', null)
        .execute();
      expect(unsettled).toEqual([]);
    } finally {
      await close();
    }
    expect((await admin('GET', '/audit')).body.balanced).toBe(true);
  }, 120_000);
});
