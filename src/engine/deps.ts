/** What the engine's workers are built from: one bundle, assembled once by gateway.ts. */
import type { Logger } from 'pino';
import type { ChannelDirectory } from '../channels/directory.js';
import type { HealthBoard } from '../channels/health.js';
import type { ChannelLimits } from '../channels/limits.js';
import type { Config } from '../config.js';
import type { ContentService } from '../content/service.js';
import type { Metrics } from '../observability/metrics.js';
import type { Database } from '../store/db.js';
import type { Wire } from '../vendors/wire.js';

export interface EngineDeps {
  database: Database;
  channels: ChannelDirectory;
  health: HealthBoard;
  limits: ChannelLimits;
  wire: Wire;
  config: Config;
  log: Logger;
  metrics: Metrics;
  /** Re-hosting and streaming of results. */
  content: ContentService;
  /** Told when a task that ended left a webhook in the outbox. */
  onWebhookQueued(): void;
  /** Told when a succeeded job's result is due to be copied into storage. */
  onCopyQueued(): void;
  /** Reelay's callback URL for a job, given to vendors that call back; null when PUBLIC_URL is not set. */
  vendorCallbackUrl?(jobId: string, channelId: string): string | null;
}
