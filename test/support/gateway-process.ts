/** Gateways as their own processes (`src/server.ts`), for tests that kill them or run several on one database. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { request } from 'undici';
import { randomBase62 } from '../../src/security/secrets.js';
import { defaultKlingAccount } from '../../src/simulator/kling.js';

const repoRoot = join(import.meta.dirname, '../..');

export interface GatewayProcess {
  process: ChildProcess;
  url: string;
  /** Everything it printed (JSON log lines). */
  output(): string;
}

/** Starts `src/server.ts` as a child process and waits for it to say where it listens. */
export function startGateway(env: Record<string, string>): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output}`)), 120_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Reelay listening on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ process: child, url: match[1]!, output: () => output });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`gateway exited (${code}) before listening:\n${output}`)));
  });
}

/** Kills the process and waits until it is gone. */
export async function killGateway(
  gateway: GatewayProcess,
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<void> {
  if (gateway.process.exitCode !== null || gateway.process.signalCode !== null) return;
  const exited = new Promise((resolve) => gateway.process.once('exit', resolve));
  gateway.process.kill(signal);
  await exited;
}

export async function call(base: string, method: string, path: string, token: string, body?: unknown) {
  const res = await request(base + path, {
    method: method as 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.statusCode, body: (await res.body.json()) as any };
}

/**
 * A fresh schema in DATABASE_URL_TEST, and the URL that makes a gateway use it. Its connections carry the schema's
 * name as application_name, so `terminateConnections` cuts exactly these (other tests share the server).
 */
export async function postgresSchema(
  prefix: string,
): Promise<{ url: string; drop(): Promise<void>; terminateConnections(): Promise<number> }> {
  const schema = `${prefix}_${randomBase62(8).toLowerCase()}`;
  const admin = async (query: string, values: unknown[] = []) => {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL_TEST });
    await client.connect();
    try {
      return await client.query(query, values);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE SCHEMA "${schema}"`);
  const url = new URL(process.env.DATABASE_URL_TEST!);
  url.searchParams.set('options', `-c search_path=${schema}`);
  url.searchParams.set('application_name', schema);
  return {
    url: url.toString(),
    drop: async () => void (await admin(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)),
    terminateConnections: async () =>
      // The pools' connections, and the listeners (which name themselves after their schema).
      (
        await admin(
          'select pg_terminate_backend(pid) from pg_stat_activity where application_name in ($1, $2)',
          [schema, `reelay changes ${schema}`],
        )
      ).rowCount ?? 0,
  };
}

/** The process's resident memory in bytes, as the kernel counts it (VmRSS in /proc/<pid>/status; Linux). */
export function residentBytes(gateway: GatewayProcess): number {
  const status = readFileSync(`/proc/${gateway.process.pid}/status`, 'utf8');
  const kilobytes = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kilobytes === undefined) throw new Error(`no VmRSS for process ${gateway.process.pid}`);
  return Number(kilobytes) * 1024;
}

/** Samples a process's resident memory until stopped; the peak is what a flood cost at its worst. */
export function watchResidentMemory(gateway: GatewayProcess, everyMs = 25): { stop(): number } {
  let peak = residentBytes(gateway);
  const timer = setInterval(() => {
    // The process may be between exit and reaping at the end of a test: the last peak stands.
    if (gateway.process.exitCode === null) peak = Math.max(peak, residentBytes(gateway));
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, residentBytes(gateway));
    },
  };
}

/**
 * Through a gateway process's admin API: kling-v1 priced per call on a Kling channel at the simulator, and a user
 * with `balance` and a key. Returns the user's id and key.
 */
export async function klingUserOf(
  gateway: GatewayProcess,
  adminToken: string,
  klingBaseUrl: string,
  { name, balance }: { name: string; balance: number },
): Promise<{ userId: string; key: string }> {
  const admin = (method: string, path: string, body?: unknown) =>
    call(gateway.url, method, `/admin/v1${path}`, adminToken, body);
  await admin('PUT', '/prices/kling-v1', { unit: 'call', price: 1_000 });
  await admin('POST', '/channels', {
    vendor: 'kling',
    name: 'kling',
    base_url: klingBaseUrl,
    credentials: defaultKlingAccount,
    models: ['kling-v1'],
  });
  const userId = (await admin('POST', '/users', { name })).body.id as string;
  await admin('POST', `/users/${userId}/topup`, { amount: balance });
  const key = (await admin('POST', `/users/${userId}/keys`, {})).body.key as string;
  return { userId, key };
}
