/** The HTTP request metrics in plain numbers read exactly as prom-client's Counter and Histogram would. */
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HttpRequestMetrics } from './http-metrics.js';

const bounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** The same metrics with prom-client's own classes. */
function promClientMetrics(registry: Registry) {
  const counter = new Counter({
    name: 'reelay_http_requests_total',
    help: 'HTTP requests answered',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
  });
  const histogram = new Histogram({
    name: 'reelay_http_request_duration_seconds',
    help: 'Time to answer an HTTP request',
    labelNames: ['route', 'method'],
    buckets: bounds,
    registers: [registry],
  });
  return (route: string, method: string, status: number, seconds: number) => {
    counter.inc({ route, method, status: String(status) });
    histogram.observe({ route, method }, seconds);
  };
}

describe('HTTP request metrics', () => {
  it('write the text prom-client writes for the same answers, in the same order, and reset alike', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const http = new HttpRequestMetrics(ours, bounds);
    const record = promClientMetrics(theirs);
    // A series kept before anything is answered (as the task query keeps its own) is listed from its first answer.
    const kept = http.seriesOf('/v1/video/generations/:task_id', 'GET', 200);
    expect(await ours.metrics()).toBe(await theirs.metrics());

    const answers: [string, string, number, number][] = [
      ['/v1/videos', 'POST', 200, 0.0123],
      ['/v1/video/generations/:task_id', 'GET', 404, 0.0004],
      ['/v1/video/generations/:task_id', 'GET', 200, 0.005], // on a bound
      ['unmatched', 'GET', 404, 121], // above every bound
      ['/v1/video/generations/:task_id', 'HEAD', 200, 0.3],
    ];
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (const [route, method, status] of answers.slice()) {
      // Mostly fast, some slow: every bucket gets answers, in a mixed order.
      for (let i = 0; i < 100; i++) answers.push([route, method, status, random() ** 4 * 200]);
    }
    answers.sort(() => random() - 0.5);
    for (const [route, method, status, seconds] of answers) {
      record(route, method, status, seconds);
      if (route === '/v1/video/generations/:task_id' && method === 'GET' && status === 200)
        kept.record(seconds);
      else http.seriesOf(route, method, status).record(seconds);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());

    ours.resetMetrics();
    theirs.resetMetrics();
    expect(await ours.metrics()).toBe(await theirs.metrics());
    record('/v1/videos', 'GET', 200, 0.02);
    http.seriesOf('/v1/videos', 'GET', 200).record(0.02);
    record('/v1/video/generations/:task_id', 'GET', 200, 0.001);
    kept.record(0.001);
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});
