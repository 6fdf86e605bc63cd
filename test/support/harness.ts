/**
 * A real gateway (HTTP on a free port, real database) in front of the real vendor simulators, for tests.
 * Runs on SQLite always and on PostgreSQL when DATABASE_URL_TEST is set.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { request } from 'undici';
import { loadConfig, type Config } from '../../src/config.js';
import { Gateway } from '../../src/gateway.js';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../src/simulator/server.js';
import { demoChannels, type ChannelSpec } from '../../src/simulator/accounts.js';
import { randomBase62 } from '../../src/security/secrets.js';
import type { OpenApiDocument } from '../../src/http/openapi/document.js';
import { ResponseConformance } from './openapi-conformance.js';

export type DatabaseKind = 'sqlite' | 'postgres';

let skipNoted = false;
/** The databases to run store-backed tests on; PostgreSQL only when DATABASE_URL_TEST says where it is. */
export function testDatabases(): DatabaseKind[] {
  if (process.env.DATABASE_URL_TEST) return ['sqlite', 'postgres'];
  if (!skipNoted) {
    console.log(
      'PostgreSQL tests skipped: DATABASE_URL_TEST is not set (e.g. postgres://postgres@127.0.0.1:5432/test)',
    );
    skipNoted = true;
  }
  return ['sqlite'];
}

export const adminToken = 'test-admin-token-0123456789abcdefghij';

/** Fast timings so tasks finish in a fraction of a second. */
export const fastConfig: Partial<Config> = {
  POLL_INITIAL_DELAY_MS: 40,
  POLL_MAX_DELAY_MS: 150,
  POLL_BACKOFF_FACTOR: 1.5,
  POLL_TICK_MS: 15,
  REHOST_RETRY_MS: 50,
  SUBMIT_LEASE_MS: 60_000,
  VENDOR_TIMEOUT_MS: 5_000,
  CIRCUIT_OPEN_MS: 100,
  WEBHOOK_TICK_MS: 15,
  WEBHOOK_RETRY_INITIAL_MS: 50,
  WEBHOOK_RETRY_MAX_MS: 200,
  // Test receivers listen on loopback.
  WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8',
};

export interface JsonResponse<T = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

export interface HarnessOptions {
  database?: DatabaseKind;
  config?: Partial<Config>;
  simulator?: SimulatorOptions;
  /** Reuse a database (restart tests): pass the previous harness's. */
  reuse?: Harness;
  /** Do not start the poller (tests that drive it by hand). */
  pollerOff?: boolean;
  /** Do not start the copier of results into storage (tests that start it themselves). */
  copierOff?: boolean;
  /** Set PUBLIC_URL to the gateway's own address, so vendors that call back are given Reelay's URLs. */
  publicUrl?: boolean;
}

export class Harness {
  private constructor(
    readonly gateway: Gateway,
    readonly url: string,
    readonly sim: RunningSimulator,
    readonly databaseUrl: string,
    readonly schema: string | undefined,
    readonly dataDir: string,
    private readonly ownsSim: boolean,
    /** Every answer checked against /openapi.json; a mismatch fails close(). */
    readonly conformance: ResponseConformance,
  ) {}

  static async start(options: HarnessOptions = {}): Promise<Harness> {
    const kind = options.database ?? 'sqlite';
    const previous = options.reuse;
    const dataDir = previous?.dataDir ?? mkdtempSync(join(tmpdir(), 'reelay-test-'));
    const schema =
      previous?.schema ?? (kind === 'postgres' ? `reelay_test_${randomBase62(10).toLowerCase()}` : undefined);
    const databaseUrl =
      previous?.databaseUrl ??
      (kind === 'postgres' ? process.env.DATABASE_URL_TEST! : `sqlite:${join(dataDir, 'reelay.db')}`);
    const sim = previous?.sim ?? (await startSimulator({ taskDurationMs: 300, ...options.simulator }));
    const config = loadConfig(
      {},
      {
        ...fastConfig,
        DATABASE_URL: databaseUrl,
        REELAY_DATA_DIR: dataDir,
        REELAY_ADMIN_TOKEN: adminToken,
        LOG_LEVEL: 'silent',
        ...options.config,
      },
    );
    const conformance = new ResponseConformance();
    const gateway = await Gateway.create(config, {
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      database: schema ? { schema } : {},
      instrument: (app) => conformance.install(app),
    });
    conformance.use((await gateway.app.inject('/openapi.json')).json<OpenApiDocument>());
    await gateway.app.listen({ port: 0, host: '127.0.0.1' });
    if (!options.pollerOff) gateway.poller.start();
    if (!options.copierOff) gateway.copier.start();
    gateway.webhooks.start();
    const address = gateway.app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const url = `http://127.0.0.1:${port}`;
    // The port is known only now; Reelay reads PUBLIC_URL when it hands a callback URL to a vendor.
    if (options.publicUrl) gateway.config.PUBLIC_URL = url;
    return new Harness(gateway, url, sim, databaseUrl, schema, dataDir, !previous, conformance);
  }

  /** Stops the gateway only (the database and simulator stay, for a restart). */
  async stopGateway(): Promise<void> {
    await this.gateway.close();
  }

  async close(): Promise<void> {
    await this.gateway.close().catch(() => undefined);
    if (this.ownsSim) await this.release();
    this.conformance.assertConformed();
  }

  /** The simulator, database schema and data directory this harness made. */
  private async release(): Promise<void> {
    await this.sim.close();
    if (this.schema) {
      const client = new pg.Client({ connectionString: this.databaseUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`);
      await client.end();
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  async http<T = any>(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
  ): Promise<JsonResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await request(this.url + path, { method: method as 'GET', headers, body });
    const text = await res.body.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.statusCode, headers: res.headers, body: parsed as T };
  }

  admin<T = any>(method: string, path: string, body?: unknown): Promise<JsonResponse<T>> {
    return this.http<T>(method, `/admin/v1${path}`, { token: adminToken, body });
  }

  /** A new user with one API key. */
  async user(
    keyOptions: Record<string, unknown> = {},
  ): Promise<{ userId: string; key: string; keyId: string }> {
    const user = await this.admin('POST', '/users', { name: `user-${randomBase62(6)}` });
    const key = await this.admin('POST', `/users/${user.body.id}/keys`, keyOptions);
    if (key.status !== 201) throw new Error(`key creation failed: ${JSON.stringify(key.body)}`);
    return { userId: user.body.id, key: key.body.key, keyId: key.body.id };
  }

  /**
   * Adds a channel pointing at the simulator (the demo's spec for the vendor, with overrides). Its models that
   * have no price yet are marked free, so tests that are not about billing need no money.
   */
  async channel(
    vendor: string,
    overrides: Partial<ChannelSpec> & Record<string, unknown> = {},
  ): Promise<string> {
    const spec = demoChannels(this.sim).find((c) => c.vendor === vendor);
    if (!spec) throw new Error(`no simulator channel for ${vendor}`);
    const res = await this.admin('POST', '/channels', {
      ...spec,
      name: `${vendor}-${randomBase62(6)}`,
      ...overrides,
    });
    if (res.status !== 201) throw new Error(`channel creation failed: ${JSON.stringify(res.body)}`);
    const priced = new Set(
      (await this.admin('GET', '/prices')).body.data.map((p: { model: string }) => p.model),
    );
    for (const model of res.body.models as string[]) {
      if (!priced.has(model)) await this.price(model, { unit: 'call', price: 0, free: true });
    }
    return res.body.id as string;
  }

  async price(model: string, price: Record<string, unknown>): Promise<void> {
    const res = await this.admin('PUT', `/prices/${encodeURIComponent(model)}`, price);
    if (res.status !== 200) throw new Error(`price failed: ${JSON.stringify(res.body)}`);
  }

  async topUp(userId: string, amount: number): Promise<void> {
    const res = await this.admin('POST', `/users/${userId}/topup`, { amount });
    if (res.status !== 200) throw new Error(`top-up failed: ${JSON.stringify(res.body)}`);
  }

  /** Submits on the generations surface. */
  submit(key: string, body: unknown) {
    return this.http('POST', '/v1/video/generations', { token: key, body });
  }

  query(key: string, taskId: string) {
    return this.http('GET', `/v1/video/generations/${taskId}`, { token: key });
  }

  /**
   * Polls the gateway until the task leaves `processing` (or the deadline passes), then waits for its results'
   * copies into storage, which follow a success (engine/result-copier.ts).
   */
  async waitForEnd(key: string, taskId: string, timeoutMs = 30_000): Promise<JsonResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await this.query(key, taskId);
      if (res.body?.status !== 'processing' || Date.now() > deadline) {
        await this.waitForCopies(taskId, deadline);
        return res;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Waits until no job of the task has a copy still to make (or the deadline passes). */
  async waitForCopies(taskId: string, deadline = Date.now() + 30_000): Promise<void> {
    const { db } = this.gateway.deps.database;
    while (Date.now() <= deadline) {
      const pending = await db
        .selectFrom('task_jobs')
        .select('id')
        .where('task_id', '=', taskId)
        .where('copy_due_at', 'is not', null)
        .executeTakeFirst();
      if (!pending) return;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
