import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalDirectoryStorage } from './local.js';
import { ContentTooLargeError } from './storage.js';

async function* chunks(...parts: string[]) {
  for (const part of parts) yield Buffer.from(part);
}

describe('local directory storage', () => {
  let root: string;
  let storage: LocalDirectoryStorage;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'reelay-storage-'));
    storage = new LocalDirectoryStorage(root);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('stores, reads whole and by range, replaces and deletes', async () => {
    expect(await storage.put('job_1/video', chunks('hello ', 'world'), 100)).toBe(11);
    expect(await storage.size('job_1/video')).toBe(11);
    expect(await text(storage.read('job_1/video'))).toBe('hello world');
    expect(await text(storage.read('job_1/video', { start: 6, end: 10 }))).toBe('world');

    await storage.put('job_1/video', chunks('again'), 100);
    expect(await text(storage.read('job_1/video'))).toBe('again');

    await storage.delete('job_1/video');
    await storage.delete('job_1/video');
    expect(await storage.size('job_1/video')).toBeNull();
  });

  it('leaves nothing behind when the content runs past the limit', async () => {
    await expect(storage.put('job_2/video', chunks('12345', '67890'), 8)).rejects.toBeInstanceOf(
      ContentTooLargeError,
    );
    expect(await storage.size('job_2/video')).toBeNull();
    expect(readdirSync(join(root, 'job_2'))).toEqual([]);
  });

  it('refuses keys that could leave its directory', async () => {
    for (const key of ['../escape', 'a/../../b', '/absolute', 'a//b', '']) {
      await expect(storage.put(key, chunks('x'), 10)).rejects.toThrow(/invalid storage key/);
    }
  });
});
