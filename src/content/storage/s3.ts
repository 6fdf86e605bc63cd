/**
 * ContentStorage in an S3-compatible bucket (`STORAGE_URL=s3://bucket/prefix`): one object per key, shared by every
 * instance. Results stream from the vendor into a multipart upload, a part at a time, never a whole video in memory.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import {
  assertStorageKey,
  ContentTooLargeError,
  limitedTo,
  StorageUnavailableError,
  type ByteRange,
  type ContentStorage,
  type ServedHeaders,
} from './storage.js';
import type { BucketLocation } from './storage-url.js';

export interface S3Settings {
  location: BucketLocation;
  region: string;
  /** An S3-compatible store's address (AWS_ENDPOINT_URL); AWS's own endpoints when unset. */
  endpoint?: string;
  /** Explicit keys; otherwise the SDK's default chain (environment, shared config, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** Parts of a multipart upload; S3's smallest part is 5 MiB (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html). */
const partBytes = 8 * 1024 * 1024;
/** Parts in flight per upload: memory per copy is at most this many parts. */
const partsInFlight = 2;
/** SigV4 presigned URLs live at most seven days (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html). */
const longestPresignSeconds = 7 * 24 * 3600;

export class S3Storage implements ContentStorage {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(settings: S3Settings) {
    this.bucket = settings.location.bucket;
    this.prefix = settings.location.prefix;
    const config: S3ClientConfig = {
      region: settings.region,
      credentials: settings.credentials,
      // A store unreachable must fail a copy soon (the copier retries with backoff), not hang it.
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
    };
    if (settings.endpoint) {
      Object.assign(config, {
        endpoint: settings.endpoint,
        // Most S3-compatible stores address buckets by path, not by host name.
        forcePathStyle: true,
        // Since 3.729 the SDK adds CRC32 checksums to uploads and asks for them on downloads; stores other than
        // AWS often reject those headers, so with an endpoint they are sent only where S3 requires them
        // (https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/s3-checksums.html).
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      } satisfies S3ClientConfig);
    }
    this.client = new S3Client(config);
  }

  async put(
    key: string,
    body: AsyncIterable<Uint8Array>,
    maxBytes: number,
    contentType: string,
  ): Promise<number> {
    const counted = { bytes: 0 };
    let sourceFailure: unknown = null;
    async function* watched(source: AsyncIterable<Uint8Array>) {
      try {
        yield* limitedTo(source, maxBytes, counted);
      } catch (err) {
        sourceFailure = err;
        throw err;
      }
    }
    // One PutObject for a result under a part, a multipart upload above; a failed upload is aborted, so no
    // parts are left behind (leavePartsOnError: false).
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: this.objectKey(key),
        Body: Readable.from(watched(body)),
        ContentType: contentType,
      },
      partSize: partBytes,
      queueSize: partsInFlight,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      // The vendor's download failing (or running too long) is the vendor's failure, not the store's.
      if (sourceFailure !== null || err instanceof ContentTooLargeError) throw sourceFailure ?? err;
      throw unavailable(err);
    }
    return counted.bytes;
  }

  async size(key: string): Promise<number | null> {
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      return head.ContentLength ?? 0;
    } catch (err) {
      if (isMissing(err)) return null;
      throw unavailable(err);
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    try {
      const object = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      );
      // In Node the SDK's body is the HTTP response itself, a Readable.
      const body = object.Body as Readable;
      // A store that ignores part of a range (s3rver answers `bytes=0-0` with the whole object) must not be
      // streamed under Reelay's Content-Length for the range.
      if (range && object.ContentLength !== range.end - range.start + 1) {
        body.destroy();
        throw new StorageUnavailableError('the range asked for was not honoured');
      }
      return body;
    } catch (err) {
      throw err instanceof StorageUnavailableError ? err : unavailable(err);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
    } catch (err) {
      // S3 answers 204 for a missing key; some compatible stores answer 404.
      if (!isMissing(err)) throw unavailable(err);
    }
  }

  presignedUrl(key: string, expiresAt: number, served: ServedHeaders): Promise<string> {
    const expiresIn = Math.min(Math.max(expiresAt - Math.floor(Date.now() / 1000), 1), longestPresignSeconds);
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.objectKey(key),
      ResponseContentType: served.contentType,
      ResponseContentDisposition: served.contentDisposition,
    });
    return getSignedUrl(this.client, command, { expiresIn });
  }

  close(): void {
    this.client.destroy();
  }

  private objectKey(key: string): string {
    assertStorageKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }
}

function isMissing(err: unknown): boolean {
  const failure = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    failure.name === 'NotFound' || failure.name === 'NoSuchKey' || failure.$metadata?.httpStatusCode === 404
  );
}

/** The SDK's error without the request (its messages may name the bucket's address). */
function unavailable(err: unknown): StorageUnavailableError {
  const failure = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = failure.$metadata?.httpStatusCode;
  return new StorageUnavailableError(
    [failure.code ?? failure.name ?? 'error', status ? `HTTP ${status}` : null].filter(Boolean).join(', '),
  );
}
