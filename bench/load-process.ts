/**
 * The load generator, in a process of its own so it never shares an event loop with what it measures: autocannon
 * drives the requests; latencies are taken from its per-response timings (sub-millisecond, where autocannon's
 * own histogram rounds to whole milliseconds).
 */
import autocannon from 'autocannon';
import { serveParent } from './child.js';
import { percentile } from './context.js';

export interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  requests: number;
  /** 2xx answers per second. */
  rps: number;
  /** Response bytes per second (2xx). */
  bytesPerSecond: number;
  /** Milliseconds, over 2xx answers. */
  latency: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Answers that were not 2xx, and connection errors or timeouts. */
  failures: number;
}

function run(options: LoadOptions): Promise<LoadResult> {
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationSeconds,
        method: options.method ?? 'GET',
        headers: options.headers,
        body: options.body,
        timeout: 30,
      },
      (err, result) => {
        if (err) return reject(err);
        const sorted = latencies.subarray(0, count).sort();
        const seconds = options.durationSeconds;
        resolve({
          requests: result['2xx'],
          rps: result['2xx'] / seconds,
          bytesPerSecond: result.throughput.total / seconds,
          latency: {
            p50: percentile(sorted, 50),
            p90: percentile(sorted, 90),
            p99: percentile(sorted, 99),
            max: sorted[sorted.length - 1] ?? NaN,
            mean: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
          },
          failures: result.non2xx + result.errors + result.timeouts,
        });
      },
    );
    instance.on('response', (_client, statusCode: number, _bytes: number, responseTime: number) => {
      if (statusCode < 200 || statusCode >= 300) return;
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = responseTime;
    });
  });
}

serveParent({ run, stop: () => undefined });
