/** Assembles Reelay: config → database → core (channels, jobs, poller) → HTTP app. Used by server, demo and tests. */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import type { Config } from './config.js';
import { HealthBoard } from './channels/health.js';
import { ChannelLimits } from './channels/limits.js';
import { PostgresSharedGate } from './channels/shared-limits.js';
import { SharedCircuits } from './channels/shared-circuits.js';
import { ChannelDirectory } from './channels/directory.js';
import { ContentService } from './content/service.js';
import { ContentLinks, type ResultLinks } from './content/links.js';
import { EndedTasks } from './tasks/ended-tasks.js';
import type { EngineDeps } from './engine/deps.js';
import { JobRunner } from './engine/job-runner.js';
import { TaskChanges } from './tasks/task-changes.js';
import { TaskService } from './tasks/service.js';
import { adminService, type AdminService } from './admin/service.js';
import { Poller } from './engine/poller.js';
import { ResultCopier } from './engine/result-copier.js';
import { openaiVideoView } from './http/openai/view.js';
import { generationsTaskView } from './http/generations/view.js';
import { klingTaskView } from './http/native/kling/view.js';
import { viduCreationsView } from './http/native/vidu/view.js';
import { klingNativeApi } from './http/native/kling/routes.js';
import { viduNativeApi } from './http/native/vidu/routes.js';
import { VendorCallbacks } from './security/vendor-callback-tokens.js';
import { WebhookSender } from './engine/webhook-sender.js';
import { adminBilling } from './http/admin/billing.js';
import { adminChannels } from './http/admin/channels.js';
import { prepareAdminToken } from './http/admin/auth.js';
import { adminUsers } from './http/admin/users.js';
import { installAdminAuditTrail } from './http/admin/audit-log.js';
import { adminTasks } from './http/admin/tasks.js';
import { adminUsageSeries } from './http/admin/usage-series.js';
import { adminVendors } from './http/admin/vendors.js';
import { adminWebhooks } from './http/admin/webhooks.js';
import { accountApi } from './http/account/routes.js';
import { modelsApi } from './http/account/models.js';
import { ApiKeyAuth, throttled } from './http/auth.js';
import { FailedAuthThrottle } from './security/auth-throttle.js';
import { consoleApp } from './http/console.js';
import { frameworkErrors, installErrorHandling } from './http/errors.js';
import { installJsonBodies } from './http/json-body.js';
import { lazyRequestLogger } from './http/request-logger.js';
import { openaiVideos } from './http/openai/routes.js';
import { generationsApi } from './http/generations/routes.js';
import { answerBeforeRouter, TaskQueryFastPath } from './http/generations/task-query.js';
import { vendorCallbacksApi } from './http/vendor-callbacks.js';
import { buildOpenApiDocument, recordRoutes, type RegisteredRoute } from './http/openapi/document.js';
import { apiReference } from './http/openapi/routes.js';
import { apiDoc } from './http/openapi/route-doc.js';
import { z } from 'zod';
import { GuardedFetch } from './security/fetch-guard.js';
import { loadOrCreateSecret } from './security/secrets.js';
import { Sealer } from './security/sealing.js';
import { requestLogView } from './security/log-redaction.js';
import { WebhookTargetPolicy } from './security/webhook-targets.js';
import { openContentStorage } from './content/storage/open.js';
import { findApiKeyByHash } from './store/accounts.js';
import { openDatabase, type Database, type OpenOptions } from './store/db.js';
import { Wire } from './vendors/wire.js';
import { Metrics } from './observability/metrics.js';
import { installRequestMetrics, metricsRoute, serveMetricsPort } from './http/metrics.js';
import { pendingCopies, pendingDeliveries } from './store/backlogs.js';
import type { Server } from 'node:http';
import { packageVersion } from './package-root.js';

export interface GatewayOptions {
  logger?: Logger;
  database?: OpenOptions;
  /** Called with the HTTP app before any route exists, so its hooks see every route (tests' response checks). */
  instrument?: (app: FastifyInstance) => void;
}

/** The parts a gateway is made of, by name: what routes, tests and the demo reach for. */
export interface GatewayParts {
  config: Config;
  deps: EngineDeps;
  runner: JobRunner;
  poller: Poller;
  copier: ResultCopier;
  webhooks: WebhookSender;
  webhookTargets: WebhookTargetPolicy;
  vendorCallbacks: VendorCallbacks;
  sealer: Sealer;
  links: ContentLinks;
  apiKeys: ApiKeyAuth;
  endedTasks: EndedTasks;
  tasks: TaskService;
  /** Ended tasks' reads answered before Fastify's router; null while every request is logged (LOG_LEVEL debug). */
  taskQueries: TaskQueryFastPath | null;
  /** What the admin API and the account routes read and change. */
  admin: AdminService;
  app: FastifyInstance;
  metrics: Metrics;
  /** Every route as registered, with its OpenAPI description (http/openapi/route-doc.ts) when it has one. */
  routes: RegisteredRoute[];
  /** Set on the first start without REELAY_ADMIN_TOKEN: print it once, it is not stored. */
  generatedAdminToken: string | null;
}

export class Gateway implements GatewayParts {
  readonly config: Config;
  readonly deps: EngineDeps;
  readonly runner: JobRunner;
  readonly poller: Poller;
  readonly copier: ResultCopier;
  readonly webhooks: WebhookSender;
  readonly webhookTargets: WebhookTargetPolicy;
  readonly vendorCallbacks: VendorCallbacks;
  readonly sealer: Sealer;
  readonly links: ContentLinks;
  readonly apiKeys: ApiKeyAuth;
  readonly endedTasks: EndedTasks;
  readonly tasks: TaskService;
  readonly taskQueries: TaskQueryFastPath | null;
  readonly admin: AdminService;
  readonly app: FastifyInstance;
  readonly metrics: Metrics;
  private metricsServer: Server | null = null;
  readonly routes: RegisteredRoute[];
  readonly generatedAdminToken: string | null;

  private constructor(parts: GatewayParts) {
    ({
      config: this.config,
      deps: this.deps,
      runner: this.runner,
      poller: this.poller,
      copier: this.copier,
      webhooks: this.webhooks,
      webhookTargets: this.webhookTargets,
      vendorCallbacks: this.vendorCallbacks,
      sealer: this.sealer,
      links: this.links,
      apiKeys: this.apiKeys,
      endedTasks: this.endedTasks,
      tasks: this.tasks,
      taskQueries: this.taskQueries,
      admin: this.admin,
      app: this.app,
      metrics: this.metrics,
      routes: this.routes,
      generatedAdminToken: this.generatedAdminToken,
    } = parts);
  }

  static async create(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
    const log =
      options.logger ??
      pino({ level: config.LOG_LEVEL, redact: ['req.headers.authorization', 'headers.authorization'] });
    const database: Database = await openDatabase(config.DATABASE_URL, {
      ...options.database,
      warn: (message) => log.warn(message),
    });
    const secret = loadOrCreateSecret(config.REELAY_DATA_DIR, config.REELAY_SECRET);
    const sealer = new Sealer(secret, config.REELAY_SECRET_PREVIOUS ? [config.REELAY_SECRET_PREVIOUS] : []);
    if (database.dialect === 'postgres' && !config.REELAY_SECRET)
      log.warn(
        `PostgreSQL with the sealing key in ${config.REELAY_DATA_DIR}/secret.key: every instance sharing the database needs the same key, and a backup of the database is readable with that directory's. Set REELAY_SECRET on every instance (docs/security.md).`,
      );
    const metrics = new Metrics();
    const links = new ContentLinks(secret, config.CONTENT_LINK_TTL_SECONDS);
    const wire = new Wire({
      connectMs: config.VENDOR_CONNECT_TIMEOUT_MS,
      firstByteMs: config.VENDOR_TIMEOUT_MS,
      totalMs: config.VENDOR_TIMEOUT_MS,
    });
    const channels = new ChannelDirectory(database, sealer, config.CACHE_TTL_MS);
    const content = new ContentService({
      config,
      database,
      storage: await openContentStorage(config),
      fetch: new GuardedFetch({
        connectMs: config.VENDOR_CONNECT_TIMEOUT_MS,
        idleMs: config.VENDOR_TIMEOUT_MS,
      }),
      signContext: wire,
      channels,
      log,
    });
    // Webhooks leave Reelay: their links need an address from outside, PUBLIC_URL or else where Reelay listens.
    const outsideLinks = (): ResultLinks => links.forBase(config.PUBLIC_URL ?? gateway.ownUrl());
    const webhookTargets = new WebhookTargetPolicy(config.WEBHOOK_ALLOWED_NETWORKS);
    const webhooks = new WebhookSender({
      database,
      config,
      log,
      sealer,
      targets: webhookTargets,
      metrics,
      // Each surface's task view; the webhook for a task is rendered in the shape of the surface it came from.
      views: {
        generations: (task) => generationsTaskView(task, outsideLinks()),
        openai: openaiVideoView,
        // Kling and Vidu call back with their query answer's data.
        kling: (task) => klingTaskView(task, outsideLinks()),
        vidu: (task) => viduCreationsView(task, outsideLinks()),
      },
    });
    const vendorCallbacks = new VendorCallbacks(secret, () => config.PUBLIC_URL);
    const health = new HealthBoard({
      failureThreshold: config.CIRCUIT_FAILURE_THRESHOLD,
      openMs: config.CIRCUIT_OPEN_MS,
      window: 50,
    });
    const sharedCircuits = database.capabilities.severalWriters
      ? new SharedCircuits(database, health, (err) => log.warn({ err }, 'shared circuits: database trouble'))
      : null;
    const deps: EngineDeps = {
      database,
      channels,
      health,
      limits: new ChannelLimits(
        config.CHANNEL_QUEUE_LIMIT,
        database.capabilities.severalWriters
          ? // A slot outlives any vendor call (VENDOR_TIMEOUT_MS bounds each) before a killed holder loses it.
            new PostgresSharedGate(database, 2 * config.VENDOR_TIMEOUT_MS + 5_000, (err) =>
              log.warn({ err }, 'shared channel limits: database trouble, retrying'),
            )
          : null,
      ),
      wire,
      config,
      log,
      metrics,
      content,
      // The ended task's webhook is already in the outbox (same transaction): send it now.
      onWebhookQueued: () => webhooks.wake(),
      onCopyQueued: () => copier.wake(),
      vendorCallbackUrl: (jobId, channelId) => vendorCallbacks.urlFor(jobId, channelId),
    };
    const runner = new JobRunner(deps);
    const poller = new Poller(deps, runner);
    const copier = new ResultCopier(deps, () => poller.lateness());
    const admin = adminService(database);
    const adminToken = await prepareAdminToken(admin, config.REELAY_ADMIN_TOKEN);
    const endedTasks = new EndedTasks(database, config.CACHE_TTL_MS);
    const taskChanges = new TaskChanges();
    const authThrottle = new FailedAuthThrottle(
      config.AUTH_FAILURE_LIMIT,
      config.AUTH_FAILURE_WINDOW_SECONDS * 1000,
    );
    const apiKeys = new ApiKeyAuth(
      (keyHash) => findApiKeyByHash(database, keyHash),
      config.CACHE_TTL_MS,
      authThrottle,
    );
    const tasks = new TaskService(deps, runner, endedTasks, content, taskChanges);
    // One line per request is noise at production volumes; debug brings it back.
    const logsEveryRequest = ['debug', 'trace'].includes(config.LOG_LEVEL);

    const app: FastifyInstance = Fastify({
      // Every request's logger writes URLs without the secrets some carry (security/log-redaction.ts). Set once
      // here, not per request: a child logger given serializers rebuilds them, on every request (the query path's
      // profile). Requests' children inherit it (no route sets logSerializers, which would replace it).
      loggerInstance: log.child({}, { serializers: { req: requestLogView } }) as FastifyBaseLogger,
      // Built when a request first logs: most never do (src/http/request-logger.ts).
      childLoggerFactory: lazyRequestLogger,
      bodyLimit: config.BODY_LIMIT_BYTES,
      trustProxy: config.TRUST_PROXY,
      frameworkErrors,

      logController: new LogController({ disableRequestLogging: !logsEveryRequest }),
    });
    const routes = recordRoutes(app);
    options.instrument?.(app);
    const gateway: Gateway = new Gateway({
      config,
      deps,
      runner,
      poller,
      copier,
      webhooks,
      webhookTargets,
      vendorCallbacks,
      sealer,
      links,
      apiKeys,
      endedTasks,
      tasks,
      // Fastify would log each request it answers: while it does, it answers them all.
      taskQueries: logsEveryRequest
        ? null
        : new TaskQueryFastPath({ config, apiKeys, tasks, links, metrics }),
      app,
      metrics,
      routes,
      admin,
      generatedAdminToken: adminToken.generated,
    });
    // What another instance changed reaches this one's caches at once (PostgreSQL LISTEN/NOTIFY).
    database.changes.subscribe({
      onChange: ({ topic, id }) => {
        if (topic === 'api_key') gateway.apiKeys.forget();
        else if (topic === 'channel') channels.invalidate();
        else if (topic === 'task') endedTasks.forget(id);
        else if (topic === 'circuit') void sharedCircuits?.refresh(id);
        else if (topic === 'task_state') taskChanges.changed(id);
      },
      onMissed: () => {
        gateway.apiKeys.forget();
        channels.invalidate();
        endedTasks.forgetAll();
        taskChanges.anyChanged();
        void sharedCircuits?.refresh();
      },
    });
    await sharedCircuits?.refresh();
    await database.changes.start((err) =>
      log.warn({ err }, 'change notifications interrupted; reconnecting (caches start afresh)'),
    );
    installErrorHandling(app);
    installJsonBodies(app);
    installRequestMetrics(app, metrics);
    if (gateway.taskQueries) answerBeforeRouter(app.server, gateway.taskQueries);
    metrics.observe({
      channels: async () =>
        (await channels.list()).map((channel) => ({
          channel,
          circuit: health.view(channel.id).state,
          queued: deps.limits.queued(channel.id),
        })),
      outboxDepth: () => pendingDeliveries(database),
      copiesPending: () => pendingCopies(database),
      pollsInFlight: () => poller.inFlight,
    });
    await app.register(
      metricsRoute(metrics, (request) => throttled(authThrottle, request, () => adminToken.check(request))),
    );
    const healthDoc = apiDoc({
      summary: 'Liveness: the database answers',
      tag: 'operations',
      security: 'none',
      responses: { 200: { description: 'Up', schema: z.object({ status: z.literal('ok') }) } },
    });
    app.get('/healthz', healthDoc, async () => {
      await database.db.selectFrom('settings').select('key').limit(1).execute();
      return { status: 'ok' };
    });
    await app.register(generationsApi(gateway));
    await app.register(openaiVideos(gateway));
    await app.register(klingNativeApi(gateway));
    await app.register(viduNativeApi(gateway));
    await app.register(vendorCallbacksApi(gateway));
    await app.register(accountApi(gateway));
    await app.register(modelsApi(gateway));
    await app.register(consoleApp());
    await app.register(apiReference(() => buildOpenApiDocument(routes, { version: packageVersion })));
    await app.register(
      async (adminApp) => {
        adminApp.addHook('onRequest', (request) =>
          throttled(authThrottle, request, () => adminToken.check(request)),
        );
        installAdminAuditTrail(adminApp, gateway);
        await adminApp.register(adminUsers(gateway));
        await adminApp.register(adminChannels(gateway));
        await adminApp.register(adminBilling(gateway));
        await adminApp.register(adminWebhooks(gateway));
        await adminApp.register(adminTasks(gateway));
        await adminApp.register(adminUsageSeries(gateway));
        await adminApp.register(adminVendors(gateway));
      },
      { prefix: '/admin/v1' },
    );
    return gateway;
  }

  /** Starts serving HTTP and following tasks; returns the base URL. */
  async listen(port = this.config.PORT, host = this.config.HOST): Promise<string> {
    await this.app.listen({ port, host });
    if (this.config.METRICS_PORT !== undefined)
      this.metricsServer = await serveMetricsPort(this.metrics, this.config.METRICS_PORT, host);
    this.poller.start();
    this.copier.start();
    this.webhooks.start();
    this.deps.content.startSweeping();
    return this.ownUrl();
  }

  /** Where this gateway listens, as a URL (loopback for a wildcard address). */
  ownUrl(): string {
    const address = this.app.server.address();
    if (typeof address !== 'object' || !address) return `http://127.0.0.1:${this.config.PORT}`;
    const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
    return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  }

  /** Graceful stop: no new requests, in-flight submits and polls finish, then the database closes. */
  async close(): Promise<void> {
    // A keep-alive connection whose last response ends after closing began would hold the close up for the
    // whole keep-alive timeout: let such connections go as soon as they are idle.
    const idleSweep = setInterval(() => this.app.server.closeIdleConnections(), 100);
    // Fastify answers every request from now on: 503 while it closes.
    if (this.taskQueries) this.taskQueries.enabled = false;
    await this.app.close().finally(() => clearInterval(idleSweep));
    this.metricsServer?.closeAllConnections();
    await new Promise((resolve) => (this.metricsServer ? this.metricsServer.close(resolve) : resolve(null)));
    await this.poller.stop();
    await this.copier.stop();
    await this.webhooks.stop();
    await this.deps.wire.close();
    await this.deps.content.close();
    await this.deps.database.close();
  }
}
