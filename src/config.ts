/** All settings, from the environment, with defaults that run a complete gateway on one machine. */
import { z } from 'zod';
import { parseNetworks } from './security/webhook-targets.js';
import { parseStorageUrl } from './content/storage/storage-url.js';

const number = (fallback: number) => z.coerce.number().nonnegative().default(fallback);
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1');

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  /** A second port serving GET /metrics without auth (on HOST); unset: /metrics only on PORT, with the admin token. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  DATABASE_URL: z.string().default('sqlite:./data/reelay.db'),
  REELAY_DATA_DIR: z.string().default('./data'),
  REELAY_ADMIN_TOKEN: z
    .string()
    .min(32, 'REELAY_ADMIN_TOKEN must be at least 32 characters; generate one with: openssl rand -base64 32')
    .optional(),
  /** Failed authentications (wrong API keys or admin tokens) one client address may make per window. */
  AUTH_FAILURE_LIMIT: z.coerce.number().int().min(1).default(20),
  AUTH_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(60),
  /** Secret that encrypts vendor credentials at rest; generated into the data dir when unset. */
  REELAY_SECRET: z.string().min(16, 'REELAY_SECRET must be at least 16 characters').optional(),
  /** The secret before the last rotation: what it sealed still opens, until `npm run reseal` seals it anew. */
  REELAY_SECRET_PREVIOUS: z
    .string()
    .min(16, 'REELAY_SECRET_PREVIOUS must be at least 16 characters')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** First poll after submit, then exponential backoff up to the max. */
  POLL_INITIAL_DELAY_MS: number(2_000),
  POLL_MAX_DELAY_MS: number(30_000),
  POLL_BACKOFF_FACTOR: z.coerce.number().min(1).default(1.5),
  /** How often the poller looks for due work. */
  POLL_TICK_MS: number(250),
  /**
   * Polls in flight at once per channel, on this instance. A channel's polls per second are at most this over the
   * vendor's answer time: at 16, a busy machine's callbacks queued behind the cap (docs/benchmarks.md). What the
   * vendor sees in all is bounded by the channel's own `max_concurrency` and `max_rps`.
   */
  POLL_CHANNEL_CONCURRENCY: z.coerce.number().int().min(1).default(64),
  /**
   * While a channel's vendor callbacks arrive, each of its jobs is polled on the routine schedule only this often
   * (callbacks bring the news; polling is the safety net). Normal polling resumes POLL_MAX_DELAY_MS after the
   * channel's last callback.
   */
  POLL_CALLBACK_FALLBACK_MS: number(60_000),
  /** Jobs claimed per poller pass. */
  POLL_BATCH_SIZE: z.coerce.number().int().min(1).default(500),
  /** A task that has not ended this long after submit fails with a clear reason. */
  TASK_TIMEOUT_MINUTES: z.coerce.number().positive().default(60),
  /**
   * How long a claimed job stays this poller's before another may take it (this process died mid-poll). A slow
   * poll outliving it costs a second poll at worst: every write checks the lease.
   */
  POLL_LEASE_MS: number(60_000),
  /** How long a submit may hold a job before a crash is assumed and recovery takes over. */

  SUBMIT_LEASE_MS: number(60_000),
  /** Channels one submit may try (failover), and the time it may take in all. */
  SUBMIT_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(3),
  SUBMIT_DEADLINE_MS: number(45_000),
  /** Submits that may wait for a busy channel before clients get a 429. */
  CHANNEL_QUEUE_LIMIT: z.coerce.number().int().min(0).default(100),
  /** Consecutive failures that open a channel's circuit, and how long it stays open. */
  CIRCUIT_FAILURE_THRESHOLD: z.coerce.number().int().min(1).default(5),
  CIRCUIT_OPEN_MS: number(30_000),
  VENDOR_CONNECT_TIMEOUT_MS: number(5_000),

  VENDOR_TIMEOUT_MS: number(30_000),
  /** Request body limit (images arrive as base64). */
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(25 * 1024 * 1024),
  /** Reelay's address as clients reach it (for content links); the request's own host when unset. */
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /**
   * Whether to believe X-Forwarded-For/-Proto/-Host: `true` (any proxy), or the proxies' addresses or CIDRs,
   * comma-separated. Unset: the headers are ignored (a client could set them).
   */
  TRUST_PROXY: z
    .string()
    .optional()
    .transform((value) =>
      value === undefined || value === '' || value === 'false' ? false : value === 'true' ? true : value,
    ),
  /** Copy every result into Reelay's storage when it succeeds, so it outlives the vendor's URL. */
  REHOST_CONTENT: flag(true),
  /** Where re-hosted content is kept; `<REELAY_DATA_DIR>/content` when unset (and STORAGE_URL is unset). */
  CONTENT_DIR: z.string().optional(),
  /**
   * `s3://bucket/prefix`: re-hosted content goes to an S3-compatible object store that every instance shares,
   * instead of CONTENT_DIR. Configured by the AWS SDK's own variables below.
   */
  STORAGE_URL: z
    .string()
    .optional()
    .transform((value) => (value === '' ? undefined : value))
    .superRefine((value, ctx) => {
      const parsed = value === undefined ? null : parseStorageUrl(value);
      if (parsed && 'problem' in parsed) ctx.addIssue({ code: 'custom', message: parsed.problem });
    }),
  /** How stored content reaches clients: `stream` through Reelay, or `redirect` (302) to a presigned URL. */
  CONTENT_DELIVERY: z.enum(['stream', 'redirect']).default('stream'),
  /** An S3-compatible store's address (MinIO, R2, …); buckets are then addressed by path. */
  AWS_ENDPOINT_URL: z.url({ protocol: /^https?$/ }).optional(),
  AWS_REGION: z.string().min(1).optional(),
  /** Keys for the bucket; unset, the AWS SDK's default chain (shared config, instance role, …). */
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  AWS_SESSION_TOKEN: z.string().min(1).optional(),
  /** How long re-hosted content is kept after the task ends. */
  CONTENT_RETENTION_HOURS: z.coerce
    .number()
    .positive()
    .default(7 * 24),
  /** Results copied into storage at once. */
  REHOST_CONCURRENCY: z.coerce.number().int().min(1).default(8),
  /**
   * While polling runs late, copies wait (the CPU goes to making successes visible), but none longer than this after
   * it came due; 0 never lets them wait.
   */
  REHOST_MAX_WAIT_MS: number(60_000),
  /** How long after a failed copy the next is tried; doubling after each, at most 5 minutes. */
  REHOST_RETRY_MS: number(5_000),
  /** Copies tried before a success is kept with the vendor's URL only. */
  REHOST_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(5),
  /** Largest result Reelay copies or streams. */
  CONTENT_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024 * 1024),
  /**
   * How long this instance may answer from memory what rarely changes: API keys, channels and ended tasks. A
   * change made through another instance (a revoked key, an edited channel, a deleted video) is seen here within
   * this time; this instance's own changes at once. 0 reads everything from the database every time.
   */
  CACHE_TTL_MS: number(5_000),
  /**
   * An event stream (GET …/events) or a waiting request (Prefer: wait) reads its task when the change feed says
   * it moved; this is its slow re-check, in case a notice was missed.
   */
  TASK_WATCH_INTERVAL_MS: z.coerce.number().int().min(10).default(5_000),
  /** Comment lines an event stream sends while nothing changes, so proxies keep it open. */
  EVENT_STREAM_HEARTBEAT_MS: z.coerce.number().int().min(10).default(15_000),
  /** Longest `Prefer: wait=N` honoured, in seconds (at most 60). */
  PREFER_WAIT_MAX_SECONDS: z.coerce.number().int().min(0).max(60).default(60),
  /** How long a signed content link works. */
  CONTENT_LINK_TTL_SECONDS: z.coerce.number().int().positive().default(3600),
  /**
   * Networks webhooks may be sent into although they are not public (loopback, private, link-local), as a
   * comma-separated list of CIDRs, e.g. "10.0.0.0/8,127.0.0.1/32". Empty: public addresses only.
   */
  WEBHOOK_ALLOWED_NETWORKS: z
    .string()
    .default('')
    .refine((value) => parseNetworks(value) !== null, 'must be comma-separated CIDRs, e.g. 10.0.0.0/8'),
  /** First retry of a failed webhook; each later one waits twice as long, up to the max. */
  WEBHOOK_RETRY_INITIAL_MS: number(10_000),
  WEBHOOK_RETRY_MAX_MS: number(3_600_000),
  /** How long after a task ends Reelay keeps trying to deliver its webhook. */
  WEBHOOK_RETRY_WINDOW_HOURS: z.coerce.number().positive().default(24),
  /** One delivery attempt, connect to last byte. */
  WEBHOOK_TIMEOUT_MS: number(10_000),
  /** How often the sender looks for due deliveries (a task that ends wakes it at once). */
  WEBHOOK_TICK_MS: number(1_000),
  /** Deliveries in flight at once. */
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).default(16),
});

export type Config = z.infer<typeof envSchema>;

/** What `npm start` warns about: settings that are safe on one machine and unsafe in front of the Internet. */
export function startupWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (!config.PUBLIC_URL)
    warnings.push(
      "PUBLIC_URL is unset: links Reelay hands out follow each request's Host header (and say http:// behind a TLS proxy). Set PUBLIC_URL to the address clients use.",
    );
  return warnings;
}

export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<Config> = {},
): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  const config = { ...parsed.data, ...overrides };
  const problems = objectStorageProblems(config);
  if (problems.length > 0) throw new Error(`invalid configuration: ${problems.join('; ')}`);
  return config;
}

/** Settings that are each valid but do not go together. */
function objectStorageProblems(config: Config): string[] {
  const problems: string[] = [];
  if (config.CONTENT_DELIVERY === 'redirect' && !config.STORAGE_URL)
    problems.push(
      'CONTENT_DELIVERY=redirect needs STORAGE_URL=s3://…: a local directory has no URL of its own to redirect to',
    );
  if (config.STORAGE_URL && !config.AWS_REGION && !config.AWS_ENDPOINT_URL)
    problems.push("AWS_REGION must be set with STORAGE_URL: the bucket's region, e.g. eu-west-1");
  if (!config.AWS_ACCESS_KEY_ID !== !config.AWS_SECRET_ACCESS_KEY)
    problems.push('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together: set both or neither');
  return problems;
}
