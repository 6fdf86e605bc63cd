/**
 * Results as bytes: copying a finished video into Reelay's storage before the vendor's URL expires (re-hosting),
 * streaming it to clients with HTTP Range (from storage, or through Reelay from the vendor) or redirecting them to
 * the object store (CONTENT_DELIVERY=redirect), and removing it when its retention ends. Every vendor fetch goes
 * through the SSRF guard.
 */
import { servedContentHeaders } from './served-types.js';
import type { Logger } from 'pino';
import parseRange from 'range-parser';
import type { Readable } from 'node:stream';
import type { Config } from '../config.js';
import {
  BlockedTargetError,
  internalOriginOf,
  type GuardedFetch,
  type GuardedRequest,
} from '../security/fetch-guard.js';
import type { Database } from '../store/db.js';
import type { TaskJobRow } from '../store/schema.js';
import { forgetHostedContent, jobsWithExpiredContent } from '../store/videos.js';
import { runAlone } from '../store/one-instance.js';
import {
  ContentTooLargeError,
  StorageUnavailableError,
  type ByteRange,
  type ContentStorage,
} from './storage/storage.js';
import { adapterFor } from '../vendors/registry.js';
import type { SignContext } from '../vendors/adapter.js';
import { describeTransportError } from '../vendors/wire.js';
import type { Channel, ChannelDirectory } from '../channels/directory.js';
import { NotFoundError, UpstreamError } from '../errors.js';

export type ContentVariant = 'video' | 'thumbnail';

export interface StoredFile {
  key: string;
  contentType: string;
  size: number;
}

/** What task_jobs.hosted_content holds. */
export interface HostedContent {
  video: StoredFile;
  thumbnail: StoredFile | null;
}

export function hostedContentOf(job: Pick<TaskJobRow, 'hosted_content'>): HostedContent | null {
  return job.hosted_content ? (JSON.parse(job.hosted_content) as HostedContent) : null;
}

/** Bytes for a client: status, headers and body (null for 416, and for 302 to the object store). */
export interface ContentStream {
  status: 200 | 206 | 302 | 416;
  headers: Record<string, string>;
  body: Readable | null;
}

export interface ContentDeps {
  config: Config;
  database: Database;
  storage: ContentStorage;
  fetch: GuardedFetch;
  /** For vendors whose results are fetched with the account's credentials (sign() may fetch a token). */
  signContext: SignContext;
  channels: ChannelDirectory;
  log: Logger;
}

/** A copy must finish well inside the copier's lease (engine/result-copier.ts) that holds the job meanwhile. */
export const copyTimeoutMs = 120_000;
const sweepEveryMs = 10 * 60_000;
const sweepBatch = 100;
const defaultType: Record<ContentVariant, string> = { video: 'video/mp4', thumbnail: 'image/jpeg' };

/** The vendor sent something other than the file asked for. */
class VendorContentError extends Error {}

export class ContentService {
  private sweeper: NodeJS.Timeout | null = null;

  constructor(private readonly deps: ContentDeps) {}

  /**
   * Copies a succeeded job's video (and cover, when there is one) into storage; throws when the video could not
   * be copied (the copier tries again later: engine/result-copier.ts). `copyId` names this attempt's files, so an
   * attempt that lost the job (its lease ran out) removes only its own.
   */
  async store(job: TaskJobRow, channel: Channel, copyId: string): Promise<HostedContent> {
    if (!job.result_url) throw new VendorContentError('the job has no result URL');
    // One directory per day, not per job: making a directory cost more than copying a result (benchmarks).
    const prefix = `${new Date().toISOString().slice(0, 10)}/${job.id}-${copyId}`;
    const video = await this.copy(channel, job.result_url, `${prefix}-video`, 'video');
    let thumbnail: StoredFile | null = null;
    if (job.cover_url) {
      // A cover is a nicety: without a copy it is still served from the vendor while the vendor has it.
      thumbnail = await this.copy(channel, job.cover_url, `${prefix}-thumbnail`, 'thumbnail').catch(
        (err: unknown) => {
          this.deps.log.warn({ job: job.id, reason: describeFailure(err) }, 'cover not copied');
          return null;
        },
      );
    }
    return { video, thumbnail };
  }

  /**
   * A succeeded job's video or thumbnail for a client, honouring a Range header. `linkExpiresAt` (Unix seconds):
   * when the signed link that asked ends; a redirect to the object store ends no later.
   */
  async open(
    job: TaskJobRow,
    variant: ContentVariant,
    range: string | undefined,
    linkExpiresAt?: number,
  ): Promise<ContentStream> {
    if (job.content_expires_at !== null && Date.now() >= job.content_expires_at) {
      throw new NotFoundError(
        `This video's content has expired: Reelay keeps results for ${this.deps.config.CONTENT_RETENTION_HOURS} hours`,
        'video_id',
        'video_expired',
      );
    }
    const stored = hostedContentOf(job)?.[variant];
    const fromStorage = stored ? await this.openFromStorage(job, stored, range, linkExpiresAt) : null;
    if (fromStorage) return fromStorage;
    const location = variant === 'video' ? job.result_url : job.cover_url;
    if (!location) {
      throw new NotFoundError(
        'This video has no thumbnail: its vendor does not provide one',
        'variant',
        'thumbnail_unavailable',
      );
    }
    return this.openAtVendor(job, location, variant, range);
  }

  /**
   * Removes the stored files of these jobs, and stops copies not made yet (their task was deleted). Files the
   * store could not remove now (it is down) stay recorded, and the retention sweep removes them later.
   */
  async discard(jobs: TaskJobRow[]): Promise<void> {
    const { removed } = await this.deleteEachJobsFiles(jobs);
    await forgetHostedContent(this.deps.database, removed, Date.now());
  }

  /** Removes content whose retention has run out. Returns how many jobs lost their content. */
  async sweepExpired(now = Date.now()): Promise<number> {
    let swept = 0;
    for (;;) {
      const jobs = await jobsWithExpiredContent(this.deps.database, now, sweepBatch);
      const { removed, kept } = await this.deleteEachJobsFiles(jobs);
      await forgetHostedContent(this.deps.database, removed, now);
      swept += removed.length;
      // What the store could not remove is found again by the next sweep, not retried in a loop now.
      if (jobs.length < sweepBatch || kept > 0) return swept;
    }
  }

  /** Deletes each job's files; the ids of the jobs whose files are all gone, and how many jobs kept some. */
  private async deleteEachJobsFiles(jobs: TaskJobRow[]): Promise<{ removed: string[]; kept: number }> {
    const outcomes = await Promise.allSettled(jobs.map((job) => this.deleteFiles(job)));
    const removed: string[] = [];
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') removed.push(jobs[i]!.id);
      else
        this.deps.log.warn(
          { job: jobs[i]!.id, reason: describeFailure(outcome.reason) },
          'stored content not removed yet; the retention sweep tries again',
        );
    });
    return { removed, kept: jobs.length - removed.length };
  }

  startSweeping(): void {
    if (this.sweeper) return;
    // One instance sweeps for all (they share the database), never two at once.
    const sweep = () =>
      void runAlone(this.deps.database, 'content-retention-sweep', () => this.sweepExpired()).catch(
        (err: unknown) => this.deps.log.error({ err }, 'content retention sweep failed'),
      );
    this.sweeper = setInterval(sweep, sweepEveryMs);
    this.sweeper.unref();
    sweep();
  }

  stopSweeping(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }

  async close(): Promise<void> {
    this.stopSweeping();
    await this.deps.fetch.close();
    this.deps.storage.close?.();
  }

  /** Removes stored files (the job's, by default). */
  async deleteFiles(job: TaskJobRow, hosted = hostedContentOf(job)): Promise<void> {
    if (!hosted) return;
    await Promise.all(
      [hosted.video, hosted.thumbnail]
        .filter((f) => f !== null)
        .map((file) => this.deps.storage.delete(file.key)),
    );
  }

  private async copy(
    channel: Channel,
    location: string,
    key: string,
    variant: ContentVariant,
  ): Promise<StoredFile> {
    const request = await this.vendorRequest(channel, location);
    const res = await this.deps.fetch.get({ ...request, signal: AbortSignal.timeout(copyTimeoutMs) });
    const contentType = mediaType(res.headers['content-type'], variant);
    if (res.statusCode !== 200 || !contentType) {
      await res.body.dump();
      throw new VendorContentError(
        res.statusCode !== 200
          ? `the vendor answered HTTP ${res.statusCode}`
          : `the vendor sent ${String(res.headers['content-type'])}, not a ${variant}`,
      );
    }
    const size = await this.deps.storage.put(key, res.body, this.deps.config.CONTENT_MAX_BYTES, contentType);
    return { key, contentType, size };
  }

  /** The stored file for a client; null when it is missing or the store is down (the vendor then serves it). */
  private async openFromStorage(
    job: TaskJobRow,
    file: StoredFile,
    range: string | undefined,
    linkExpiresAt: number | undefined,
  ): Promise<ContentStream | null> {
    const { storage, config, log } = this.deps;
    try {
      const size = await storage.size(file.key);
      if (size === null) {
        log.error({ job: job.id, key: file.key }, 'stored content is missing; serving from the vendor');
        return null;
      }
      return config.CONTENT_DELIVERY === 'redirect'
        ? await this.redirectToStore(job, file, linkExpiresAt)
        : await this.openStored(file, size, range);
    } catch (err) {
      log.error(
        { job: job.id, reason: describeFailure(err) },
        'stored content unreachable; serving from the vendor',
      );
      return null;
    }
  }

  /**
   * A 302 to the object store, valid no longer than the link that asked (or a link made now) nor than the
   * content's retention. The store cannot send nosniff or a CSP, so the served type and disposition are the
   * same as through Reelay: only video and raster images inline (docs/security.md).
   */
  private async redirectToStore(
    job: TaskJobRow,
    file: StoredFile,
    linkExpiresAt: number | undefined,
  ): Promise<ContentStream> {
    const { storage, config } = this.deps;
    if (!storage.presignedUrl) throw new Error('CONTENT_DELIVERY=redirect needs an object store');
    const nowSeconds = Math.floor(Date.now() / 1000);
    let expiresAt = linkExpiresAt ?? nowSeconds + config.CONTENT_LINK_TTL_SECONDS;
    if (job.content_expires_at !== null)
      expiresAt = Math.min(expiresAt, Math.floor(job.content_expires_at / 1000));
    const served = servedContentHeaders(file.contentType);
    const location = await storage.presignedUrl(file.key, expiresAt, {
      contentType: served['content-type']!,
      contentDisposition: served['content-disposition'] ?? 'inline',
    });
    // Each answer names a URL that expires: no cache may keep it.
    return { status: 302, headers: { location, 'cache-control': 'no-store' }, body: null };
  }

  private async openStored(
    file: StoredFile,
    size: number,
    rangeHeader: string | undefined,
  ): Promise<ContentStream> {
    const headers: Record<string, string> = {
      ...servedContentHeaders(file.contentType),
      'accept-ranges': 'bytes',
    };
    const range = requestedRange(size, rangeHeader);
    if (range === 'unsatisfiable') {
      return { status: 416, headers: { ...headers, 'content-range': `bytes */${size}` }, body: null };
    }
    if (range === null) {
      return {
        status: 200,
        headers: { ...headers, 'content-length': String(size) },
        body: await this.deps.storage.read(file.key),
      };
    }
    return {
      status: 206,
      headers: {
        ...headers,
        'content-length': String(range.end - range.start + 1),
        'content-range': `bytes ${range.start}-${range.end}/${size}`,
      },
      body: await this.deps.storage.read(file.key, range),
    };
  }

  /** Streams through Reelay from the vendor, passing the Range on (so players can seek there too). */
  private async openAtVendor(
    job: TaskJobRow,
    location: string,
    variant: ContentVariant,
    range: string | undefined,
  ): Promise<ContentStream> {
    const channel = job.channel_id ? await this.deps.channels.get(job.channel_id) : undefined;
    let res;
    try {
      const request = await this.vendorRequest(channel, location);
      if (range) request.headers = { ...request.headers, range };
      res = await this.deps.fetch.get(request);
    } catch (err) {
      this.deps.log.warn(
        { job: job.id, reason: describeFailure(err) },
        'content not fetched from the vendor',
      );
      throw new UpstreamError(
        'The video could not be fetched from its vendor; try again later',
        'upstream_unreachable',
      );
    }
    if (res.statusCode === 403 || res.statusCode === 404 || res.statusCode === 410) {
      await res.body.dump();
      throw new NotFoundError(
        "The vendor's copy of this video has expired and Reelay holds no copy",
        'video_id',
        'video_expired',
      );
    }
    if (res.statusCode !== 200 && res.statusCode !== 206 && res.statusCode !== 416) {
      await res.body.dump();
      throw new UpstreamError(`The vendor answered HTTP ${res.statusCode} when asked for the video`);
    }
    const headers = servedContentHeaders(
      mediaType(res.headers['content-type'], variant) ?? defaultType[variant],
    );
    for (const name of ['content-length', 'content-range', 'accept-ranges']) {
      const value = res.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    if (res.statusCode === 416) {
      await res.body.dump();
      return { status: 416, headers, body: null };
    }
    return { status: res.statusCode, headers, body: res.body };
  }

  /** The fetch of a result location: a public URL as is, or a path on the vendor's API signed like any call. */
  private async vendorRequest(channel: Channel | undefined, location: string): Promise<GuardedRequest> {
    const internalOrigin = channel ? await internalOriginOf(channel.baseUrl) : null;
    if (!location.startsWith('/')) return { url: location, headers: {}, internalOrigin };
    const adapter = channel ? adapterFor(channel.vendor) : undefined;
    if (!channel || !adapter)
      throw new VendorContentError('the channel that made this video no longer exists');
    const signed = await adapter.sign(
      { method: 'GET', path: location },
      channel.baseUrl,
      channel.credentials,
      this.deps.signContext,
    );
    return { url: signed.url, headers: { ...signed.headers, accept: '*/*' }, internalOrigin };
  }
}

/** The Range a client asked for; null for none, a malformed one or several (answered with the whole file). */
function requestedRange(size: number, header: string | undefined): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const ranges = parseRange(size, header, { combine: true });
  if (ranges === -1) return 'unsatisfiable';
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return null;
  return ranges[0]!;
}

/** The media type to store and serve: the vendor's when it is the right kind, a default for a generic one. */
function mediaType(header: string | string[] | undefined, variant: ContentVariant): string | null {
  const type = (Array.isArray(header) ? header[0] : header)?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type.startsWith(variant === 'video' ? 'video/' : 'image/')) return type;
  if (type === '' || type === 'application/octet-stream' || type === 'binary/octet-stream')
    return defaultType[variant];
  return null;
}

/** Why a copy or fetch failed, without the URL (which may carry tokens). */
export function describeFailure(err: unknown): string {
  if (
    err instanceof VendorContentError ||
    err instanceof BlockedTargetError ||
    err instanceof ContentTooLargeError ||
    err instanceof StorageUnavailableError
  ) {
    return err.message;
  }
  // File system errors carry the path; network errors do not.
  const fsError = err as NodeJS.ErrnoException;
  if (fsError.path !== undefined) return `storage failed (${fsError.code ?? fsError.name})`;
  return describeTransportError(err);
}
