/** Table types for Kysely. Times are unix milliseconds; JSON is stored as text so both databases agree. */
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface UsersTable {
  id: string;
  name: string;
  /** Micro-units; always equal to the sum of the user's ledger entries (GET /admin/v1/audit checks). */
  balance: number;
  created_at: number;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  name: string | null;
  /** SHA-256 of the whole key: keys are random enough that a slow hash adds nothing but latency. */
  key_hash: string;
  /** "sk-ab12…": enough to recognise a key in a list, not to use it. */
  key_hint: string;
  /** JSON array of allowed models, or null for all. */
  models: string | null;
  expires_at: number | null;
  revoked_at: number | null;
  /** Most this key may have reserved or spent, in micro-units; null = no limit. */
  spend_limit: number | null;
  /** Reserved plus settled through this key. */
  spent: number;
  created_at: number;
  /** Where this key's tasks are reported when they end, unless the task names its own callback_url. */
  webhook_url: string | null;
  /** The key's webhook signing secret (`whsec_…`), sealed like channel credentials; made on first need. */
  webhook_secret: string | null;
  /** Most tasks this key may submit in any 60 seconds; null = no limit. */
  rpm: number | null;
  /** Most tasks this key may have processing at once; null = no limit. */
  max_concurrent_tasks: number | null;
}

export interface ChannelsTable {
  id: string;
  vendor: string;
  name: string;
  base_url: string;
  /** AES-256-GCM sealed JSON (security/secrets.ts). */
  credentials: string;
  models: string;
  model_mapping: string;
  priority: number;
  weight: number;
  enabled: number;
  /** Why the channel was disabled automatically (credentials rejected, …), or null. */
  disabled_reason: string | null;
  /** Vendor calls in flight at once through this channel; null = no limit. */
  max_concurrency: number | null;
  /** Vendor calls started per second through this channel; null = no limit. */
  max_rps: number | null;
  created_at: number;
  updated_at: number;
}

export type TaskStatus = 'processing' | 'succeeded' | 'failed';
/** The API a task was created on: its webhook is rendered in that surface's shape. */
export type TaskSurface = 'generations' | 'openai' | 'kling' | 'vidu';
export type JobState = 'submitting' | 'processing' | 'succeeded' | 'failed';

export interface TasksTable {
  id: string;
  user_id: string;
  key_id: string;
  model: string;
  status: TaskStatus;
  /** The normalised request (http/generations/request.ts), JSON. */
  request: string;
  n: number;
  /** The client's `user` field. */
  end_user: string | null;
  callback_url: string | null;
  surface: TaskSurface;
  warnings: string | null;
  error_code: string | null;
  error_message: string | null;
  /** The model's price when the task was accepted (billing/prices.ts), JSON; settlement uses this. */
  price: string | null;
  cost_reserved: number;
  /** What was finally charged; null until the task ends. */
  cost: number | null;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
  /** Set when the owner deleted the task: it is then gone from every surface. */
  deleted_at: number | null;
}

export interface TaskJobsTable {
  /** Reelay's id for one generation; given to vendors that accept a client-side id. */
  id: string;
  task_id: string;
  position: number;
  channel_id: string | null;
  upstream_model: string | null;
  upstream_task_id: string | null;
  poll_context: string | null;
  /** VideoFacts JSON: what was asked and honoured; merged with the vendor's facts on success. */
  facts: string | null;
  state: JobState;
  /** 1 while the vendor says the job waits in its queue. */
  queued: number;
  /** While queued, how many wait ahead of it, where the vendor says (fal); null otherwise. */
  queue_position: number | null;
  progress: number;
  result_url: string | null;
  cover_url: string | null;
  error_code: string | null;
  error_message: string | null;
  /**
   * When the job is next due: for a poll, or, while a submitter or poller holds it (lease_token), when that
   * lease runs out and the job is taken back (the process holding it crashed).
   */
  next_poll_at: number;
  poll_attempts: number;
  /** The submit or poll currently holding the job; every write checks it (compare-and-set). */
  lease_token: string | null;
  deadline_at: number;
  last_error: string | null;
  cost_estimate: number;
  cost: number | null;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
  /** HostedContent JSON (content/service.ts): the result copied into Reelay's storage, or null. */
  hosted_content: string | null;
  /** When the hosted content is removed (retention); the content is gone from then on. */
  content_expires_at: number | null;
  /** Failed copies of the result into storage; bounded by REHOST_MAX_ATTEMPTS. */
  rehost_attempts: number;
  /**
   * A succeeded job whose result is still to be copied into storage: when the next copy is due (while the copier
   * holds it, lease_token is set and this is when its lease runs out). Null when there is nothing to copy.
   */
  copy_due_at: number | null;
}

export interface ModelPricesTable {
  model: string;
  unit: 'call' | 'second';
  price: number;
  resolution_multipliers: string;
  mode_multipliers: string;
  free: number;
  updated_at: number;
}

export type LedgerKind = 'reserve' | 'settle' | 'refund' | 'topup' | 'adjustment';

export interface LedgerTable {
  id: string;
  user_id: string;
  key_id: string | null;
  task_id: string | null;
  kind: LedgerKind;
  /** Signed micro-units: negative takes from the balance, positive gives back. */
  amount: number;
  note: string | null;
  created_at: number;
}

export interface IdempotencyKeysTable {
  user_id: string;
  key: string;
  request_hash: string;
  task_id: string;
  created_at: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** The webhook outbox: one row per task end to report, written in the transaction that ends the task. */
export interface WebhookDeliveriesTable {
  /** Sent as `webhook-id` on every attempt, so receivers can de-duplicate. */
  id: string;
  task_id: string;
  /** Whose secret signs it. */
  key_id: string;
  url: string;
  status: DeliveryStatus;
  attempts: number;
  /** When it is next due; while a sender holds it (lease_token), when that lease runs out. */
  next_attempt_at: number;
  lease_token: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

export interface WebhookAttemptsTable {
  delivery_id: string;
  /** 1, 2, 3, … */
  attempt: number;
  started_at: number;
  duration_ms: number;
  /** The receiver's HTTP status; null when there was no answer. */
  status_code: number | null;
  /** Why it did not count as delivered; null for a 2xx. */
  error: string | null;
}

export interface SettingsTable {
  key: string;
  value: string;
}

/** One slot of a concurrency limit shared by instances (store/shared-limits.ts). */
export interface LimitLeasesTable {
  scope: string;
  slot: number;
  holder: string | null;
  expires_at: number;
}

/** A rate limit shared by instances: the earliest the next call may start. */
export interface LimitSchedulesTable {
  scope: string;
  next_start_at: number;
}

/** A channel's circuit as instances share it (store/circuits.ts). */
export interface ChannelCircuitsTable {
  channel_id: string;
  state: 'open' | 'closed';
  opened_at: number;
  updated_at: number;
}

export interface Schema {
  users: UsersTable;
  api_keys: ApiKeysTable;
  channels: ChannelsTable;
  tasks: TasksTable;
  task_jobs: TaskJobsTable;
  settings: SettingsTable;
  model_prices: ModelPricesTable;
  ledger: LedgerTable;
  idempotency_keys: IdempotencyKeysTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  admin_audit_log: AdminAuditLogTable;
  limit_leases: LimitLeasesTable;
  limit_schedules: LimitSchedulesTable;
  channel_circuits: ChannelCircuitsTable;
}

/** One change made through the admin API: who (which credential), what, the state before and after (secrets masked). */
export interface AdminAuditLogTable {
  id: string;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  /** JSON, or null where there was nothing (a creation's before, a deletion's after). */
  before: string | null;
  after: string | null;
}

export type AdminAuditRow = Selectable<AdminAuditLogTable>;
export type UserRow = Selectable<UsersTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type ChannelRow = Selectable<ChannelsTable>;
export type TaskRow = Selectable<TasksTable>;
export type TaskJobRow = Selectable<TaskJobsTable>;
export type NewTaskJob = Insertable<TaskJobsTable>;
export type ModelPriceRow = Selectable<ModelPricesTable>;
export type LedgerRow = Selectable<LedgerTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type WebhookAttemptRow = Selectable<WebhookAttemptsTable>;
export type TaskJobUpdate = Updateable<TaskJobsTable>;
export type { Generated };
