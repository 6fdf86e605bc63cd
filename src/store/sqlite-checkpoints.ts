/**
 * SQLite's checkpoints, off the event loop. In WAL mode a commit only appends to the log; the checkpoint that
 * copies the log back into the database file is what waits for the disk (fsync), and by SQLite's default the
 * committing connection runs it: the gateway's one thread then stood still for tens of milliseconds per
 * checkpoint, for seconds on a busy disk (docs/benchmarks.md). Here a worker thread with a connection of its own
 * checkpoints every `intervalMs` instead (PASSIVE: it never waits for, nor blocks, the gateway's reads and
 * writes), and the gateway's connection keeps only a far larger automatic threshold as a safety net, should the
 * worker fall behind.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The gateway's own connection checkpoints only past this many log pages (4 KiB each): 40 MiB. */
export const safetyNetPages = 10_000;

/** The worker, as a CommonJS script of its own (evaluated, so that it needs no file beside the built ones). */
const workerScript = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    parentPort.postMessage({ failed: String(err) });
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export class SqliteCheckpoints {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  /** `onFailure` hears of a checkpoint that failed (the next one tries again; the safety net stays). */
  constructor(file: string, intervalMs: number, onFailure: (reason: string) => void) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(workerScript, {
      eval: true,
      workerData: { file, intervalMs, driver },
      // It holds a connection and a timer: a few MB, not the gateway's heap.
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    });
    this.worker.on('message', (message: { failed?: string }) => {
      if (message.failed) onFailure(message.failed);
    });
    this.worker.on('error', (err) => onFailure(String(err)));
    // An idle gateway may end while the worker waits for its next turn.
    this.worker.unref();
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
  }

  /** Stops checkpointing and closes the worker's connection (before the gateway's, whose close checkpoints). */
  async stop(): Promise<void> {
    this.worker.postMessage('stop');
    await this.exited;
  }
}
