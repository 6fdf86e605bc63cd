/** What every scenario uses: starting the processes, a load run, a task driven to its end, and result rows. */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import type { Config } from '../src/config.js';
import { Child } from './child.js';
import type { GatewayStart } from './gateway-process.js';
import type { LoadOptions, LoadResult } from './load-process.js';
import type { SimulatorStart } from './simulator-process.js';

/** One line of the printed table. */
export interface Row {
  scenario: string;
  case: string;
  reelay: string;
  baseline: string;
  /** Reelay against the baseline: a ratio ("0.62×") or a difference ("+0.8 ms"). */
  comparison: string;
  target: string;
  /** Whether the target was met; null where the row has no target. */
  met: boolean | null;
}

export interface ScenarioResult {
  rows: Row[];
  /** Everything measured, for the JSON file. */
  details: Record<string, unknown>;
}

/** How the poller scenario runs besides its sizes and modes (`--repeat`, `--database`, `--instances`). */
export interface PollerRuns {
  /** Runs of each case; the table reports each and their median and worst. */
  repeat: number;
  /** PostgreSQL to run on (a fresh schema per run), or null for SQLite. */
  postgresUrl: string | null;
  /** Gateway processes sharing the database, one case each. */
  instances: number[];
}

export class BenchContext {
  private readonly children: Child[] = [];

  constructor(
    /** Smaller sizes and shorter runs (`--quick`). */
    readonly quick: boolean,
    /** Where gateways keep their data and every process its log. */
    readonly workDir: string,
    /** Poller task counts other than the defaults (`--tasks=10000,100000`). */
    readonly pollerSizes: number[] | null = null,
    /** The poller with polling alone (false), with callbacks (true), or both (null; `--callbacks=off|on`). */
    readonly callbackModes: boolean[] | null = null,
    readonly pollerRuns: PollerRuns = { repeat: 1, postgresUrl: null, instances: [1] },
  ) {}

  static create(
    quick: boolean,
    pollerSizes: number[] | null = null,
    callbackModes: boolean[] | null = null,
    pollerRuns?: PollerRuns,
  ): BenchContext {
    const workDir = mkdtempSync(join('/tmp', 'reelay-bench-'));
    return new BenchContext(quick, workDir, pollerSizes, callbackModes, pollerRuns);
  }

  /** Seconds per load run. */
  get loadSeconds(): number {
    return this.quick ? 3 : 10;
  }

  async simulator(options: SimulatorStart): Promise<{ child: Child; url: string; klingToken: string }> {
    const child = await this.start('simulator-process.js', 'simulator');
    return { child, ...(await child.call<{ url: string; klingToken: string }>('start', options)) };
  }

  /** A gateway; given `database`, on PostgreSQL, set up by the first instance and joined by the others. */
  async gateway(
    simulatorUrl: string,
    config: Partial<Config>,
    callbacks = false,
    database?: GatewayStart['database'],
  ): Promise<{ child: Child; url: string; apiKey: string }> {
    const child = await this.start('gateway-process.js', 'gateway');
    const dataDir = mkdtempSync(join(this.workDir, 'gateway-'));
    const options: GatewayStart = { dataDir, simulatorUrl, config, callbacks, database };
    return { child, ...(await child.call<{ url: string; apiKey: string }>('start', options)) };
  }

  /** A server answering `body` from memory: bare node:http, or a Fastify route with a logger. */
  async baseline(
    body: string,
    framework: 'node' | 'fastify' = 'node',
  ): Promise<{ child: Child; url: string }> {
    const child = await this.start(
      'baseline-process.js',
      framework === 'node' ? 'baseline' : `baseline-${framework}`,
    );
    return { child, ...(await child.call<{ url: string }>('start', { body, framework })) };
  }

  async loadGenerator(): Promise<(options: LoadOptions) => Promise<LoadResult>> {
    const child = await this.start('load-process.js', 'load');
    return (options) => child.call<LoadResult>('run', options);
  }

  /** Stops every process this context started. */
  async close(): Promise<void> {
    await Promise.all(this.children.splice(0).map((child) => child.stop()));
  }

  private async start(script: string, name: string): Promise<Child> {
    const child = await Child.start(
      script,
      name,
      join(this.workDir, `${name}.log`),
      join(this.workDir, 'profiles'),
    );
    this.children.push(child);
    return child;
  }
}

export async function httpJson<T>(
  url: string,
  options: { method?: 'GET' | 'POST'; token?: string; body?: unknown } = {},
): Promise<{ status: number; body: T; text: string }> {
  const res = await request(url, {
    method: options.method ?? 'GET',
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body ? { 'content-type': 'application/json' } : {}),
    },
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: JSON.parse(text) as T, text };
}

export const klingRequest = {
  model: 'kling-v1',
  prompt: 'a lighthouse at dusk, waves breaking',
  duration: 5,
};

/** Submits the Kling request on the generations surface and waits until the task has succeeded; its id. */
export async function finishedTask(gatewayUrl: string, apiKey: string): Promise<string> {
  const submitted = await httpJson<{ task_id: string }>(`${gatewayUrl}/v1/video/generations`, {
    method: 'POST',
    token: apiKey,
    body: klingRequest,
  });
  if (submitted.status !== 200) throw new Error(`submit failed: ${submitted.text}`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const task = await httpJson<{ status: string }>(
      `${gatewayUrl}/v1/video/generations/${submitted.body.task_id}`,
      { token: apiKey },
    );
    if (task.body.status === 'succeeded') return submitted.body.task_id;
    if (task.body.status !== 'processing' || Date.now() > deadline)
      throw new Error(`task did not succeed: ${task.text}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const ms = (value: number) =>
  value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`;
export const perSecond = (value: number) => `${Math.round(value).toLocaleString('en-US')}/s`;
export const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
export const ratio = (value: number) => `${value.toFixed(2)}×`;

/** Nearest-rank percentile of numbers sorted ascending. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
