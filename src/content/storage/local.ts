/** ContentStorage in a local directory: one file per key, written to a temporary name and renamed into place. */
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { assertStorageKey, limitedTo, type ByteRange, type ContentStorage } from './storage.js';

export class LocalDirectoryStorage implements ContentStorage {
  /** Directories this process made or found: creating one costs more than writing a small file (benchmarks). */
  private readonly knownDirectories = new Set<string>();
  /** Numbers this process's temporary files (random bytes per file showed in the copier's profile). */
  private partials = 0;

  constructor(private readonly root: string) {}

  async put(key: string, body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<number> {
    const path = this.pathOf(key);
    const directory = dirname(path);
    if (!this.knownDirectories.has(directory)) {
      await mkdir(directory, { recursive: true });
      this.knownDirectories.add(directory);
    }
    // A reader never sees half a file: the bytes land under a temporary name first.
    const partial = `${path}.${process.pid}-${++this.partials}.partial`;
    const counted = { bytes: 0 };
    try {
      // writeFile takes the chunks as they come; a pipeline into a write stream cost an AbortError per file.
      await writeFile(partial, limitedTo(body, maxBytes, counted), { mode: 0o600 });
      await rename(partial, path);
      return counted.bytes;
    } catch (err) {
      // Removed behind this process's back: made again on the next attempt.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') this.knownDirectories.delete(directory);
      await rm(partial, { force: true });
      throw err;
    }
  }

  async size(key: string): Promise<number | null> {
    try {
      return (await stat(this.pathOf(key))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    return createReadStream(this.pathOf(key), range ? { start: range.start, end: range.end } : {});
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  private pathOf(key: string): string {
    assertStorageKey(key);
    return join(this.root, key);
  }
}
