/**
 * Reelay's own callback URLs for vendors that call back: `<PUBLIC_URL>/v1/vendor-callbacks/<token>`, one per job.
 * The token is the job id and an HMAC of it under Reelay's secret: unguessable, yet nothing to store, and it
 * survives restarts (every instance sharing a database shares REELAY_SECRET). A callback only makes Reelay poll
 * the job at once; what the vendor's body says is never believed.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const vendorCallbackPath = '/v1/vendor-callbacks';

export class VendorCallbacks {
  private readonly key: Buffer;

  /** `publicUrl` is read on each use: it is configuration, known once Reelay knows its address. */
  constructor(
    secret: string,
    private readonly publicUrl: () => string | undefined,
  ) {
    // Its own key, derived so that it signs nothing else.
    this.key = createHash('sha256').update(`reelay vendor callbacks\0${secret}`).digest();
  }

  /** The URL to give a vendor for this job; null when Reelay has no public address to be called on. */
  urlFor(jobId: string): string | null {
    const base = this.publicUrl();
    if (!base) return null;
    return `${base.replace(/\/+$/, '')}${vendorCallbackPath}/${jobId}.${this.mac(jobId)}`;
  }

  /** The job a token was made for; null for anything Reelay did not make. */
  jobIdFrom(token: string): string | null {
    const dot = token.lastIndexOf('.');
    if (dot <= 0 || token.length > 200) return null;
    const jobId = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1));
    const expected = Buffer.from(this.mac(jobId));
    return given.length === expected.length && timingSafeEqual(given, expected) ? jobId : null;
  }

  private mac(jobId: string): string {
    return createHmac('sha256', this.key).update(jobId).digest('base64url');
  }
}
