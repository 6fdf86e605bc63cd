/**
 * Thousands of malformed requests to every route: each must get a 4xx in its surface's documented error shape,
 * never a 5xx, and the gateway must stay healthy with its memory bounded. The gateway runs as its own process
 * (src/server.ts), so its resident memory is measured alone (VmRSS), not mixed with the test's. Inputs come from a
 * seeded generator, so a failure reproduces.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.js';
import {
  call,
  killGateway,
  klingUserOf,
  residentBytes,
  startGateway,
  watchResidentMemory,
  type GatewayProcess,
} from '../support/gateway-process.js';

const adminToken = 'flood-test-admin-token-0123456789abcdef';
const megabyte = 1024 * 1024;

/** mulberry32: small, fast, seedable. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  return { next, pick };
}

const weirdValues: unknown[] = [
  null,
  true,
  -1,
  0,
  1.5,
  1e308,
  -1e308,
  '',
  ' ',
  'x'.repeat(70_000),
  '\u0000\u202e\ud83d\ude00',
  [],
  [1, 'two', null],
  {},
  { nested: { deeper: [{}] } },
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '9'.repeat(400),
  'data:image/png;base64,@@@@',
  'data:text/html;base64,PGgxPg==',
  'iVBORw0KGgo=====',
  'http://',
  'https://exa mple.com/a.png',
  'ftp://example.com/a.png',
  '1920x',
  '0x0',
  '99999x99999',
];

const seedFields = [
  'model',
  'prompt',
  'duration',
  'fps',
  'width',
  'height',
  'size',
  'image',
  'metadata',
  'n',
  'response_format',
  'seed',
  'user',
  'callback_url',
];
const openaiFields = ['model', 'prompt', 'seconds', 'size', 'input_reference'];
const badIds = [
  'task_',
  'task_' + 'A'.repeat(200),
  '%2e%2e%2f%2e%2e%2fadmin',
  '%00',
  '%F0%9F%98%80',
  'task_00000000000000000000',
  "'; DROP TABLE tasks; --",
  'a'.repeat(2000),
];

function deepJson(depth: number): string {
  return (
    '{"model":"kling-v1","prompt":"p","metadata":' + '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) + '}'
  );
}

interface Probe {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: string;
  headers: Record<string, string>;
}

describe('a flood of bad input', () => {
  let sim: RunningSimulator;
  let dataDir: string;
  let gateway: GatewayProcess;
  let url: string;
  let key: string;
  let userId: string;
  let taskId: string;
  let keeperId: string;
  /** The gateway's resident memory once warmed up, before any flood. */
  let settledRss: number;

  const submit = async (prompt: string) =>
    (await call(url, 'POST', '/v1/video/generations', key, { model: 'kling-v1', prompt })).body
      .task_id as string;
  const healthy = async () => (await request(`${url}/healthz`)).statusCode;
  const mb = (bytes: number) => Math.round(bytes / megabyte);

  beforeAll(async () => {
    sim = await startSimulator({ taskDurationMs: 300 });
    dataDir = mkdtempSync(join(tmpdir(), 'reelay-flood-'));
    gateway = await startGateway({
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${join(dataDir, 'reelay.db')}`,
      REELAY_DATA_DIR: dataDir,
      REELAY_ADMIN_TOKEN: adminToken,
      REELAY_SECRET: 'flood-test-secret-0123456789',
      LOG_LEVEL: 'info',
      BODY_LIMIT_BYTES: String(2 * megabyte),
      // The flood is one client sending many wrong keys: not throttled here (test/security/auth-throttle.test.ts).
      AUTH_FAILURE_LIMIT: '1000000',
      POLL_INITIAL_DELAY_MS: '50',
      POLL_MAX_DELAY_MS: '200',
      POLL_TICK_MS: '20',
    });
    url = gateway.url;
    ({ userId, key } = await klingUserOf(gateway, adminToken, sim.baseUrl('kling'), {
      name: 'flood',
      balance: 1_000_000_000,
    }));
    taskId = await submit('a real task');
    keeperId = await submit('a task no probe names');
    settledRss = residentBytes(gateway);
  }, 180_000);
  afterAll(async () => {
    if (gateway) await killGateway(gateway);
    await sim?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  function probes(count: number, seed: number): Probe[] {
    const { next, pick } = generator(seed);
    const auth = () =>
      pick([
        `Bearer ${key}`,
        `Bearer ${key}`,
        `Bearer ${key}`,
        'Bearer ',
        'Bearer sk-' + 'z'.repeat(5000),
        'Basic dXNlcjpwYXNz',
        `bearer  ${key}x`,
        'Bearer ' + key.slice(0, -1),
      ]);
    // An Idempotency-Key makes the gateway fingerprint the body (a walk through all of it).
    const idempotency = (): Record<string, string> =>
      next() < 0.3 ? { 'idempotency-key': `flood-${Math.floor(next() * 1e9)}` } : {};
    const adminAuth = () => pick([`Bearer ${adminToken}`, 'Bearer nope', '']);
    const mutate = (fields: string[], base: Record<string, unknown>) => {
      const body: Record<string, unknown> = { ...base };
      const changes = 1 + Math.floor(next() * 3);
      for (let i = 0; i < changes; i++) {
        const field = next() < 0.1 ? `unknown_${Math.floor(next() * 100)}` : pick(fields);
        if (next() < 0.15) delete body[field];
        else body[field] = pick(weirdValues);
      }
      return JSON.stringify(body);
    };
    const rawBodies = () =>
      pick([
        '',
        '{',
        '{"model":',
        'null',
        '[]',
        '"text"',
        '12',
        '{"model":"kling-v1","prompt":"p"',
        deepJson(2000),
        deepJson(20_000),
        '\u0000\u0001',
        '{"__proto__":{"x":1}}',
        '{"constructor":{"prototype":{"x":1}}}',
      ]);
    const contentTypes = [
      'application/json',
      'application/json',
      'application/json',
      'text/plain',
      'application/xml',
      'multipart/form-data; boundary=zzz',
      'application/x-www-form-urlencoded',
    ];

    const list: Probe[] = [];
    for (let i = 0; i < count; i++) {
      const kind = Math.floor(next() * 12);
      const json = { 'content-type': pick(contentTypes) };
      switch (kind) {
        case 0:
        case 1:
        case 2:
          list.push({
            method: 'POST',
            path: '/v1/video/generations',
            body: next() < 0.8 ? mutate(seedFields, { model: 'kling-v1', prompt: 'p' }) : rawBodies(),
            headers: { ...json, authorization: auth(), ...idempotency() },
          });
          break;
        case 3:
          list.push({
            method: 'GET',
            path: `/v1/video/generations/${pick(badIds)}`,
            headers: { authorization: auth() },
          });
          break;
        case 4:
          list.push({
            method: 'POST',
            path: '/v1/videos',
            body: next() < 0.8 ? mutate(openaiFields, { model: 'kling-v1', prompt: 'p' }) : rawBodies(),
            headers: { ...json, authorization: auth(), ...idempotency() },
          });
          break;
        case 5: {
          const query = pick([
            'limit=abc',
            'limit=0',
            'limit=101',
            'order=sideways',
            'after=%00',
            `after=${'x'.repeat(500)}`,
            'limit=-1&order=asc',
          ]);
          list.push({ method: 'GET', path: `/v1/videos?${query}`, headers: { authorization: auth() } });
          break;
        }
        case 6:
          list.push({
            method: pick(['GET', 'DELETE'] as const),
            path: `/v1/videos/${pick([...badIds, taskId])}${pick(['', '/content', '/content?variant=spritesheet', '/content?variant=%00'])}`,
            headers: {
              authorization: auth(),
              range: pick(['bytes=abc', 'bytes=999999999-', 'bytes=5-1', 'lines=0-1', 'bytes=0-0']),
            },
          });
          break;
        case 7:
          list.push({
            method: 'POST',
            path: `/v1/videos/${pick([...badIds, taskId])}/remix`,
            body: mutate(['prompt'], { prompt: 'again' }),
            headers: { 'content-type': 'application/json', authorization: auth() },
          });
          break;
        case 8:
          list.push({
            method: 'POST',
            path: pick([
              '/admin/v1/users',
              `/admin/v1/users/${userId}/keys`,
              '/admin/v1/channels',
              `/admin/v1/users/${userId}/topup`,
              `/admin/v1/users/${userId}/adjustments`,
            ]),
            body:
              next() < 0.8
                ? mutate(
                    [
                      'name',
                      'models',
                      'expires_at',
                      'vendor',
                      'base_url',
                      'credentials',
                      'amount',
                      'note',
                      'priority',
                      'weight',
                      'spend_limit',
                    ],
                    { name: 'n' },
                  )
                : rawBodies(),
            headers: { ...json, authorization: adminAuth() },
          });
          break;
        case 9:
          list.push({
            method: pick(['PUT', 'PATCH'] as const),
            path: pick([
              `/admin/v1/prices/${encodeURIComponent(pick(badIds))}`,
              `/admin/v1/channels/${encodeURIComponent(pick(badIds))}`,
            ]),
            body: mutate(
              ['unit', 'price', 'resolution_multipliers', 'mode_multipliers', 'free', 'enabled', 'max_rps'],
              { unit: 'call', price: 1 },
            ),
            headers: { 'content-type': 'application/json', authorization: adminAuth() },
          });
          break;
        case 10:
          list.push({
            method: 'GET',
            path: pick([
              `/admin/v1/usage?group_by=${pick(['colour', '', '%00'])}`,
              `/admin/v1/usage?from=${pick(['-5', 'abc', '99999999999999999999'])}`,
              `/admin/v1/users/${encodeURIComponent(pick(badIds))}/ledger?limit=${pick(['0', 'x', '1e9'])}`,
              `/admin/v1/users/${encodeURIComponent(pick(badIds))}`,
              `/admin/v1/tasks/${encodeURIComponent(pick(badIds))}/deliveries`,
            ]),
            headers: { authorization: adminAuth() },
          });
          break;
        default:
          list.push({
            method: pick(['GET', 'POST', 'DELETE'] as const),
            path: pick([
              '/v1/nothing',
              '/v1/video/generations/../../admin/v1/users',
              '/admin/v1/../healthz',
              '/%ff%fe',
              '/v1/video/generations?x=' + 'y'.repeat(10_000),
            ]),
            headers: { authorization: auth() },
          });
      }
    }
    return list;
  }

  it('refuses a body over the size limit with 413 before reading it all', async () => {
    const res = await call(url, 'POST', '/v1/video/generations', key, {
      model: 'kling-v1',
      prompt: 'x'.repeat(3 * megabyte),
    });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ type: 'invalid_request_error', code: 'body_too_large' });
  });

  it('answers 4000 malformed requests with documented 4xx errors, stays healthy and its memory bounded', async () => {
    const all = probes(4000, 20261125);
    const memory = watchResidentMemory(gateway);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    // A few at a time, as real clients would.
    for (let i = 0; i < all.length; i += 16) {
      await Promise.all(
        all.slice(i, i + 16).map(async (probe) => {
          const res = await request(url + probe.path, {
            method: probe.method,
            headers: probe.headers,
            body: probe.body,
          });
          const text = await res.body.text();
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          if (res.statusCode < 400 || res.statusCode >= 500) {
            // 2xx is fine only for a request that happened to be valid; 5xx never.
            if (res.statusCode >= 500)
              failures.push(
                `${probe.method} ${probe.path.slice(0, 80)} → ${res.statusCode} ${text.slice(0, 200)}`,
              );
            return;
          }
          let body: any;
          try {
            body = JSON.parse(text);
          } catch {
            failures.push(
              `${probe.method} ${probe.path.slice(0, 80)} → ${res.statusCode} not JSON: ${text.slice(0, 100)}`,
            );
            return;
          }
          const shape = probe.path.startsWith('/v1/videos') ? body?.error : body;
          const keys = shape && typeof shape === 'object' ? Object.keys(shape).sort().join(',') : '';
          if (
            keys !== 'code,message,param,type' ||
            typeof shape.message !== 'string' ||
            typeof shape.type !== 'string'
          ) {
            failures.push(
              `${probe.method} ${probe.path.slice(0, 80)} → ${res.statusCode} wrong shape: ${text.slice(0, 200)}`,
            );
          }
        }),
      );
    }
    const peak = memory.stop();
    console.log(`flood of 4000: gateway RSS ${mb(settledRss)} MB before, ${mb(peak)} MB at its peak`);
    expect(failures.slice(0, 20)).toEqual([]);
    expect([...statuses.keys()].filter((s) => s >= 500)).toEqual([]);
    expect(await healthy()).toBe(200);
    // Generous: bodies are capped at 2 MB and 16 are in flight; a leak or an unbounded buffer would pass it.
    expect(peak - settledRss).toBeLessThan(200 * megabyte);
    // A real task goes on undisturbed through all of it.
    const deadline = Date.now() + 60_000;
    let keeper = await call(url, 'GET', `/v1/video/generations/${keeperId}`, key);
    while (keeper.body.status === 'processing' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      keeper = await call(url, 'GET', `/v1/video/generations/${keeperId}`, key);
    }
    expect(keeper.body.status).toBe('succeeded');
  }, 300_000);

  it('refuses oversized multipart forms (300 MB in all) with 413s, holding none of them in memory', async () => {
    const boundary = 'flood';
    const field = Buffer.alloc(1024 * 1024, 'x');
    // 75 fields of 1 MB each, streamed: what the body limit (2 MB here) must stop early.
    const oversized = () =>
      Readable.from(
        (function* () {
          for (let i = 0; i < 75; i++) {
            yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\n`);
            yield field;
            yield Buffer.from('\r\n');
          }
          yield Buffer.from(`--${boundary}--\r\n`);
        })(),
      );
    const rssBefore = residentBytes(gateway);
    const memory = watchResidentMemory(gateway);
    const statuses = await Promise.all(
      ['/v1/videos', '/v1/videos', `/v1/videos/${taskId}/remix`, `/v1/videos/${taskId}/remix`].map(
        async (path) => {
          const res = await request(url + path, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${key}`,
              'content-type': `multipart/form-data; boundary=${boundary}`,
            },
            body: oversized(),
          });
          await res.body.dump();
          return res.statusCode;
        },
      ),
    );
    const peak = memory.stop();
    console.log(`300 MB of multipart: gateway RSS ${mb(rssBefore)} MB before, ${mb(peak)} MB at its peak`);
    expect(statuses).toEqual([413, 413, 413, 413]);
    // A generous bound, far below the 300 MB sent (before the fix, 217 → 465 MB).
    expect(peak - rssBefore).toBeLessThan(100 * megabyte);
    expect(await healthy()).toBe(200);
  });

  it('refuses JSON nested 20,000 deep, with and without an Idempotency-Key, in constant memory', async () => {
    const rssBefore = residentBytes(gateway);
    const memory = watchResidentMemory(gateway);
    for (const path of ['/v1/video/generations', '/v1/videos', `/admin/v1/users/${userId}/keys`]) {
      for (const idempotency of [{}, { 'idempotency-key': `deep-${path}` }]) {
        const res = await request(url + path, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${path.startsWith('/admin') ? adminToken : key}`,
            'content-type': 'application/json',
            ...idempotency,
          },
          body: deepJson(20_000),
        });
        const text = await res.body.text();
        expect(res.statusCode, `${path}: ${text.slice(0, 200)}`).toBe(400);
      }
    }
    const peak = memory.stop();
    expect(peak - rssBefore).toBeLessThan(100 * megabyte);
    expect(await healthy()).toBe(200);
  });
});
