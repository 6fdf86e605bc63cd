/**
 * One Reelay gateway in a process of its own (SQLite in a fresh directory), set up through its admin API with a
 * user, an API key and a Kling channel on the simulator. For the poller benchmark it can also save tasks that
 * are already running at the vendor straight into its store (what a burst of submits would have left behind),
 * and report when each became visible. On PostgreSQL several gateways share one schema: the first sets it up.
 */
import { sql } from 'kysely';
import { loadConfig, type Config } from '../src/config.js';
import { jobFor, prepareJob } from '../src/engine/job-submit.js';
import { requireAdapter } from '../src/engine/vendor-call.js';
import { parseGenerationsRequest } from '../src/http/generations/request.js';
import { Gateway } from '../src/gateway.js';
import { defaultKlingAccount } from '../src/simulator/kling.js';
import { newId } from '../src/security/secrets.js';
import { findPrice } from '../src/store/billing.js';
import { openJobStates } from '../src/store/tasks.js';
import type { NewTaskJob, TaskRow } from '../src/store/schema.js';
import { serveParent } from './child.js';
import type { SeedJob } from './simulator-process.js';

export interface GatewayStart {
  dataDir: string;
  simulatorUrl: string;
  config: Partial<Config>;
  /** Give vendors Reelay's callback URLs (PUBLIC_URL = where this gateway listens). */
  callbacks?: boolean;
  /** PostgreSQL instead of SQLite: its URL, the schema of this run, and whether this instance sets it up. */
  database?: { url: string; schema: string; setUp: boolean };
}

/** Per job, in one order. */
export interface VisibilityReport {
  upstreamIds: string[];
  /** When the task became `succeeded` (or failed) in Reelay's store; null while still processing. */
  completedAt: (number | null)[];
  status: string[];
  pollAttempts: number[];
}

const adminToken = 'bench-admin-token-0123456789abcdefghij';
/** The seed request the poller benchmark's tasks were made from. */
const seedBody = { model: 'kling-v1', prompt: 'a lighthouse at dusk, waves breaking', duration: 5 };

let gateway: Gateway;
let user: { id: string; keyId: string };
/** Kling polls this gateway sent (GETs of a task), to tell how instances shared the work. */
let pollsSent = 0;

async function admin<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: object): Promise<T> {
  const res = await gateway.app.inject({
    method,
    url: `/admin/v1${path}`,
    headers: { authorization: `Bearer ${adminToken}` },
    ...(body ? { payload: body } : {}),
  });
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${res.body}`);
  return res.json<T>();
}

/** The one Kling channel every benchmark task runs on. */
async function benchChannel() {
  return (await gateway.deps.channels.candidates(seedBody.model))[0]!;
}

serveParent({
  async start(options: GatewayStart) {
    const config = loadConfig(
      {},
      {
        DATABASE_URL: options.database?.url ?? `sqlite:${options.dataDir}/reelay.db`,
        REELAY_DATA_DIR: options.dataDir,
        REELAY_ADMIN_TOKEN: adminToken,
        // One secret for every instance sharing a database: each opens the channel credentials the first sealed.
        REELAY_SECRET: 'bench-secret-0123456789abcdefghij',
        LOG_LEVEL: 'warn',
        ...options.config,
      },
    );
    gateway = await Gateway.create(config, {
      database: options.database ? { schema: options.database.schema } : {},
    });
    const wire = gateway.deps.wire;
    const send = wire.send.bind(wire);
    wire.send = (call) => {
      if (call.method === 'GET' && call.url.includes('/videos/text2video/')) pollsSent++;
      return send(call);
    };
    const url = await gateway.listen(0, '127.0.0.1');
    if (options.callbacks) gateway.config.PUBLIC_URL = url;
    if (options.database && !options.database.setUp) return { url, apiKey: '' };

    const created = await admin<{ id: string }>('POST', '/users', { name: 'bench' });
    const key = await admin<{ id: string; key: string }>('POST', `/users/${created.id}/keys`, {});
    user = { id: created.id, keyId: key.id };
    await admin('POST', '/channels', {
      vendor: 'kling',
      name: 'Kling (simulator)',
      base_url: `${options.simulatorUrl}/kling`,
      credentials: defaultKlingAccount,
      models: ['kling-v1'],
    });
    await admin('PUT', '/prices/kling-v1', { unit: 'call', price: 0, free: true });
    return { url, apiKey: key.key };
  },

  /** Ids (and callback URLs) for `count` new jobs, to be submitted to the simulator by the benchmark. */
  async prepareJobs({ count }: { count: number }): Promise<SeedJob[]> {
    const channel = await benchChannel();
    return Array.from({ length: count }, () => {
      const jobId = newId('job');
      return { jobId, callbackUrl: gateway.vendorCallbacks.urlFor(jobId, channel.id) };
    });
  },

  /** Saves one running task per job, exactly as a submit the vendor accepted leaves it: due for its first poll. */
  async insertRunningJobs({ jobs }: { jobs: { jobId: string; upstreamId: string }[] }) {
    const { database, config } = gateway.deps;
    const request = parseGenerationsRequest(seedBody, gateway.webhookTargets);
    const channel = await benchChannel();
    const adapter = requireAdapter(channel.vendor);
    const price = await findPrice(database, request.model);
    const now = Date.now();
    const tasks: TaskRow[] = [];
    const rows: NewTaskJob[] = [];
    for (const { jobId, upstreamId } of jobs) {
      const job = jobFor(request, jobId, channel, gateway.vendorCallbacks.urlFor(jobId, channel.id));
      const prepared = prepareJob(adapter, request, job);
      const taskId = newId('task');
      tasks.push({
        id: taskId,
        user_id: user.id,
        key_id: user.keyId,
        model: request.model,
        status: 'processing',
        request: JSON.stringify(request),
        n: 1,
        end_user: null,
        callback_url: null,
        surface: 'generations',
        warnings: null,
        error_code: null,
        error_message: null,
        price: JSON.stringify({ ...price, mode: null }),
        cost_reserved: 0,
        cost: null,
        created_at: now,
        updated_at: now,
        completed_at: null,
        deleted_at: null,
      });
      rows.push({
        id: jobId,
        task_id: taskId,
        position: 0,
        channel_id: channel.id,
        upstream_model: job.upstreamModel,
        upstream_task_id: upstreamId,
        poll_context: JSON.stringify(prepared.pollContext),
        facts: JSON.stringify(prepared.expected),
        state: 'processing',
        queued: 1,
        progress: 0,
        next_poll_at: now + config.POLL_INITIAL_DELAY_MS,
        poll_attempts: 0,
        lease_token: null,
        deadline_at: now + config.TASK_TIMEOUT_MINUTES * 60_000,
        cost_estimate: 0,
        created_at: now,
        updated_at: now,
        rehost_attempts: 0,
      });
    }
    // SQLite takes at most 32,766 parameters per statement.
    const chunk = 500;
    await database.db.transaction().execute(async (trx) => {
      for (let i = 0; i < jobs.length; i += chunk) {
        await trx
          .insertInto('tasks')
          .values(tasks.slice(i, i + chunk))
          .execute();
        await trx
          .insertInto('task_jobs')
          .values(rows.slice(i, i + chunk))
          .execute();
      }
    });
  },

  /** Succeeded jobs whose result is still to be copied into storage (engine/result-copier.ts). */
  async pendingCopies(): Promise<number> {
    const row = await gateway.deps.database.db
      .selectFrom('task_jobs')
      .select((eb) => eb.fn.countAll<number>().as('pending'))
      .where('copy_due_at', 'is not', null)
      .executeTakeFirstOrThrow();
    return Number(row.pending);
  },

  polls(): number {
    return pollsSent;
  },

  async openJobs(): Promise<number> {
    const row = await gateway.deps.database.db
      .selectFrom('task_jobs')
      .select((eb) => eb.fn.countAll<number>().as('open'))
      .where(
        'state',
        'in',
        openJobStates.map((state) => sql.lit(state)),
      )
      .executeTakeFirstOrThrow();
    return Number(row.open);
  },

  async visibility(): Promise<VisibilityReport> {
    const rows = await gateway.deps.database.db
      .selectFrom('task_jobs')
      .innerJoin('tasks', 'tasks.id', 'task_jobs.task_id')
      .select(['task_jobs.upstream_task_id', 'tasks.completed_at', 'tasks.status', 'task_jobs.poll_attempts'])
      .execute();
    return {
      upstreamIds: rows.map((r) => r.upstream_task_id ?? ''),
      completedAt: rows.map((r) => r.completed_at),
      status: rows.map((r) => r.status),
      pollAttempts: rows.map((r) => r.poll_attempts),
    };
  },

  /** The vendor's URL of a task's result (for fetching it directly). */
  async resultUrl({ taskId }: { taskId: string }): Promise<string | null> {
    const row = await gateway.deps.database.db
      .selectFrom('task_jobs')
      .select('result_url')
      .where('task_id', '=', taskId)
      .executeTakeFirst();
    return row?.result_url ?? null;
  },

  /** Changes a setting the running gateway reads on each use (e.g. REHOST_CONTENT). */
  configure(changes: Partial<Config>) {
    Object.assign(gateway.config, changes);
  },

  async stop() {
    await gateway.close();
  },
});
