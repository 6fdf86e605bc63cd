/**
 * Reelay's own content links: /v1/videos/{id}/content with an expiry and an HMAC signature, so a result can be
 * fetched without the API key (a <video> tag, a callback receiver) for a limited time and nothing else.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { TaskJobRow } from '../store/schema.js';
import type { ContentVariant } from './service.js';

/** How a view turns a finished job into the URL its client fetches. */
export interface ResultLinks {
  videoUrl(job: TaskJobRow): string | null;
}

const linkPeriodSeconds = 300;

export interface SignedLinkParams {
  taskId: string;
  index: number;
  variant: ContentVariant;
  /** Unix seconds. */
  expires: number;
}

export class ContentLinks {
  private readonly key: Buffer;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    // A key of its own, so a link signature reveals nothing about the secret that seals credentials.
    this.key = createHmac('sha256', secret).update('reelay content links v1').digest();
  }

  signature(params: SignedLinkParams): string {
    const { taskId, index, variant, expires } = params;
    return createHmac('sha256', this.key)
      .update(`${taskId}\n${index}\n${variant}\n${expires}`)
      .digest('base64url');
  }

  /** Whether the signature is right; expiry is the caller's check (it has its own error). */
  verify(params: SignedLinkParams, signature: string): boolean {
    const expected = Buffer.from(this.signature(params));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  /**
   * When links made now expire: at least the TTL from now, rounded up to the end of a five-minute period, so
   * repeated reads of a task give the same link (a browser can cache the video; Reelay can keep the answer).
   */
  expiryOfLinksMadeAt(now: number): number {
    return Math.ceil((Math.floor(now / 1000) + this.ttlSeconds) / linkPeriodSeconds) * linkPeriodSeconds;
  }

  /**
   * Links as seen from `baseUrl` (PUBLIC_URL or the request's origin). A job gets Reelay's link when Reelay holds
   * its content, or when the vendor's copy is only reachable with the channel's credentials; otherwise the
   * vendor's own URL, as the vendor gave it.
   */
  forBase(baseUrl: string, now = Date.now()): ResultLinks {
    const base = baseUrl.replace(/\/+$/, '');
    return {
      videoUrl: (job) => {
        if (job.state !== 'succeeded') return null;
        // content_expires_at stays after the retention sweep: the link then explains that the content expired.
        // A copy still to be made counts: until it lands, Reelay's link streams the video from the vendor.
        const hosted =
          job.hosted_content !== null || job.content_expires_at !== null || job.copy_due_at !== null;
        if (!hosted && !job.result_url?.startsWith('/')) return job.result_url;
        let expires = this.expiryOfLinksMadeAt(now);
        if (job.content_expires_at !== null)
          expires = Math.min(expires, Math.floor(job.content_expires_at / 1000));
        return this.url(base, { taskId: job.task_id, index: job.position, variant: 'video', expires });
      },
    };
  }

  private url(base: string, params: SignedLinkParams): string {
    const query = new URLSearchParams({ variant: params.variant });
    if (params.index !== 0) query.set('index', String(params.index));
    query.set('expires', String(params.expires));
    query.set('signature', this.signature(params));
    return `${base}/v1/videos/${encodeURIComponent(params.taskId)}/content?${query.toString()}`;
  }
}
