/**
 * The HTTP request metrics, `reelay_http_requests_total` and `reelay_http_request_duration_seconds`, counted in
 * plain numbers per series: prom-client's labelled counters and histograms hash the labels on every call, which
 * cost the query path about as much as the rest of its own work (docs/benchmarks.md). They are exported through
 * the same registry, in the text prom-client writes for its Counter and Histogram (http-metrics.test.ts).
 */
import type { Counter, Registry } from 'prom-client';

/** One route, method and status. Kept by a route that answers often, it counts without any lookup. */
export interface HttpSeries {
  /** An answer that took `seconds`. */
  record(seconds: number): void;
}

interface Answers {
  labels: { route: string; method: string; status: string };
  value: number;
}

interface Durations {
  labels: { route: string; method: string };
  /** Answers per bucket (not cumulative), by the index of its upper bound. */
  buckets: number[];
  sum: number;
  count: number;
}

/** What prom-client's registry reads of a metric to write its text. */
interface Exported {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values(): { labels: Record<string, string | number>; value: number; metricName?: string }[];
  /** No series until answered again, as prom-client's reset (series kept by routes go on counting). */
  reset(): void;
}

function register(registry: Registry, { name, help, type, values, reset }: Exported): void {
  const read = { name, help, type, aggregator: 'sum' as const };
  // The registry reads any metric through these (it types prom-client's own classes only).
  registry.registerMetric({
    ...read,
    get: async () => ({ ...read, values: values() }),
    reset,
  } as unknown as Counter);
}

export class HttpRequestMetrics {
  private readonly series = new Map<string, HttpSeries>();
  private readonly durationsByRoute = new Map<string, Durations>();
  /** Series in the order of their first answer, as prom-client lists them. */
  private answers: Answers[] = [];
  private durations: Durations[] = [];

  constructor(
    registry: Registry,
    /** The histogram's upper bounds, ascending. */
    private readonly bounds: readonly number[],
  ) {
    register(registry, {
      name: 'reelay_http_requests_total',
      help: 'HTTP requests answered',
      type: 'counter',
      values: () => this.answers.map(({ labels, value }) => ({ labels, value })),
      reset: () => {
        for (const answers of this.answers) answers.value = 0;
        this.answers = [];
      },
    });
    const name = 'reelay_http_request_duration_seconds';
    register(registry, {
      name,
      help: 'Time to answer an HTTP request',
      type: 'histogram',
      values: () => this.durations.flatMap((durations) => this.histogramValues(name, durations)),
      reset: () => {
        for (const durations of this.durations)
          Object.assign(durations, { sum: 0, count: 0 }).buckets.fill(0);
        this.durations = [];
      },
    });
  }

  /** The series of one route (its template), method and status; made on first use. */
  seriesOf(route: string, method: string, status: number): HttpSeries {
    const key = `${method} ${status} ${route}`;
    let series = this.series.get(key);
    if (!series) {
      series = this.newSeries(route, method, String(status));
      this.series.set(key, series);
    }
    return series;
  }

  private newSeries(route: string, method: string, status: string): HttpSeries {
    const answers: Answers = { labels: { route, method, status }, value: 0 };
    const routeKey = `${method} ${route}`;
    let durations = this.durationsByRoute.get(routeKey);
    if (!durations) {
      durations = { labels: { route, method }, buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.durationsByRoute.set(routeKey, durations);
    }
    const { bounds } = this;
    const inRoute = durations;
    return {
      record: (seconds) => {
        if (answers.value++ === 0) this.answers.push(answers);
        if (inRoute.count++ === 0) this.durations.push(inRoute);
        inRoute.sum += seconds;
        // Above the last bound it counts only in +Inf (the count).
        for (let i = 0; i < bounds.length; i++) {
          if (seconds <= bounds[i]!) {
            inRoute.buckets[i]!++;
            break;
          }
        }
      },
    };
  }

  private histogramValues(name: string, { labels, buckets, sum, count }: Durations) {
    let cumulative = 0;
    return [
      ...this.bounds.map((le, i) => ({
        labels: { le, ...labels },
        value: (cumulative += buckets[i]!),
        metricName: `${name}_bucket`,
      })),
      { labels: { le: '+Inf', ...labels }, value: count, metricName: `${name}_bucket` },
      { labels, value: sum, metricName: `${name}_sum` },
      { labels, value: count, metricName: `${name}_count` },
    ];
  }
}
