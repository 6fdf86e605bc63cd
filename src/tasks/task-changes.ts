/**
 * Wake-ups for whoever watches a task (event streams, waiting requests): the change feed (store/change-feed.ts)
 * says a task's status or progress moved, on this instance or another, and its watchers read it again at once
 * instead of every few hundred milliseconds each. A missed notice is covered by each watcher's slow re-check.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface TaskWatch {
  /**
   * Resolves when the task changed since the last call (at once if it already has), after `fallbackMs` at the
   * latest, or when `signal` aborts.
   */
  next(fallbackMs: number, signal: AbortSignal): Promise<void>;
  close(): void;
}

interface Watcher {
  changed: boolean;
  wake: (() => void) | null;
}

export class TaskChanges {
  private readonly watchers = new Map<string, Set<Watcher>>();

  /** Starts listening before the first read, so a change between that read and the first wait is not lost. */
  watch(taskId: string): TaskWatch {
    const watcher: Watcher = { changed: false, wake: null };
    const set = this.watchers.get(taskId) ?? new Set();
    set.add(watcher);
    this.watchers.set(taskId, set);
    return {
      next: async (fallbackMs, signal) => {
        if (watcher.changed) {
          watcher.changed = false;
          return;
        }
        const stopWaiting = new AbortController();
        const woken = new Promise<void>((resolve) => (watcher.wake = resolve));
        const onAbort = () => stopWaiting.abort();
        signal.addEventListener('abort', onAbort, { once: true });
        try {
          await Promise.race([woken, sleep(fallbackMs, undefined, { signal: stopWaiting.signal })]);
        } catch {
          // aborted: the watcher is done
        } finally {
          stopWaiting.abort();
          signal.removeEventListener('abort', onAbort);
          watcher.wake = null;
          watcher.changed = false;
        }
      },
      close: () => {
        set.delete(watcher);
        if (set.size === 0 && this.watchers.get(taskId) === set) this.watchers.delete(taskId);
      },
    };
  }

  /** The task's status or progress moved. */
  changed(taskId: string): void {
    for (const watcher of this.watchers.get(taskId) ?? []) wakeUp(watcher);
  }

  /** Notices may have been missed: every watcher reads again. */
  anyChanged(): void {
    for (const set of this.watchers.values()) for (const watcher of set) wakeUp(watcher);
  }

  /** Tasks watched now (tests and metrics). */
  get watchedTasks(): number {
    return this.watchers.size;
  }
}

function wakeUp(watcher: Watcher): void {
  watcher.changed = true;
  watcher.wake?.();
}
