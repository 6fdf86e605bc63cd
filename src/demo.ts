/**
 * `npm run demo`: the vendor simulators and the gateway on one machine (SQLite, no vendor accounts), with a
 * demo user, API key and one channel per simulated vendor; prints requests ready to paste.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from './config.js';
import { Gateway } from './gateway.js';
import { startSimulator } from './simulator/server.js';
import { demoChannels } from './simulator/accounts.js';
import { randomBase62 } from './security/secrets.js';

/** The demo's admin token: made at random once per data directory and kept there, so no two demos share one. */
function demoAdminToken(dataDir: string): string {
  const file = join(dataDir, 'demo-admin-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const token = `rla-${randomBase62(40)}`;
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return token;
}

const simulatorPort = Number(process.env.SIMULATOR_PORT ?? 4010);
const dataDir = process.env.REELAY_DATA_DIR ?? './data';
const adminToken = process.env.REELAY_ADMIN_TOKEN ?? demoAdminToken(dataDir);
const config = loadConfig({
  DATABASE_URL: `sqlite:${join(dataDir, 'demo.db')}`,
  // The demo's simulators and sample data are for this machine only; HOST=0.0.0.0 opens it to the network.
  HOST: '127.0.0.1',
  ...process.env,
  REELAY_ADMIN_TOKEN: adminToken,
});

/** A port already taken is the demo's commonest failure: one line naming the variable, not a stack trace. */
async function onFreePort<T>(
  start: () => Promise<T>,
  what: string,
  port: number,
  variable: string,
): Promise<T> {
  try {
    return await start();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    console.error(
      `Port ${port} (${what}) is in use: set ${variable} to a free port, e.g. ${variable}=${port + 1} npm run demo`,
    );
    process.exit(1);
  }
}

const sim = await onFreePort(
  () =>
    startSimulator({ port: simulatorPort, taskDurationMs: Number(process.env.SIMULATOR_TASK_MS ?? 8000) }),
  'the vendor simulators',
  simulatorPort,
  'SIMULATOR_PORT',
);
const gateway = await Gateway.create(config);
const url = await onFreePort(() => gateway.listen(), 'the gateway', config.PORT, 'PORT');

async function admin<T>(method: 'GET' | 'POST' | 'PATCH' | 'PUT', path: string, body?: unknown): Promise<T> {
  const res = await gateway.app.inject({
    method,
    url: `/admin/v1${path}`,
    headers: { authorization: `Bearer ${adminToken}` },
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
  });
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${res.body}`);
  return res.json<T>();
}

// Idempotent: reuse the demo user and channels across runs, pointing the channels at this run's simulator.
const users = await admin<{ data: { id: string; name: string }[] }>('GET', '/users');
const user =
  users.data.find((u) => u.name === 'demo') ??
  (await admin<{ id: string }>('POST', '/users', { name: 'demo' }));
const key = await admin<{ key: string }>('POST', `/users/${user.id}/keys`, {
  name: `demo ${new Date().toISOString()}`,
});
const existing = await admin<{ data: { id: string; name: string }[] }>('GET', '/channels');
for (const channel of demoChannels(sim)) {
  const found = existing.data.find((c) => c.name === channel.name);
  if (found)
    await admin('PATCH', `/channels/${found.id}`, {
      base_url: channel.base_url,
      credentials: channel.credentials,
      models: channel.models,
      enabled: true,
    });
  else await admin('POST', '/channels', channel);
  // Demo prices: 0.10 per second of video (micro-units), 1.5× at 1080p, 3.5× for Kling's pro mode.
  for (const model of channel.models) {
    await admin('PUT', `/prices/${encodeURIComponent(model)}`, {
      unit: 'second',
      price: 100_000,
      resolution_multipliers: { '1080p': 1.5 },
      mode_multipliers: { pro: 3.5 },
    });
  }
}
const { balance } = await admin<{ balance: number }>('GET', `/users/${user.id}`);
if (balance < 50_000_000)
  await admin('POST', `/users/${user.id}/topup`, { amount: 100_000_000, note: 'demo credit' });

console.log(`
Reelay demo is running.
  gateway     ${url}   (SQLite: ${config.DATABASE_URL})
  simulators  ${sim.url}   (tasks take ${sim.world.options.taskDurationMs / 1000} s; their videos are placeholder clips, as long as asked)
  API docs    ${url}/docs   (OpenAPI: ${url}/openapi.json)
  admin token ${adminToken}
  console     ${url}/console   (sign in with the admin token or the API key)
  API key     ${key.key}

Submit the origin document's Kling example:

curl ${url}/v1/video/generations \\
  --request POST \\
  --header 'Authorization: Bearer ${key.key}' \\
  --header 'Content-Type: application/json' \\
  --data '{
  "model": "kling-v1",
  "prompt": "一个穿着宇航服的宇航员在月球上行走, 高品质, 电影级",
  "size": "1920x1080",
  "image": "https://h2.inkwai.com/bs2/upload-ylab-stunt/se/ai_portal_queue_mmu_image_upscale_aiweb/3214b798-e1b4-4b00-b7af-72b5b0417420_raw_image_0.jpg",
  "duration": 5,
  "metadata": {
    "seed": 20231234,
    "negative_prompt": "模糊",
    "image_tail": "https://h1.inkwai.com/bs2/upload-ylab-stunt/1fa0ac67d8ce6cd55b50d68b967b3a59.png"
  }
}'

Then query it (use the task_id from the answer):

curl ${url}/v1/video/generations/TASK_ID --header 'Authorization: Bearer ${key.key}'

Press Ctrl+C to stop.
`);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void Promise.all([gateway.close(), sim.close()]).then(() => process.exit(0));
  });
}
