/** Shared readings of vendor answers that every adapter needs in the same way. */
import type { VendorAnswer, VendorTrouble } from './adapter.js';

/** Retry-After in milliseconds (seconds or an HTTP date), when the vendor sent one. */
export function retryAfterMs(answer: VendorAnswer): number | undefined {
  const value = answer.headers['retry-after'];
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * The reading of an answer the adapter did not recognise, by HTTP status alone: credentials and permission
 * problems break the channel; everything else (429, 5xx, garbage) is worth another try later.
 */
export function troubleFromStatus(answer: VendorAnswer, what: string): VendorTrouble {
  if (answer.status === 401 || answer.status === 403) {
    return {
      kind: 'channel_broken',
      message: `${what}: vendor refused the credentials (HTTP ${answer.status})`,
    };
  }
  const detail = answer.json === undefined ? 'an answer that is not JSON' : 'an unexpected answer';
  return {
    kind: 'retry_later',
    message: `${what}: ${detail} (HTTP ${answer.status})`,
    retryAfterMs: retryAfterMs(answer),
  };
}

/**
 * troubleFromStatus with the vendor's own words for it, for vendors whose accounts also fail on billing (402):
 * 401, 402 and 403 break the channel; 429 waits as long as the vendor asks; the rest as troubleFromStatus.
 */
export function troubleWithReason(answer: VendorAnswer, what: string, reason: string | null): VendorTrouble {
  const said = reason ? `: ${reason}` : '';
  if (answer.status === 401 || answer.status === 402 || answer.status === 403)
    return {
      kind: 'channel_broken',
      message: `${what}: vendor refused the account (HTTP ${answer.status})${said}`,
    };
  if (answer.status === 429)
    return {
      kind: 'retry_later',
      message: `${what}: rate limited${said}`,
      retryAfterMs: retryAfterMs(answer),
    };
  return troubleFromStatus(answer, what);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
