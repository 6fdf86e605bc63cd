/** Assembles Reelay: config → database → core (channels, jobs, poller) → HTTP app. Used by server, demo and tests. */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import type { Config } from './config.js';
import { ChannelDirectory } from './core/channels.js';
import { JobRunner, type CoreDeps } from './core/jobs.js';
import { Poller } from './core/poller.js';
import { seedTaskView } from './core/task.js';
import { VendorCallbacks } from './core/vendor-callbacks.js';
import { WebhookSender } from './core/webhooks.js';
import { adminBilling } from './http/admin/billing.js';
import { adminChannels } from './http/admin/channels.js';
import { prepareAdminToken } from './http/admin/auth.js';
import { adminUsers } from './http/admin/users.js';
import { adminWebhooks } from './http/admin/webhooks.js';
import { installErrorHandling } from './http/errors.js';
import { seedApi } from './http/seed-api.js';
import { vendorCallbacksApi } from './http/vendor-callbacks.js';
import { loadOrCreateSecret, Sealer } from './security/secrets.js';
import { WebhookTargetPolicy } from './security/webhook-targets.js';
import { openDatabase, type Database, type OpenOptions } from './store/db.js';
import { Wire } from './vendors/wire.js';

export interface GatewayOptions {
  logger?: Logger;
  database?: OpenOptions;
}

export class Gateway {
  private constructor(
    readonly config: Config,
    readonly deps: CoreDeps,
    readonly runner: JobRunner,
    readonly poller: Poller,
    readonly webhooks: WebhookSender,
    readonly webhookTargets: WebhookTargetPolicy,
    readonly vendorCallbacks: VendorCallbacks,
    readonly sealer: Sealer,
    readonly app: FastifyInstance,
    /** Set on the first start without REELAY_ADMIN_TOKEN: print it once, it is not stored. */
    readonly generatedAdminToken: string | null,
  ) {}

  static async create(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
    const log =
      options.logger ??
      pino({ level: config.LOG_LEVEL, redact: ['req.headers.authorization', 'headers.authorization'] });
    const database: Database = await openDatabase(config.DATABASE_URL, options.database);
    const secret = loadOrCreateSecret(config.REELAY_DATA_DIR, config.REELAY_SECRET);
    const sealer = new Sealer(secret);
    const wire = new Wire({
      connectMs: config.VENDOR_CONNECT_TIMEOUT_MS,
      firstByteMs: config.VENDOR_TIMEOUT_MS,
      totalMs: config.VENDOR_TIMEOUT_MS,
    });
    const webhookTargets = new WebhookTargetPolicy(config.WEBHOOK_ALLOWED_NETWORKS);
    const webhooks = new WebhookSender({
      database,
      config,
      log,
      sealer,
      targets: webhookTargets,
      // Each surface's task view; the webhook for a task is rendered in the shape of the surface it came from.
      views: { seed: seedTaskView },
    });
    const vendorCallbacks = new VendorCallbacks(secret, () => config.PUBLIC_URL);
    const deps: CoreDeps = {
      database,
      channels: new ChannelDirectory(database, sealer),
      wire,
      config,
      log,
      // The ended task's webhook is already in the outbox (same transaction): send it now.
      onTaskEnded: () => webhooks.wake(),
      vendorCallbackUrl: (jobId) => vendorCallbacks.urlFor(jobId),
    };
    const runner = new JobRunner(deps);
    const poller = new Poller(deps, runner);
    const admin = await prepareAdminToken(database.db, config.REELAY_ADMIN_TOKEN);

    const app: FastifyInstance = Fastify({
      loggerInstance: log as FastifyBaseLogger,
      bodyLimit: config.BODY_LIMIT_BYTES,
      // One line per request is noise at production volumes; debug brings it back.
      logController: new LogController({
        disableRequestLogging: !['debug', 'trace'].includes(config.LOG_LEVEL),
      }),
    });
    const gateway = new Gateway(
      config,
      deps,
      runner,
      poller,
      webhooks,
      webhookTargets,
      vendorCallbacks,
      sealer,
      app,
      admin.generated,
    );
    installErrorHandling(app);
    app.get('/healthz', async () => {
      await database.db.selectFrom('settings').select('key').limit(1).execute();
      return { status: 'ok' };
    });
    await app.register(seedApi(gateway));
    await app.register(vendorCallbacksApi(gateway));
    await app.register(
      async (adminApp) => {
        adminApp.addHook('onRequest', async (request) => admin.check(request));
        await adminApp.register(adminUsers(gateway));
        await adminApp.register(adminChannels(gateway));
        await adminApp.register(adminBilling(gateway));
        await adminApp.register(adminWebhooks(gateway));
      },
      { prefix: '/admin/v1' },
    );
    return gateway;
  }

  /** Starts serving HTTP and following tasks; returns the base URL. */
  async listen(port = this.config.PORT, host = this.config.HOST): Promise<string> {
    await this.app.listen({ port, host });
    this.poller.start();
    this.webhooks.start();
    const address = this.app.server.address();
    const boundPort = typeof address === 'object' && address ? address.port : port;
    return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${boundPort}`;
  }

  /** Graceful stop: no new requests, in-flight submits and polls finish, then the database closes. */
  async close(): Promise<void> {
    await this.app.close();
    await this.poller.stop();
    await this.webhooks.stop();
    await this.deps.wire.close();
    await this.deps.database.close();
  }
}
