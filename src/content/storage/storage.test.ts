/**
 * The storage contract, held by the local directory and by an S3-compatible bucket alike (s3rver, started here):
 * put, stream whole and by range, replace, delete (twice), missing objects, and nothing left over a size limit.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer, text } from 'node:stream/consumers';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { s3Credentials, startS3Server, type RunningS3Server } from '../../../test/support/s3-server.js';
import { LocalDirectoryStorage } from './local.js';
import { S3Storage } from './s3.js';
import { ContentTooLargeError, StorageUnavailableError, type ContentStorage } from './storage.js';

async function* chunks(...parts: (string | Buffer)[]) {
  for (const part of parts) yield Buffer.from(part);
}

let s3: RunningS3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(() => s3.close());

function s3Storage(prefix: string): S3Storage {
  return new S3Storage({
    location: { bucket: s3.bucket, prefix },
    region: 'us-east-1',
    endpoint: s3.endpoint,
    credentials: s3Credentials,
  });
}

const backends: [string, () => { storage: ContentStorage; cleanUp(): void }][] = [
  [
    'a local directory',
    () => {
      const root = mkdtempSync(join(tmpdir(), 'reelay-storage-'));
      return { storage: new LocalDirectoryStorage(root), cleanUp: () => rmSync(root, { recursive: true }) };
    },
  ],
  [
    'an S3 bucket',
    () => {
      const storage = s3Storage(`run-${Math.random().toString(36).slice(2)}/content`);
      return { storage, cleanUp: () => storage.close() };
    },
  ],
];

describe.each(backends)('content storage in %s', (_name, open) => {
  let storage: ContentStorage;
  let cleanUp: () => void;
  beforeEach(() => ({ storage, cleanUp } = open()));
  afterEach(() => cleanUp());

  it('stores, reads whole and by range, replaces and deletes', async () => {
    expect(await storage.put('job_1/video', chunks('hello ', 'world'), 100, 'video/mp4')).toBe(11);
    expect(await storage.size('job_1/video')).toBe(11);
    expect(await text(await storage.read('job_1/video'))).toBe('hello world');
    expect(await text(await storage.read('job_1/video', { start: 6, end: 10 }))).toBe('world');
    expect(await text(await storage.read('job_1/video', { start: 0, end: 1 }))).toBe('he');

    await storage.put('job_1/video', chunks('again'), 100, 'video/mp4');
    expect(await text(await storage.read('job_1/video'))).toBe('again');

    await storage.delete('job_1/video');
    await storage.delete('job_1/video');
    expect(await storage.size('job_1/video')).toBeNull();
  });

  it('answers a missing object as missing, and deletes it without complaint', async () => {
    expect(await storage.size('never/stored')).toBeNull();
    await expect(storage.delete('never/stored')).resolves.toBeUndefined();
  });

  it('stores nothing when the content runs past the limit', async () => {
    await expect(storage.put('job_2/video', chunks('12345', '67890'), 8, 'video/mp4')).rejects.toBeInstanceOf(
      ContentTooLargeError,
    );
    expect(await storage.size('job_2/video')).toBeNull();
  });

  it('keeps a result larger than an upload part whole (multipart in a bucket)', async () => {
    const megabyte = Buffer.alloc(1024 * 1024);
    const parts = Array.from({ length: 12 }, (_, i) => Buffer.from(megabyte.fill(i + 1)));
    const size = await storage.put('job_3/video', chunks(...parts), 64 * 1024 * 1024, 'video/mp4');
    expect(size).toBe(12 * 1024 * 1024);
    expect(await storage.size('job_3/video')).toBe(size);
    const whole = await buffer(await storage.read('job_3/video'));
    expect(whole.equals(Buffer.concat(parts))).toBe(true);
    // A range across the 8 MiB part boundary.
    const across = await buffer(
      await storage.read('job_3/video', { start: 8 * 1024 * 1024 - 2, end: 8 * 1024 * 1024 + 1 }),
    );
    expect([...across]).toEqual([8, 8, 9, 9]);
  });

  it('refuses keys that could leave its place', async () => {
    for (const key of ['../escape', 'a/../../b', '/absolute', 'a//b', '']) {
      await expect(storage.put(key, chunks('x'), 10, 'video/mp4')).rejects.toThrow(/invalid storage key/);
    }
  });
});

describe('local directory storage', () => {
  it('leaves no partial file behind when the content runs past the limit', async () => {
    const root = mkdtempSync(join(tmpdir(), 'reelay-storage-'));
    const storage: ContentStorage = new LocalDirectoryStorage(root);
    await expect(storage.put('job_2/video', chunks('12345', '67890'), 8, 'video/mp4')).rejects.toBeInstanceOf(
      ContentTooLargeError,
    );
    expect(readdirSync(join(root, 'job_2'))).toEqual([]);
    rmSync(root, { recursive: true });
  });
});

describe('S3 storage', () => {
  it('hands out a presigned URL that serves the object, by range too, with the headers asked for', async () => {
    const storage = s3Storage('presigned');
    await storage.put('job_4/video', chunks('presigned bytes'), 100, 'video/mp4');
    const expiresAt = Math.floor(Date.now() / 1000) + 120;
    const url = await storage.presignedUrl('job_4/video', expiresAt, {
      contentType: 'video/mp4',
      contentDisposition: 'inline',
    });
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toMatch(/^1[12]\d$/);

    const whole = await request(url);
    expect(whole.statusCode).toBe(200);
    expect(whole.headers['content-type']).toBe('video/mp4');
    expect(whole.headers['content-disposition']).toBe('inline');
    expect(await whole.body.text()).toBe('presigned bytes');

    const part = await request(url, { headers: { range: 'bytes=10-14' } });
    expect(part.statusCode).toBe(206);
    expect(await part.body.text()).toBe('bytes');
    storage.close();
  });

  it('says the store is unavailable, without its address, when it cannot be reached', async () => {
    const storage = new S3Storage({
      location: { bucket: 'nowhere', prefix: '' },
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:1',
      credentials: s3Credentials,
    });
    const failure = await storage.size('job_5/video').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(StorageUnavailableError);
    expect((failure as Error).message).not.toContain('127.0.0.1');
    await expect(storage.put('job_5/video', chunks('x'), 10, 'video/mp4')).rejects.toBeInstanceOf(
      StorageUnavailableError,
    );
    storage.close();
  });
});
