import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { request } from 'undici';
import { adminToken, Harness, testDatabases } from '../../test/support/harness.js';
import { sampleSum } from '../../test/support/prometheus.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/support/webhook-receiver.js';
import { Metrics } from '../observability/metrics.js';
import { loadConfig } from '../config.js';
import { Gateway } from '../gateway.js';

const price = 100_000;

describe.each(testDatabases())('GET /metrics after a run of tasks (%s)', (database) => {
  let h: Harness;
  let receiver: WebhookReceiver;
  let user: { userId: string; key: string };
  let channelName: string;
  const taskIds: string[] = [];

  beforeAll(async () => {
    h = await Harness.start({ database });
    receiver = await startWebhookReceiver();
    const channelId = await h.channel('kling');
    channelName = (await h.admin('GET', `/channels/${channelId}`)).body.name;
    await h.price('kling-v1', { unit: 'call', price });
    user = await h.user({ webhook_url: receiver.url });
    await h.topUp(user.userId, 10 * price);
    // The first of three tasks fails at the vendor; the other two succeed.
    h.sim.world.inject('kling', 'submit', { type: 'task_fails', reason: 'risk control' });
    for (let i = 0; i < 3; i++) {
      const res = await h.submit(user.key, { model: 'kling-v1', prompt: `a cat, take ${i}` });
      expect(res.status).toBe(200);
      taskIds.push(res.body.task_id);
    }
    for (const id of taskIds) await h.waitForEnd(user.key, id);
    await receiver.waitFor(3);
  });
  afterAll(async () => {
    await receiver?.close();
    await h?.close();
  });

  /** Scrapes until `ready` holds (the last counts land just after the answers that show them), then returns it. */
  async function scrapeWhen(ready: (text: string) => boolean): Promise<string> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const res = await h.http('GET', '/metrics', { token: adminToken });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      if (ready(res.body) || Date.now() > deadline) return res.body;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const settled = (text: string) =>
    sampleSum(text, 'reelay_tasks_ended_total') === 3 &&
    sampleSum(text, 'reelay_webhook_deliveries_total') === 3;

  it('is refused without the admin token, in the API error shape', async () => {
    expect((await h.http('GET', '/metrics')).status).toBe(401);
    const wrong = await h.http('GET', '/metrics', { token: user.key });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ code: expect.any(String), message: expect.any(String) });
  });

  it('counts tasks created and ended by model, vendor and outcome', async () => {
    const text = await scrapeWhen(settled);
    expect(sampleSum(text, 'reelay_tasks_created_total', { model: 'kling-v1', surface: 'generations' })).toBe(
      3,
    );
    const ended = (outcome: string) =>
      sampleSum(text, 'reelay_tasks_ended_total', { model: 'kling-v1', vendor: 'kling', outcome });
    expect([ended('succeeded'), ended('failed')]).toEqual([2, 1]);
  });

  it('counts every vendor call the simulator saw, by channel, kind and outcome, with their latencies', async () => {
    const text = await scrapeWhen(settled);
    const calls = (labels: Record<string, string>) =>
      sampleSum(text, 'reelay_vendor_calls_total', { channel: channelName, vendor: 'kling', ...labels });
    expect(calls({ kind: 'submit', outcome: 'accepted' })).toBe(3);
    expect(calls({ kind: 'poll' })).toBe(h.sim.world.requests('kling', 'poll'));
    expect(calls({ kind: 'poll', outcome: 'succeeded' })).toBe(2);
    expect(calls({ kind: 'poll', outcome: 'failed' })).toBe(1);
    expect(calls({ kind: 'download', outcome: 'ok' })).toBe(2);
    const histogramCount = sampleSum(text, 'reelay_vendor_call_duration_seconds_count', {
      channel: channelName,
      kind: 'submit',
    });
    expect(histogramCount).toBe(3);
    expect(sampleSum(text, 'reelay_poll_lag_seconds_count')).toBe(calls({ kind: 'poll' }));
  });

  it("reports money charged and refunded exactly as the ledger's entries add up", async () => {
    const text = await scrapeWhen(settled);
    const ledger = (await h.admin('GET', `/users/${user.userId}/ledger`)).body.data as {
      kind: string;
      amount: number;
    }[];
    const sumOf = (kinds: string[]) =>
      ledger.filter((e) => kinds.includes(e.kind)).reduce((sum, e) => sum + e.amount, 0);
    const refunded = sumOf(['refund']);
    // What stays charged: every reservation less what came back, refunds aside.
    const charged = -(sumOf(['reserve', 'settle']) + refunded);
    expect([charged, refunded]).toEqual([2 * price, price]);
    expect(sampleSum(text, 'reelay_ledger_charged_micro_units_total')).toBe(charged);
    expect(sampleSum(text, 'reelay_ledger_refunded_micro_units_total')).toBe(refunded);
  });

  it('counts HTTP answers by route template, never by raw URL', async () => {
    const text = await scrapeWhen(settled);
    const route = (labels: Record<string, string>) => sampleSum(text, 'reelay_http_requests_total', labels);
    expect(route({ route: '/v1/video/generations', method: 'POST', status: '200' })).toBe(3);
    expect(route({ route: '/v1/video/generations/:task_id', method: 'GET', status: '200' })).toBeGreaterThan(
      2,
    );
    for (const id of taskIds) expect(text).not.toContain(id);
    expect(text).not.toContain(user.key);
  });

  it('shows webhook outcomes, an empty outbox and no copies pending once everything is delivered', async () => {
    const text = await scrapeWhen(settled);
    expect(sampleSum(text, 'reelay_webhook_deliveries_total', { outcome: 'delivered' })).toBe(3);
    expect(sampleSum(text, 'reelay_webhook_outbox_depth')).toBe(0);
    expect(sampleSum(text, 'reelay_copies_pending')).toBe(0);
    expect(sampleSum(text, 'reelay_channel_circuit_state', { channel: channelName, vendor: 'kling' })).toBe(
      0,
    );
    expect(text).toMatch(
      new RegExp(`reelay_channel_queue_depth\\{channel="${channelName}",vendor="kling"\\} 0`),
    );
  });

  it('counts a delivery still owed in the outbox gauge, read from the database', async () => {
    receiver.failNext(1_000);
    const res = await h.submit(user.key, { model: 'kling-v1', prompt: 'a dog' });
    await h.waitForEnd(user.key, res.body.task_id);
    const text = await scrapeWhen(
      (t) => sampleSum(t, 'reelay_webhook_deliveries_total', { outcome: 'retrying' }) > 0,
    );
    expect(sampleSum(text, 'reelay_webhook_outbox_depth')).toBe(1);
    receiver.failNext(0);
  });
});

describe('METRICS_PORT', () => {
  it('serves /metrics without auth on its own port, and nothing else; the main port still asks for the token', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'reelay-metrics-'));
    const metricsPort = await freePort();
    const config = loadConfig(
      {},
      {
        DATABASE_URL: `sqlite:${join(dataDir, 'reelay.db')}`,
        REELAY_DATA_DIR: dataDir,
        REELAY_ADMIN_TOKEN: adminToken,
        LOG_LEVEL: 'silent',
        METRICS_PORT: metricsPort,
      },
    );
    const gateway = await Gateway.create(config, { logger: pino({ level: 'silent' }) });
    const base = `http://127.0.0.1:${metricsPort}`;
    try {
      const url = await gateway.listen(0, '127.0.0.1');
      const metrics = await request(`${base}/metrics`);
      expect(metrics.statusCode).toBe(200);
      expect(await metrics.body.text()).toContain('# TYPE reelay_tasks_created_total counter');
      const other = await request(`${base}/v1/video/generations`);
      expect(other.statusCode).toBe(404);
      await other.body.dump();
      const main = await request(`${url}/metrics`);
      expect(main.statusCode).toBe(401);
      await main.body.dump();
    } finally {
      await gateway.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
    // Closed with the gateway.
    await expect(request(`${base}/metrics`)).rejects.toThrow();
  });
});

/** A port nothing listens on just now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the metrics docs and the example dashboard', () => {
  it('list every metric the gateway exports, and use no other', async () => {
    const metrics = new Metrics();
    metrics.observe({
      channels: async () => [],
      outboxDepth: async () => 0,
      copiesPending: async () => 0,
      pollsInFlight: () => 0,
    });
    const exported = new Set((await metrics.registry.getMetricsAsJSON()).map((metric) => metric.name));
    const documented = new Set(readFileSync('docs/metrics.md', 'utf8').match(/reelay_[a-z_]+/g));
    const dashboard = readFileSync('docs/grafana-dashboard.json', 'utf8').match(/reelay_[a-z_]+/g) ?? [];
    const family = (name: string) => name.replace(/_(bucket|count|sum)$/, '');
    expect([...documented].map(family).filter((name) => !exported.has(name))).toEqual([]);
    expect([...exported].filter((name) => !documented.has(name))).toEqual([]);
    expect(dashboard.map(family).filter((name) => !exported.has(name))).toEqual([]);
  });
});
