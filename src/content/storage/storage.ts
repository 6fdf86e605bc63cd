/**
 * Where Reelay keeps the results it re-hosts. A small interface so that a local directory (the default) and
 * object storage (`STORAGE_URL=s3://…`, shared by every instance) are interchangeable to the core.
 */
import type { Readable } from 'node:stream';

/** An inclusive byte range, as HTTP Range counts it. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ContentStorage {
  /**
   * Stores the bytes under `key`, replacing an earlier object. Nothing is left behind when it fails, including
   * when the bytes run past `maxBytes`. Returns the size written.
   */
  put(key: string, body: AsyncIterable<Uint8Array>, maxBytes: number, contentType: string): Promise<number>;
  /** The object's size, or null when there is no such object. */
  size(key: string): Promise<number | null>;
  /** The object's bytes, or one range of them. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** Removes the object; removing a missing object is not an error. */
  delete(key: string): Promise<void>;
  /**
   * A URL at which the store itself serves the object until `expiresAt` (Unix seconds), answered with these
   * headers; absent for stores that cannot (a local directory).
   */
  presignedUrl?(key: string, expiresAt: number, served: ServedHeaders): Promise<string>;
  /** Lets go of connections (on shutdown). */
  close?(): void;
}

/** The response headers a presigned URL makes the store answer with. */
export interface ServedHeaders {
  contentType: string;
  contentDisposition: string;
}

/** Keys are Reelay's own (`<job id>/video`), never a client's: anything else is a bug, refused outright. */
export function assertStorageKey(key: string): void {
  if (!/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/.test(key))
    throw new Error(`invalid storage key ${JSON.stringify(key)}`);
}

/**
 * Passes the bytes on, counting them into `counted.bytes`; past `maxBytes` it throws ContentTooLargeError, so that
 * a store stops writing a result larger than Reelay copies.
 */
export async function* limitedTo(
  source: AsyncIterable<Uint8Array>,
  maxBytes: number,
  counted: { bytes: number },
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    counted.bytes += chunk.length;
    if (counted.bytes > maxBytes) throw new ContentTooLargeError(maxBytes);
    yield chunk;
  }
}

/** The store failed (unreachable, refused): said without addresses or keys, for logs and the copier's retries. */
export class StorageUnavailableError extends Error {
  constructor(reason: string) {
    super(`object store unavailable (${reason})`);
    this.name = 'StorageUnavailableError';
  }
}

export class ContentTooLargeError extends Error {
  constructor(maxBytes: number) {
    super(`the content is larger than ${maxBytes} bytes`);
    this.name = 'ContentTooLargeError';
  }
}
