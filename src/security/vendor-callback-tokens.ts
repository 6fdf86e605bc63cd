/**
 * Reelay's own callback URLs for vendors that call back: `<PUBLIC_URL>/v1/vendor-callbacks/<token>`, one per job
 * and channel. The token is the job id, the channel it was sent to and an HMAC of both under Reelay's secret:
 * unguessable, yet nothing to store, and it survives restarts (every instance sharing a database shares
 * REELAY_SECRET). Carrying the channel lets a callback be read (which vendor, news or not) without a database read
 * (docs/benchmarks.md). A callback only makes Reelay poll the job at once; what the vendor's body says is never
 * believed.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const vendorCallbackPath = '/v1/vendor-callbacks';

/** What a valid token names. `channelId` is null in tokens made before it was carried (the job's row tells). */
export interface CallbackTarget {
  jobId: string;
  channelId: string | null;
}

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

  /** The URL to give a vendor for this job on this channel; null when Reelay has no public address. */
  urlFor(jobId: string, channelId: string): string | null {
    const base = this.publicUrl();
    if (!base) return null;
    const signed = `${jobId}.${channelId}`;
    return `${base.replace(/\/+$/, '')}${vendorCallbackPath}/${signed}.${this.mac(signed)}`;
  }

  /** The job (and channel) a token was made for; null for anything Reelay did not make. */
  targetOf(token: string): CallbackTarget | null {
    const dot = token.lastIndexOf('.');
    if (dot <= 0 || token.length > 300) return null;
    const signed = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1));
    const expected = Buffer.from(this.mac(signed));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    // Ids are made of letters, digits, '_' and '-': the first dot ends the job id. Older tokens sign the job alone.
    const split = signed.indexOf('.');
    return split < 0
      ? { jobId: signed, channelId: null }
      : { jobId: signed.slice(0, split), channelId: signed.slice(split + 1) };
  }

  private mac(signed: string): string {
    return createHmac('sha256', this.key).update(signed).digest('base64url');
  }
}
