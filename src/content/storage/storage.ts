/**
 * Where Reelay keeps the results it re-hosts. A small interface so that a local directory (the default) can be
 * swapped for object storage without touching the core.
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
  put(key: string, body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<number>;
  /** The object's size, or null when there is no such object. */
  size(key: string): Promise<number | null>;
  /** The object's bytes, or one range of them. */
  read(key: string, range?: ByteRange): Readable;
  /** Removes the object; removing a missing object is not an error. */
  delete(key: string): Promise<void>;
}

/** Keys are Reelay's own (`<job id>/video`), never a client's: anything else is a bug, refused outright. */
export function assertStorageKey(key: string): void {
  if (!/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/.test(key))
    throw new Error(`invalid storage key ${JSON.stringify(key)}`);
}

export class ContentTooLargeError extends Error {
  constructor(maxBytes: number) {
    super(`the content is larger than ${maxBytes} bytes`);
    this.name = 'ContentTooLargeError';
  }
}
