/**
 * Tells a client's callback_url that its task ended: a POST of the task in the seed's query shape, with the
 * public task id. Retried a few times in memory; not yet durable across restarts (see the webhooks issue).
 */
import type { Logger } from 'pino';
import { request } from 'undici';
import type { Database } from '../store/db.js';
import { findTask } from '../store/tasks.js';
import type { ResultLinks } from './content-links.js';
import { seedTaskView } from './task.js';

const retryDelaysMs = [1_000, 5_000, 30_000, 120_000];

export class TaskNotifier {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly database: Database,
    private readonly log: Logger,
    /** Links as seen from outside (PUBLIC_URL): the payload leaves Reelay. */
    private readonly links: () => ResultLinks,
    private readonly delaysMs: number[] = retryDelaysMs,
  ) {}

  async taskEnded(taskId: string): Promise<void> {
    const found = await findTask(this.database, taskId);
    if (!found?.task.callback_url) return;
    await this.deliver(found.task.callback_url, JSON.stringify(seedTaskView(found, this.links())), taskId, 0);
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private async deliver(url: string, body: string, taskId: string, attempt: number): Promise<void> {
    try {
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Reelay-Callback/1' },
        body,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) {
        this.log.info({ task: taskId, attempt }, 'callback delivered');
        return;
      }
      this.retry(url, body, taskId, attempt, `HTTP ${res.statusCode}`);
    } catch (err) {
      this.retry(url, body, taskId, attempt, err instanceof Error ? err.message : String(err));
    }
  }

  private retry(url: string, body: string, taskId: string, attempt: number, reason: string): void {
    const delay = this.delaysMs[attempt];
    if (delay === undefined) {
      this.log.warn({ task: taskId, reason }, 'callback not delivered; giving up');
      return;
    }
    this.log.warn({ task: taskId, reason, retryInMs: delay }, 'callback failed; will retry');
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.deliver(url, body, taskId, attempt + 1);
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }
}
