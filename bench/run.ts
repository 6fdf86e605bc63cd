/**
 * `npm run bench`: measures Reelay against its baselines on this machine, in one run, and prints a table plus a
 * JSON file (bench/results/). `--quick` uses smaller sizes and shorter runs; `--only=query,submit,poller,content`
 * picks scenarios; `--tasks=10000,100000` sets the poller's sizes; `--callbacks=off|on` runs the poller in one
 * mode only; `--repeat=3` runs each poller case three times (median and worst); `--database=postgres` runs the
 * poller on PostgreSQL (DATABASE_URL, or the local one) with `--instances=1,2` gateways; `--out=FILE` names the
 * JSON file; `--keep` keeps the processes' logs and data. See docs/benchmarks.md.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { packageRoot } from '../src/package-root.js';
import { BenchContext, type Row, type ScenarioResult } from './context.js';
import { contentPath } from './scenarios/content.js';
import { pollerAtScale } from './scenarios/poller.js';
import { queryPath } from './scenarios/query.js';
import { submitPath } from './scenarios/submit.js';

const scenarios: Record<string, (ctx: BenchContext) => Promise<ScenarioResult>> = {
  query: queryPath,
  submit: submitPath,
  poller: pollerAtScale,
  content: contentPath,
};

function option(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const only = option('only')?.split(',') ?? Object.keys(scenarios);
const unknown = only.filter((name) => !(name in scenarios));
if (unknown.length > 0) {
  console.error(`unknown scenario ${unknown.join(', ')}; choose from ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
const resultsDir = join(packageRoot, 'bench/results');
const out = option('out') ?? join(resultsDir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);

function printTable(rows: Row[]): void {
  const header: Row = {
    scenario: 'scenario',
    case: 'case',
    reelay: 'Reelay',
    baseline: 'baseline',
    comparison: 'Reelay vs baseline',
    target: 'target',
    met: null,
  };
  const columns = ['scenario', 'case', 'reelay', 'baseline', 'comparison', 'target'] as const;
  const widths = columns.map((c) => Math.max(...[header, ...rows].map((r) => r[c].length)));
  const line = (r: Row, mark: string) =>
    columns.map((c, i) => r[c].padEnd(widths[i]!)).join(' | ') + ` | ${mark}`;
  console.log(line(header, 'met'));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-') + '-|----');
  for (const row of rows) console.log(line(row, row.met === null ? '' : row.met ? 'yes' : 'NO'));
}

const callbacks = option('callbacks');
const postgres = option('database') === 'postgres';
const ctx = BenchContext.create(
  quick,
  option('tasks')?.split(',').map(Number) ?? null,
  callbacks === undefined ? null : [callbacks === 'on'],
  {
    repeat: Number(option('repeat') ?? 1),
    postgresUrl: postgres ? (process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test') : null,
    instances: option('instances')?.split(',').map(Number) ?? [1],
  },
);
const started = Date.now();
const results: Record<string, ScenarioResult> = {};
try {
  for (const name of only) {
    console.error(`[bench] ${name}${quick ? ' (quick)' : ''}…`);
    const scenarioStarted = Date.now();
    results[name] = await scenarios[name]!(ctx);
    await ctx.close();
    console.error(`[bench] ${name} done in ${((Date.now() - scenarioStarted) / 1000).toFixed(0)} s`);
  }
} catch (err) {
  console.error(`[bench] failed; process logs are in ${ctx.workDir}`);
  throw err;
} finally {
  await ctx.close();
}

const rows = Object.values(results).flatMap((r) => r.rows);
console.log('');
printTable(rows);
const report = {
  startedAt: new Date(started).toISOString(),
  seconds: Math.round((Date.now() - started) / 1000),
  quick,
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryBytes: totalmem(),
    node: process.version,
  },
  rows,
  scenarios: Object.fromEntries(Object.entries(results).map(([name, r]) => [name, r.details])),
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
console.log(`\nJSON: ${out}`);
if (process.argv.includes('--keep') || process.env.BENCH_CPU_PROF) {
  console.log(`Logs, data and CPU profiles (BENCH_CPU_PROF): ${ctx.workDir}`);
} else rmSync(ctx.workDir, { recursive: true, force: true });
const missed = rows.filter((r) => r.met === false).length;
if (missed > 0) console.log(`${missed} target${missed > 1 ? 's' : ''} missed`);
// Exits itself: keep-alive sockets to the children that ended need not be waited for.
process.exit(0);
