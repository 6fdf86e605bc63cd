/**
 * State shared by the vendor simulators: the task clock, the media files they serve, scripted faults and
 * request counters. Each vendor simulator (kling.ts, …) speaks its vendor's wire format on top of this.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import type { ClipRequest } from './clips.js';

export type Phase = 'submit' | 'poll';

/** A scripted misbehaviour, consumed by the next matching request (or task). */
export type Fault =
  /** Answer with this HTTP status and the vendor's usual error body for it. */
  | { type: 'http_error'; status: number }
  /** The vendor's rate-limit answer (HTTP 429 with its own code). */
  | { type: 'rate_limit' }
  /** The vendor's content-safety rejection at submit. */
  | { type: 'content_safety' }
  /** The vendor rejects the credentials even though they are right. */
  | { type: 'auth_error' }
  /** Answer normally, but only after this delay. */
  | { type: 'slow'; delayMs: number }
  /** The request reaches the vendor only after this delay (a slow network in front of it): nothing is done before. */
  | { type: 'slow_intake'; delayMs: number }
  /** HTTP 200 with a body that is not JSON. */
  | { type: 'garbage' }
  /** Close the connection without answering. */
  | { type: 'reset' }
  /** The next submitted task is accepted, then fails while generating with this reason. */
  | { type: 'task_fails'; reason?: string }
  /** The next submitted task succeeds with a video of this length, whatever was asked. */
  | { type: 'short_video'; durationSeconds: number }
  /** The next submitted task is accepted, then runs for ever (a vendor that loses track of it). */
  | { type: 'task_never_ends' };

export interface ScriptedFault {
  vendor: string;
  /** Which requests it applies to; task faults (`task_fails`, `short_video`) ignore this. */
  phase: Phase;
  fault: Fault;
  /** How many requests it affects before it is used up. */
  remaining: number;
}

export interface SimTask {
  id: string;
  vendor: string;
  createdAt: number;
  durationMs: number;
  failReason: string | null;
  /** Set when a `short_video` fault shortened this task's result. */
  deliveredSeconds: number | null;
  /** Whatever the vendor simulator wants to remember (request body, endpoint, …). */
  request: Record<string, unknown>;
}

export type SimStage = 'queued' | 'running' | 'succeeded' | 'failed';

export interface WorldOptions {
  /** How long a task takes from submit to done. */
  taskDurationMs: number;
  /** Extra random spread added to each task's duration (0 = every task takes exactly taskDurationMs). */
  taskJitterMs: number;
  /** How long after submit a vendor forgets a task (Jimeng then reports it expired); unset = the vendor's own. */
  taskExpiryMs?: number;
}

export class SimWorld {
  readonly tasks = new Map<string, SimTask>();
  readonly faults: ScriptedFault[] = [];
  /** Requests seen, by `${vendor}.${phase}`: lets tests check what reached the vendor. */
  readonly counters = new Map<string, number>();
  /** Calls being answered now, and the most seen at once, by vendor: lets tests check concurrency limits. */
  private readonly inFlight = new Map<string, number>();
  private readonly peaks = new Map<string, number>();
  /** Status queries in flight by URL (one task's), and how often a second came while one was: polled twice at once. */
  private readonly queriesInFlight = new Map<string, number>();
  overlappingQueries = 0;
  private readonly files = new Map<string, { expiresAt: number; clip: ClipRequest }>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(public options: WorldOptions) {}

  count(vendor: string, phase: Phase | string): void {
    const key = `${vendor}.${phase}`;
    this.counters.set(key, (this.counters.get(key) ?? 0) + 1);
  }

  requests(vendor: string, phase: Phase | string): number {
    return this.counters.get(`${vendor}.${phase}`) ?? 0;
  }

  callStarted(vendor: string): void {
    const now = (this.inFlight.get(vendor) ?? 0) + 1;
    this.inFlight.set(vendor, now);
    this.peaks.set(vendor, Math.max(now, this.peaks.get(vendor) ?? 0));
  }

  callEnded(vendor: string): void {
    this.inFlight.set(vendor, (this.inFlight.get(vendor) ?? 1) - 1);
  }

  queryStarted(url: string): void {
    const now = (this.queriesInFlight.get(url) ?? 0) + 1;
    if (now > 1) this.overlappingQueries++;
    this.queriesInFlight.set(url, now);
  }

  queryEnded(url: string): void {
    const now = (this.queriesInFlight.get(url) ?? 1) - 1;
    if (now === 0) this.queriesInFlight.delete(url);
    else this.queriesInFlight.set(url, now);
  }

  /** The most calls to this vendor that were in flight at the same moment. */
  peakInFlight(vendor: string): number {
    return this.peaks.get(vendor) ?? 0;
  }

  /** Script a fault; `count` requests (default 1) will see it. */
  inject(vendor: string, phase: Phase, fault: Fault, count = 1): void {
    this.faults.push({ vendor, phase, fault, remaining: count });
  }

  /** Takes the next fault scripted for this vendor and phase (never `task_fails`, which applies to tasks). */
  takeFault(vendor: string, phase: Phase): Fault | null {
    const index = this.faults.findIndex(
      (f) => f.vendor === vendor && f.phase === phase && !isTaskFault(f.fault),
    );
    return index === -1 ? null : this.consume(index);
  }

  createTask(vendor: string, request: Record<string, unknown>, id = newNumericId()): SimTask {
    const index = this.faults.findIndex((f) => f.vendor === vendor && isTaskFault(f.fault));
    const fault = index === -1 ? null : this.consume(index);
    const jitter = this.options.taskJitterMs > 0 ? Math.random() * this.options.taskJitterMs : 0;
    const task: SimTask = {
      id,
      vendor,
      createdAt: Date.now(),
      durationMs: fault?.type === 'task_never_ends' ? Infinity : this.options.taskDurationMs + jitter,
      failReason: fault?.type === 'task_fails' ? (fault.reason ?? 'generation failed') : null,
      deliveredSeconds: fault?.type === 'short_video' ? fault.durationSeconds : null,

      request,
    };
    this.tasks.set(id, task);
    return task;
  }

  /** Where a task is now: queued for the first fifth of its time, then running, then done. */
  stage(task: SimTask, now = Date.now()): SimStage {
    const elapsed = now - task.createdAt;
    // A task that never ends is queued for the world's usual fifth, then runs for ever.
    if (task.durationMs === Infinity) return elapsed < this.options.taskDurationMs / 5 ? 'queued' : 'running';
    if (elapsed >= task.durationMs) return task.failReason ? 'failed' : 'succeeded';
    return elapsed < task.durationMs / 5 ? 'queued' : 'running';
  }

  progress(task: SimTask, now = Date.now()): number {
    return Math.min(100, Math.floor(((now - task.createdAt) / task.durationMs) * 100));
  }

  /** The moment the task reached its end (for benchmarks: completion-to-visible delay). */
  finishedAt(task: SimTask): number {
    return task.createdAt + task.durationMs;
  }

  /**
   * Calls `report` with the task's stage when it starts running and when it ends: the status changes a vendor
   * that calls back reports.
   */
  onStageChange(task: SimTask, report: (stage: SimStage) => void): void {
    for (const boundary of [task.durationMs / 5, task.durationMs].filter(Number.isFinite)) {
      this.when(task.createdAt + boundary, () => report(this.stage(task)));
    }
  }

  /**
   * Runs `then` once the clock has passed `time`. A timer counts from the event loop's cached clock, which lags
   * the real one while the loop is busy: one set for the delay alone can fire before `time`, and a stage read
   * then has not changed yet (about 1% of 10,000 callbacks said "processing" at the end; docs/benchmarks.md).
   */
  private when(time: number, then: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (Date.now() < time) this.when(time, then);
      else then();
    }, time - Date.now());
    timer.unref();
    this.timers.add(timer);
  }

  /** POSTs a vendor's callback (counted as `<vendor>.callback`); the receiver's status, null when unreachable. */
  async callBack(vendor: string, url: string, body: unknown): Promise<number | null> {
    this.count(vendor, 'callback');
    try {
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      await res.body.dump();
      return res.statusCode;
    } catch {
      return null;
    }
  }

  /** Cancels the callbacks still to come. */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** Registers a result file, the clip `clip` asks for, and returns its path (served by server.ts until it expires). */
  publishVideo(ttlMs: number, clip: ClipRequest = {}): string {
    const name = randomBytes(12).toString('hex');
    this.files.set(name, { expiresAt: Date.now() + ttlMs, clip });
    return `/files/${name}.mp4`;
  }

  /** The clip a published file holds (clips.ts). */
  clipOf(name: string): ClipRequest {
    return this.files.get(name)?.clip ?? {};
  }

  fileIsLive(name: string): boolean {
    const file = this.files.get(name);
    return file !== undefined && file.expiresAt > Date.now();
  }

  /** Makes every published file expire now (tests of content that outlives vendor URLs). */
  expireAllFiles(): void {
    for (const file of this.files.values()) file.expiresAt = 0;
  }

  reset(): void {
    this.faults.length = 0;
    this.counters.clear();
  }

  private consume(index: number): Fault {
    const scripted = this.faults[index]!;
    scripted.remaining -= 1;
    if (scripted.remaining <= 0) this.faults.splice(index, 1);
    return scripted.fault;
  }
}

/** Faults that shape the next task rather than answer the next request. */
const isTaskFault = (fault: Fault) =>
  fault.type === 'task_fails' || fault.type === 'short_video' || fault.type === 'task_never_ends';

export function newNumericId(): string {
  // Kling and Jimeng task ids are long numeric strings.
  return (BigInt('0x' + randomBytes(8).toString('hex')) % 10n ** 18n).toString().padStart(18, '7');
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
