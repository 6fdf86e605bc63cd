/**
 * A vendor's error code, once the adapter has said what kind of refusal it is, read as Reelay's outcome: the same
 * for every vendor whose errors come as codes (Seedance, MiniMax, DashScope).
 */
import type { PollOutcome, SubmitOutcome, VendorAnswer } from './adapter.js';
import { retryAfterMs } from './answers.js';

/** Whose fault a refusal is: the request's content, the request's form, the vendor account, or nobody's (transient). */
export type RefusalKind = 'content_policy' | 'invalid_request' | 'account' | 'transient';

export interface Refusal {
  kind: RefusalKind;
  /** The vendor's code and message, for people: "Seedance InvalidParameter: …". */
  text: string;
}

export function submitRefusal(refusal: Refusal, answer: VendorAnswer): SubmitOutcome {
  switch (refusal.kind) {
    case 'content_policy':
      return { kind: 'rejected', code: 'content_policy_violation', message: refusal.text };
    case 'invalid_request':
      return { kind: 'rejected', code: 'vendor_invalid_request', message: refusal.text };
    case 'account':
      return { kind: 'channel_broken', message: refusal.text };
    case 'transient':
      return { kind: 'retry_later', message: refusal.text, retryAfterMs: retryAfterMs(answer) };
  }
}

/** While polling, only the account's trouble is news: a request refused as invalid is our bug or a passing fault. */
export function pollRefusal(refusal: Refusal, answer: VendorAnswer): PollOutcome {
  if (refusal.kind === 'account') return { kind: 'channel_broken', message: refusal.text };
  return { kind: 'retry_later', message: refusal.text, retryAfterMs: retryAfterMs(answer) };
}

/** The kind of a vendor's string error code, from a table of code patterns (first match wins). */
export function kindOfCode(
  code: string,
  patterns: readonly [RegExp, RefusalKind][],
): RefusalKind | undefined {
  return patterns.find(([pattern]) => pattern.test(code))?.[1];
}
