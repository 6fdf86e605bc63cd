/** The gateway's admin and public APIs, as the console uses them. Every call carries the signed-in token. */

/** An answer the gateway refused, with its documented `{code, message, param}` (either surface's shape). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null,
    readonly param: string | null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface ErrorBody {
  code?: string | null;
  message?: string;
  param?: string | null;
  error?: { code?: string | null; message?: string; param?: string | null };
}

export async function call<T>(
  token: string,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        // The admin audit trail tells console sessions from direct API use.
        'x-reelay-client': 'console',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'The gateway could not be reached. Is it running?', 'network_error', null);
  }
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: reported below
  }
  if (!res.ok) {
    const err = (json ?? {}) as ErrorBody;
    const detail = err.error ?? err;
    throw new ApiError(
      res.status,
      detail.message ?? `The gateway answered ${res.status}`,
      detail.code ?? null,
      detail.param ?? null,
    );
  }
  return json as T;
}

/** Builds a query string from the set values only. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface Channel {
  id: string;
  vendor: string;
  name: string;
  base_url: string;
  models: string[];
  model_mapping: Record<string, string>;
  priority: number;
  weight: number;
  enabled: boolean;
  disabled_reason: string | null;
  health: {
    state: CircuitState;
    consecutive_failures: number;
    recent_error_rate: number;
    recent_calls: number;
    last_error: string | null;
    last_error_at: number | null;
  };
  queued_submits: number;
  created_at: number;
}

export interface Vendor {
  vendor: string;
  default_base_url: string;
  models: string[];
  credentials: { name: string; required: boolean }[];
}

export interface ChannelCheck {
  ok: boolean;
  message: string;
  latency_ms: number;
}

export interface User {
  id: string;
  name: string;
  balance: number;
  created_at: number;
}

export interface ApiKey {
  id: string;
  user_id: string;
  name: string | null;
  hint: string;
  models: string[] | null;
  expires_at: number | null;
  revoked_at: number | null;
  spend_limit: number | null;
  spent: number;
  /** Tasks the key may submit per minute, and have processing at once; null: no limit. */
  rpm: number | null;
  max_concurrent_tasks: number | null;
  created_at: number;
}

/** Output resolution tiers, by the short side (as the gateway's billing defines them). */
export const resolutionTiers = ['360p', '540p', '720p', '1080p', '4k'] as const;
export type ResolutionTier = (typeof resolutionTiers)[number];

/** A model's price (GET /admin/v1/prices); money in micro-units. */
export interface Price {
  model: string;
  unit: 'call' | 'second';
  price: number;
  resolution_multipliers: Partial<Record<ResolutionTier, number>>;
  mode_multipliers: Record<string, number>;
  free: boolean;
  updated_at: number;
}

/** What PUT /admin/v1/prices/{model} takes. */
export type PriceBody = Omit<Price, 'model' | 'updated_at'>;

export type TaskStatus = 'processing' | 'succeeded' | 'failed';

export interface Cost {
  state: 'reserved' | 'charged' | 'refunded';
  amount: number;
}

export interface TaskError {
  code: string | null;
  message: string | null;
}

/** A row of the operator's task table (GET /admin/v1/tasks). */
export interface TaskSummary {
  id: string;
  status: TaskStatus;
  model: string;
  user_id: string;
  key_id: string;
  channel_ids: string[];
  n: number;
  progress: number;
  cost: Cost;
  error: TaskError | null;
  created_at: number;
  completed_at: number | null;
  /** Submit to end (null while it runs). */
  duration_ms: number | null;
  /** The video's length in seconds; null when unknown. */
  video_seconds: number | null;
}

export interface TaskJob {
  position: number;
  state: 'submitting' | 'processing' | 'succeeded' | 'failed';
  channel_id: string | null;
  upstream_model: string | null;
  progress: number;
  queued: boolean;
  poll_attempts: number;
  last_error: string | null;
  error: TaskError | null;
  cost: number | null;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
  video_url: string | null;
}

export interface TaskDetail extends TaskSummary {
  request: Record<string, unknown>;
  warnings: string[];
  end_user: string | null;
  jobs: TaskJob[];
}

/** A task on the generations surface (GET /v1/video/generations/{id}): what a key holder sees. */
export interface SeedTask {
  task_id: string;
  status: TaskStatus;
  url: string | null;
  model: string;
  progress: number;
  error: TaskError | null;
  created_at: number;
  completed_at: number | null;
  metadata: { duration: number | null; width: number | null; height: number | null };
  cost: Cost;
  warnings?: string[];
}

export interface Account {
  user: { id: string; name: string; balance: number };
  key: {
    id: string;
    name: string | null;
    hint: string;
    models: string[] | null;
    spend_limit: number | null;
    spent: number;
    expires_at: number | null;
  };
  models: string[];
}

export type UsageGrouping = 'model' | 'channel' | 'key';

export interface UsageSeries {
  from: number;
  to: number;
  bucket: 'hour' | 'day';
  group_by: UsageGrouping;
  data: { start: number; group: string | null; tasks: number; cost: number }[];
}

export interface LedgerEntry {
  id: string;
  user_id: string;
  key_id: string | null;
  task_id: string | null;
  kind: 'reserve' | 'settle' | 'refund' | 'topup' | 'adjustment';
  amount: number;
  note: string | null;
  created_at: number;
}

export interface List<T> {
  data: T[];
  has_more?: boolean;
}

/** One admin change (GET /admin/v1/audit-log); states with secrets masked. */
export interface AuditEntry {
  id: string;
  at: number;
  /** "token:<fingerprint>" or "console:<fingerprint>": which credential, never the token. */
  actor: string;
  /** "PATCH /admin/v1/channels/ch_…". */
  action: string;
  target: string;
  before: unknown;
  after: unknown;
}
