/**
 * What the CLI shows while it waits: on a terminal, a live bar (status, progress, elapsed time) and a byte bar for
 * the download (cli-progress, on stderr); elsewhere one plain line per change, so logs and pipes read well.
 */
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import cliProgress from 'cli-progress';
import { GatewayError, type Task } from './client.js';

const interactive = () => Boolean(process.stderr.isTTY);

/** The task's state in words: what the vendor is doing, as far as the gateway knows (its queue position too). */
function phase(task: Task): string {
  if (task.status !== 'processing') return task.status;
  if (task.progress > 0) return 'generating';
  return task.queue_position === undefined ? 'queued' : `queued (${task.queue_position} ahead)`;
}

export interface TaskDisplay {
  update(task: Task): void;
  stop(): void;
}

export function taskDisplay(): TaskDisplay {
  const started = Date.now();
  const elapsed = () => `${Math.round((Date.now() - started) / 1000)}s`;
  if (!interactive()) {
    let lastLine = '';
    return {
      update(task) {
        const line = `${task.task_id} ${phase(task)} ${task.progress}%`;
        if (line !== lastLine) process.stderr.write(`${line} (${elapsed()})\n`);
        lastLine = line;
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: '{task} {phase} |{bar}| {percentage}% | {time}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let shown = false;
  // The elapsed time moves on between the gateway's events.
  const ticker = setInterval(() => bar.update({ time: elapsed() }), 1000);
  return {
    update(task) {
      const payload = { task: task.task_id, phase: phase(task), time: elapsed() };
      if (!shown) bar.start(100, task.progress, payload);
      else bar.update(task.progress, payload);
      shown = true;
    },
    stop() {
      clearInterval(ticker);
      if (shown) bar.stop();
    },
  };
}

/** Downloads a video to `file`, with a byte bar on a terminal; returns the bytes written. */
export async function download(url: string, file: string): Promise<number> {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new GatewayError(`Download failed: HTTP ${res.status}`, res.status);
  const total = Number(res.headers.get('content-length') ?? 0);
  let received = 0;
  const bar = interactive()
    ? new cliProgress.SingleBar(
        { format: 'download |{bar}| {percentage}% | {value}/{total} bytes', hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(total || 1, 0);
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      bar?.update(Math.min(received, total || received));
      done(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
      counter,
      createWriteStream(file),
    );
  } finally {
    bar?.stop();
  }
  return received;
}
