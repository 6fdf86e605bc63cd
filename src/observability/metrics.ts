/**
 * Reelay's Prometheus metrics (prom-client), one registry per gateway. The hot paths make one cheap call each
 * (a counter increment, a histogram observation) with bounded labels: models, vendors, channels, route templates,
 * outcomes; never task ids, raw URLs or key ids. What the database holds (outbox depth, copies pending) is read
 * at scrape time, so every instance reports the same truth; counters are this instance's own (Prometheus sums
 * them across instances). docs/metrics.md lists every metric.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { HttpRequestMetrics, type HttpSeries } from './http-metrics.js';

export type VendorCallKind = 'submit' | 'poll' | 'lookup' | 'cancel' | 'download';
export type WebhookAttemptOutcome = 'delivered' | 'retrying' | 'failed';

/** A channel as metrics name it: by its name (operators read dashboards) and its vendor. */
export interface MeteredChannel {
  name: string;
  vendor: string;
}

/** What the scrape-time gauges read; each is asked once per scrape. */
export interface ScrapeSources {
  /** Every configured channel with its circuit state and the submits waiting in its limit queue. */
  channels(): Promise<{ channel: MeteredChannel; circuit: CircuitState; queued: number }[]>;
  /** Webhook deliveries still owed (pending), from the database. */
  outboxDepth(): Promise<number>;
  /** Succeeded jobs whose result is still to be copied into storage, from the database. */
  copiesPending(): Promise<number>;
  /** Polls this instance is running now. */
  pollsInFlight(): number;
}

type CircuitState = 'closed' | 'half_open' | 'open';
/** The circuit as a number a graph can draw: 0 closed (healthy), 1 half open (probing), 2 open (refusing). */
const circuitValue: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

/** Seconds buckets from 5 ms to 2 minutes: HTTP answers and vendor calls both live in this range. */
const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** Poll lag: on time is under a tick; minutes late means the poller cannot keep up. */
const lagBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export class Metrics {
  readonly registry = new Registry();
  private readonly http = new HttpRequestMetrics(this.registry, latencyBuckets);
  private readonly tasksCreated = this.counter('reelay_tasks_created_total', 'Tasks accepted', [
    'model',
    'surface',
  ]);
  private readonly tasksEnded = this.counter(
    'reelay_tasks_ended_total',
    'Tasks ended, by the vendor of the job that ended them and the outcome (succeeded, failed, cancelled)',
    ['model', 'vendor', 'outcome'],
  );
  private readonly vendorCalls = this.counter('reelay_vendor_calls_total', 'Calls to vendors', [
    'channel',
    'vendor',
    'kind',
    'outcome',
  ]);
  private readonly vendorCallDuration = this.histogram(
    'reelay_vendor_call_duration_seconds',
    'Time a vendor took to answer a call (not counting the wait for the channel limit)',
    ['channel', 'vendor', 'kind'],
    latencyBuckets,
  );
  private readonly pollLag = this.histogram(
    'reelay_poll_lag_seconds',
    'How late each poll started after its job came due',
    [],
    lagBuckets,
  );
  private readonly webhookAttempts = this.counter(
    'reelay_webhook_deliveries_total',
    'Webhook delivery attempts by what followed (delivered, retrying, failed: given up)',
    ['outcome'],
  );
  private readonly charged = this.counter(
    'reelay_ledger_charged_micro_units_total',
    'Money kept when tasks were settled, in the ledger unit (micro-units of the operator currency)',
    [],
  );
  private readonly refunded = this.counter(
    'reelay_ledger_refunded_micro_units_total',
    'Reservations given back in full when tasks failed, in the ledger unit (micro-units)',
    [],
  );

  httpRequest(route: string, method: string, status: number, seconds: number): void {
    this.http.seriesOf(route, method, status).record(seconds);
  }

  /** One route's answers with one method and status, for a route that keeps it: no lookup per answer. */
  httpSeries(route: string, method: string, status: number): HttpSeries {
    return this.http.seriesOf(route, method, status);
  }

  taskCreated(model: string, surface: string): void {
    this.tasksCreated.inc({ model, surface });
  }

  /** A task ended; with its settlement: `charged` kept, or (failed) `refunded` returned. */
  taskEnded(ended: {
    model: string;
    vendor: string;
    outcome: string;
    charged: number;
    refunded: number;
  }): void {
    this.tasksEnded.inc({ model: ended.model, vendor: ended.vendor, outcome: ended.outcome });
    if (ended.charged > 0) this.charged.inc(ended.charged);
    if (ended.refunded > 0) this.refunded.inc(ended.refunded);
  }

  vendorCall(channel: MeteredChannel, kind: VendorCallKind, outcome: string, seconds: number): void {
    const labels = { channel: channel.name, vendor: channel.vendor, kind };
    this.vendorCalls.inc({ ...labels, outcome });
    this.vendorCallDuration.observe(labels, seconds);
  }

  /** Runs a transfer from a vendor (a result's download), counted as a vendor call: `ok` or `error`. */
  async timeVendorCall<T>(channel: MeteredChannel, kind: VendorCallKind, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await work();
      this.vendorCall(channel, kind, 'ok', (performance.now() - started) / 1000);
      return result;
    } catch (err) {
      this.vendorCall(channel, kind, 'error', (performance.now() - started) / 1000);
      throw err;
    }
  }

  pollStarted(lagMs: number): void {
    this.pollLag.observe(Math.max(0, lagMs) / 1000);
  }

  webhookAttempt(outcome: WebhookAttemptOutcome): void {
    this.webhookAttempts.inc({ outcome });
  }

  /** Registers the gauges read at scrape time (once, by the gateway). */
  observe(sources: ScrapeSources): void {
    const channelGauge = (name: string, help: string, read: (row: ChannelReading) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['channel', 'vendor'],
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const row of await sources.channels())
            this.set({ channel: row.channel.name, vendor: row.channel.vendor }, read(row));
        },
      });
    channelGauge(
      'reelay_channel_circuit_state',
      'Circuit breaker per channel: 0 closed, 1 half open, 2 open',
      (row) => circuitValue[row.circuit],
    );
    channelGauge(
      'reelay_channel_queue_depth',
      'Submits waiting in the channel limit queue on this instance',
      (row) => row.queued,
    );
    this.scrapeGauge('reelay_webhook_outbox_depth', 'Webhook deliveries still owed', sources.outboxDepth);
    this.scrapeGauge(
      'reelay_copies_pending',
      'Succeeded results still to be copied into storage',
      sources.copiesPending,
    );
    this.scrapeGauge('reelay_polls_in_flight', 'Polls this instance is running now', async () =>
      sources.pollsInFlight(),
    );
  }

  /** The exposition: Prometheus text format. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private scrapeGauge(name: string, help: string, read: () => Promise<number>): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        this.set(await read());
      },
    });
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[]) {
    return new Counter<L>({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram<L extends string>(name: string, help: string, labelNames: L[], buckets: number[]) {
    return new Histogram<L>({ name, help, labelNames, buckets, registers: [this.registry] });
  }
}

type ChannelReading = Awaited<ReturnType<ScrapeSources['channels']>>[number];
