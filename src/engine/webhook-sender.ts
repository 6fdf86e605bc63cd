/**
 * Sends the webhook outbox (store/webhooks.ts): claims due deliveries, renders each task in the shape of the
 * surface it was created on, signs it per Standard Webhooks with its key's secret and POSTs it. A failed
 * attempt is retried with exponential backoff until WEBHOOK_RETRY_WINDOW_HOURS after the task ended. Every
 * attempt carries the same `webhook-id`, so receivers can de-duplicate: delivery is at least once.
 */
import type { Metrics } from '../observability/metrics.js';
import { createHmac, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import type { Config } from '../config.js';
import { newWebhookSecret } from '../security/secrets.js';
import { webhookSecretPlace, type Sealer } from '../security/sealing.js';
import { BlockedWebhookTargetError, type WebhookTargetPolicy } from '../security/webhook-targets.js';
import type { Database } from '../store/db.js';
import type { TaskSurface, WebhookDeliveryRow } from '../store/schema.js';
import { findTask, type TaskWithJobs } from '../store/tasks.js';
import { claimDueDeliveries } from '../store/claims.js';
import { ClaimLoop } from './claim-loop.js';
import {
  findWebhookSecret,
  recordAttempt,
  setFirstWebhookSecret,
  type DeliveryNext,
  type DeliveryWithAttempts,
} from '../store/webhooks.js';

/** Renders a task as its surface shows it (the generations surface's query answer, OpenAI's video object, …). */
export type TaskView = (task: TaskWithJobs) => unknown;

export interface WebhookSenderDeps {
  database: Database;
  config: Config;
  log: Logger;
  sealer: Sealer;
  targets: WebhookTargetPolicy;
  views: Record<TaskSurface, TaskView>;
  metrics: Metrics;
}

/** Standard Webhooks' v1 signature: base64 HMAC-SHA256 of "id.timestamp.body" under the secret's bytes. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

interface ClaimedDelivery {
  delivery: WebhookDeliveryRow;
  leaseToken: string;
}

interface AttemptResult {
  statusCode: number | null;
  error: string | null;
  /** Retrying cannot help (the target is refused). */
  permanent: boolean;
}

export class WebhookSender {
  private readonly agent: Agent;
  private readonly loop: ClaimLoop<ClaimedDelivery>;

  constructor(private readonly deps: WebhookSenderDeps) {
    const timeout = deps.config.WEBHOOK_TIMEOUT_MS;
    this.agent = new Agent({
      headersTimeout: timeout,
      bodyTimeout: timeout,
      connect: { timeout, lookup: deps.targets.lookup },
    });
    this.loop = new ClaimLoop(
      {
        name: 'webhook sender',
        tickMs: deps.config.WEBHOOK_TICK_MS,
        capacity: () => deps.config.WEBHOOK_CONCURRENCY,
        claim: (limit) => this.claim(limit),
        handle: ({ delivery, leaseToken }) => this.send(delivery, leaseToken),
      },
      deps.log,
    );
  }

  start(): void {
    this.loop.start();
  }

  /** Look for due deliveries now (a task just ended), not at the next tick. */
  wake(): void {
    this.loop.wake();
  }

  /** Stops claiming and waits for the attempts in flight to be recorded. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await this.agent.close();
  }

  /** Exponential backoff after the nth failed attempt, capped. */
  backoffMs(attempts: number): number {
    const { WEBHOOK_RETRY_INITIAL_MS, WEBHOOK_RETRY_MAX_MS } = this.deps.config;
    return Math.min(WEBHOOK_RETRY_INITIAL_MS * 2 ** (attempts - 1), WEBHOOK_RETRY_MAX_MS);
  }

  /** One pass: claim what is due (up to the free capacity) and start sending it. */
  tick(): Promise<number> {
    return this.loop.tick();
  }

  private async claim(limit: number): Promise<ClaimedDelivery[]> {
    const now = Date.now();
    const leaseToken = randomUUID();
    const deliveries = await claimDueDeliveries(this.deps.database, {
      now,
      limit,
      // Longer than any attempt can take, so only a crashed sender's claims run out.
      leaseUntil: now + 2 * this.deps.config.WEBHOOK_TIMEOUT_MS + 30_000,
      leaseToken,
    });
    return deliveries.map((delivery) => ({ delivery, leaseToken }));
  }

  private async send(delivery: WebhookDeliveryRow, leaseToken: string): Promise<void> {
    const found = await findTask(this.deps.database, delivery.task_id);
    const startedAt = Date.now();
    const result = found
      ? await this.post(delivery, JSON.stringify(this.deps.views[found.task.surface](found)))
      : { statusCode: null, error: 'the task no longer exists', permanent: true };
    const now = Date.now();
    const attempt = delivery.attempts + 1;
    const next = this.nextStep(delivery, attempt, result, now);
    const recorded = await recordAttempt(
      this.deps.database,
      delivery,
      leaseToken,
      {
        delivery_id: delivery.id,
        attempt,
        started_at: startedAt,
        duration_ms: now - startedAt,
        status_code: result.statusCode,
        error: result.error,
      },
      next,
      now,
    );
    const log = this.deps.log.child({ delivery: delivery.id, task: delivery.task_id, attempt });
    if (recorded) this.deps.metrics.webhookAttempt(next.status === 'pending' ? 'retrying' : next.status);
    if (!recorded) log.warn('webhook attempt not recorded: its lease ran out');
    else if (next.status === 'delivered') log.info('webhook delivered');
    else if (next.status === 'failed') log.warn({ reason: result.error }, 'webhook given up');
    else log.info({ reason: result.error, retryAt: next.nextAttemptAt }, 'webhook failed; will retry');
  }

  private nextStep(
    delivery: WebhookDeliveryRow,
    attempt: number,
    result: AttemptResult,
    now: number,
  ): DeliveryNext {
    if (result.error === null) return { status: 'delivered' };
    const deadline = delivery.created_at + this.deps.config.WEBHOOK_RETRY_WINDOW_HOURS * 3_600_000;
    if (result.permanent || now >= deadline) return { status: 'failed' };
    // The last try falls on the deadline itself rather than past it.
    return { status: 'pending', nextAttemptAt: Math.min(now + this.backoffMs(attempt), deadline) };
  }

  private async post(delivery: WebhookDeliveryRow, body: string): Promise<AttemptResult> {
    const refusal = this.deps.targets.refusal(delivery.url);
    if (refusal) return { statusCode: null, error: refusal, permanent: true };
    const secret = await this.secretFor(delivery.key_id);
    const timestamp = Math.floor(Date.now() / 1000);
    try {
      const res = await request(delivery.url, {
        method: 'POST',
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.deps.config.WEBHOOK_TIMEOUT_MS),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Reelay-Webhooks/1',
          'webhook-id': delivery.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(secret, delivery.id, timestamp, body),
        },
        body,
      });
      await res.body.dump();
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      return { statusCode: res.statusCode, error: ok ? null : `HTTP ${res.statusCode}`, permanent: false };
    } catch (err) {
      // undici may wrap the connection's own error (a refused address) in its cause.
      const reason = err instanceof Error && err.cause instanceof Error ? err.cause : err;
      const message = reason instanceof Error ? reason.message : String(reason);
      return { statusCode: null, error: message, permanent: reason instanceof BlockedWebhookTargetError };
    }
  }

  /** The key's signing secret; a key made before webhooks existed gets one on first need. */
  private async secretFor(keyId: string): Promise<string> {
    const { database } = this.deps;
    let sealed = await findWebhookSecret(database, keyId);
    if (!sealed) {
      await setFirstWebhookSecret(
        database,
        keyId,
        this.deps.sealer.seal(newWebhookSecret(), webhookSecretPlace(keyId)),
      );
      sealed = await findWebhookSecret(database, keyId);
    }
    return this.deps.sealer.open(sealed!, webhookSecretPlace(keyId)) as string;
  }
}

const seconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

/** A task's webhook deliveries as the API shows them (to its owner and to the admin). */
export function deliveryView({ delivery, attempts }: DeliveryWithAttempts) {
  return {
    id: delivery.id,
    url: delivery.url,
    status: delivery.status,
    created_at: seconds(delivery.created_at),
    delivered_at: seconds(delivery.delivered_at),
    next_attempt_at: delivery.status === 'pending' ? seconds(delivery.next_attempt_at) : null,
    attempts: attempts.map((a) => ({
      attempt: a.attempt,
      at: seconds(a.started_at),
      duration_ms: a.duration_ms,
      status_code: a.status_code,
      error: a.error,
    })),
  };
}
