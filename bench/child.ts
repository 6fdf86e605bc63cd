/**
 * The benchmark's processes: every gateway, simulator, baseline server and load generator runs in its own child
 * process, driven over IPC (a method name and its parameters, answered with a result), so that each one's CPU
 * time and memory can be read from /proc without the others mixed in.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { execSync } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** node's flags in `npm start` (source maps, heap sizing): every process of the benchmark runs with them. */
const startFlags = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    scripts: { start: string };
  }
).scripts.start
  .split(/\s+/)
  .filter((word) => word.startsWith('--'));

interface Call {
  id: number;
  method: string;
  params: unknown;
}

type Answer = { id: number; result: unknown } | { id: number; error: string };

export interface Usage {
  /** User plus system CPU time since the process started. */
  cpuMs: number;
  rssBytes: number;
  /** The process's peak resident set size so far (VmHWM). */
  peakRssBytes: number;
}

const clockTicksPerSecond = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;

export class Child {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private exited: Promise<void>;

  private constructor(
    private readonly process: ChildProcess,
    readonly name: string,
  ) {
    process.on('message', (answer: Answer) => {
      const waiting = this.pending.get(answer.id);
      if (!waiting) return;
      this.pending.delete(answer.id);
      if ('error' in answer) waiting.reject(new Error(`${name}: ${answer.error}`));
      else waiting.resolve(answer.result);
    });
    this.exited = new Promise((resolve) =>
      process.once('exit', (code, signal) => {
        for (const waiting of this.pending.values())
          waiting.reject(new Error(`${name} exited (${code ?? signal}) before answering`));
        this.pending.clear();
        resolve();
      }),
    );
  }

  /**
   * Starts `script` (a compiled module next to this one, in dist/bench/) with node as `npm start` runs the gateway;
   * its output goes to `logFile` (or nowhere). With BENCH_CPU_PROF=<name>[,<name>…] the named processes write a
   * V8 CPU profile into `profileDir` when they stop.
   */
  static async start(script: string, name: string, logFile?: string, profileDir?: string): Promise<Child> {
    const output = logFile ? openSync(logFile, 'a') : 'ignore';
    const profiled = profileDir && (process.env.BENCH_CPU_PROF ?? '').split(',').includes(name);
    const child = fork(fileURLToPath(new URL(script, import.meta.url)), [], {
      execArgv: [...startFlags, ...(profiled ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
      serialization: 'advanced',
      stdio: ['ignore', output, output, 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`${name} exited (${code}) while starting`)));
    });
    return new Child(child, name);
  }

  call<T>(method: string, params: unknown = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.process.send({ id, method, params } satisfies Call);
    });
  }

  usage(): Usage {
    const pid = this.process.pid!;
    // /proc/<pid>/stat: utime and stime (fields 14 and 15) in clock ticks; read after the parenthesised name.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return {
      cpuMs: (ticks * 1000) / clockTicksPerSecond,
      rssBytes: kb('VmRSS') * 1024,
      peakRssBytes: kb('VmHWM') * 1024,
    };
  }

  /** Asks the process to shut down cleanly, then ends it if it has not gone within a few seconds. */
  async stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 15_000);
    await this.call('stop').catch(() => undefined);
    this.process.kill('SIGTERM');
    await this.exited;
    clearTimeout(timer);
  }
}

/** In a child: answers the parent's calls with these handlers, then tells the parent it is ready. */
export function serveParent(handlers: Record<string, (params: never) => unknown>): void {
  process.on('message', (call: Call) => {
    const handler = handlers[call.method];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`no method ${call.method}`);
        return handler(call.params as never);
      })
      .then(
        (result) => process.send!({ id: call.id, result } satisfies Answer),
        (err: unknown) =>
          process.send!({
            id: call.id,
            error: err instanceof Error ? (err.stack ?? err.message) : String(err),
          } satisfies Answer),
      );
  });
  process.on('SIGTERM', () => process.exit(0));
  // The benchmark was stopped (Ctrl-C, killed): its processes go with it, not on loading the machine.
  process.on('disconnect', () => process.exit(0));
  process.send!({ ready: true });
}

/** Samples a process's resident memory while something runs: the highest value seen. */
export async function sampleRss<T>(
  child: Child,
  work: () => Promise<T>,
  everyMs = 100,
): Promise<{ result: T; maxRssBytes: number; samples: number[] }> {
  const samples: number[] = [child.usage().rssBytes];
  const timer = setInterval(() => {
    try {
      samples.push(child.usage().rssBytes);
    } catch {
      // the process is gone
    }
  }, everyMs);
  try {
    const result = await work();
    samples.push(child.usage().rssBytes);
    return { result, maxRssBytes: Math.max(...samples), samples };
  } finally {
    clearInterval(timer);
  }
}
