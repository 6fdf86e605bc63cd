/**
 * The contract every vendor implements. Read this file first.
 *
 * An adapter is pure mapping: it turns one unified video job into the vendor's HTTP call and the vendor's
 * answers back into Reelay's outcomes. It never touches the database and never opens a socket itself;
 * core/ sends the calls (vendors/wire.ts) and records what comes back.
 */
import type { z } from 'zod';

/** An image as the client gave it: a URL, or bytes as base64 (any `data:` prefix already removed). */
export type ImageInput =
  { kind: 'url'; url: string } | { kind: 'base64'; data: string; mimeType: string | null };

/** One generation, validated and normalised. A task with n > 1 is n of these. */
export interface VideoJob {
  /** The client's model name (what is billed and shown). */
  model: string;
  /** The model name the vendor receives, after the channel's model_mapping. */
  upstreamModel: string;
  prompt: string;
  durationSeconds: number | null;
  fps: number | null;
  /** From `size` ("WxH") or `width`/`height`. */
  width: number | null;
  height: number | null;
  image: ImageInput | null;
  seed: number | null;
  /** Vendor-specific fields; each adapter validates the keys it accepts and rejects the rest. */
  metadata: Record<string, unknown>;
  /** Reelay's own id for this job; vendors that accept a client-side id get it (crash recovery). */
  externalId: string;
  /**
   * Optional capability: Reelay's own URL for this job (set when PUBLIC_URL is configured). Adapters of vendors
   * that call back on status changes put it in the submit body; Reelay then polls at once instead of waiting.
   * Never the client's callback_url, which Reelay delivers itself. Others ignore it.
   */
  vendorCallbackUrl?: string | null;
}

/** What a video is, or is expected to be. `null` = unknown (the vendor does not say and it was not chosen). */
export interface VideoFacts {
  durationSeconds: number | null;
  fps: number | null;
  width: number | null;
  height: number | null;
  seed: number | null;
  /**
   * The shorter side in pixels (720 for 720p), for when the resolution is known but the exact size is not
   * (image-to-video follows the image's aspect ratio). Prices by resolution tier use it.
   */
  shortSide?: number | null;
}

/** A vendor call before authentication: core adds the base URL, the body encoding and `sign()`'s headers. */
export interface VendorCall {
  method: 'GET' | 'POST';
  /** Path and query, appended to the channel's base URL. */
  path: string;
  /** JSON body. */
  body?: unknown;
}

/** A vendor call ready for the wire. */
export interface SignedCall {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** The vendor's answer as read off the wire. `json` is undefined when the body was not JSON. */
export interface VendorAnswer {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  json: unknown;
  text: string;
}

/** Failures shared by submit and poll. */
export type VendorTrouble =
  /** Transient (rate limit, 5xx, maintenance): try again later or elsewhere; never fails a task on its own. */
  | { kind: 'retry_later'; message: string; retryAfterMs?: number }
  /** The vendor account is unusable (credentials rejected, arrears): flag the channel. */
  | { kind: 'channel_broken'; message: string };

/** The vendor refused this request itself (invalid parameters, content safety): the client's 400, not retried. */
export type VendorRejection = { kind: 'rejected'; code: string; message: string };

export type SubmitOutcome = { kind: 'accepted'; upstreamTaskId: string } | VendorRejection | VendorTrouble;

export type PollOutcome =
  | { kind: 'processing'; queued: boolean; progress: number | null }
  | {
      kind: 'succeeded';
      /**
       * Where the video is: an absolute URL anyone holding it can fetch, or a path (starting with "/") on the
       * vendor's API that core fetches with sign(), for vendors that serve results only to the account (OpenAI).
       */
      url: string;
      /** A cover image, in the same two forms as url. */
      coverUrl: string | null;
      facts: Partial<VideoFacts>;
    }
  | { kind: 'failed'; code: string; message: string }
  | VendorTrouble;

/** What prepareSubmit decided, stored with the job so that polling and recovery need nothing else. */
export interface PreparedSubmit {
  call: VendorCall;
  /** Small strings the poll needs later (Kling's endpoint, Jimeng's req_key). */
  pollContext: Record<string, string>;
  /** What the video will be if the vendor honours the request. */
  expected: VideoFacts;
  /** Things the client asked for that this vendor cannot honour but that do not warrant a 400. */
  warnings: string[];
}

export interface VendorAdapter<Credentials = unknown> {
  /** Registry name, stored on channels: "kling", "jimeng", "vidu", … */
  readonly vendor: string;
  /** Schema of the channel's `credentials` object. */
  readonly credentials: z.ZodType<Credentials>;
  readonly defaultBaseUrl: string;
  /** Upstream model names this vendor serves (documentation and admin hints). */
  readonly models: readonly string[];
  /** Map a job to the vendor's request. Throws InvalidRequestError (with `param`) for what the vendor cannot take. */
  prepareSubmit(job: VideoJob): PreparedSubmit;
  /**
   * For vendors that can remix one of their own videos: the submit call making a new video from the video
   * `sourceUpstreamTaskId` (on the same channel) and the job's prompt. Its answer is read by readSubmit.
   */
  prepareRemix?(job: VideoJob, sourceUpstreamTaskId: string): PreparedSubmit;
  readSubmit(answer: VendorAnswer): SubmitOutcome;
  preparePoll(upstreamTaskId: string, pollContext: Record<string, string>): VendorCall;
  readPoll(answer: VendorAnswer): PollOutcome;
  /** Add authentication to a call. Called for every request: tokens and signatures are minted fresh. */
  sign(call: VendorCall, baseUrl: string, credentials: Credentials): Promise<SignedCall>;
  /**
   * For vendors that can find a job by Reelay's externalId: the poll call that looks it up. Used after a crash
   * between saving a job and hearing back from the vendor, so the job is adopted instead of submitted twice.
   */
  prepareLookupByExternalId?(externalId: string, pollContext: Record<string, string>): VendorCall;
  /** Reads the lookup answer: the vendor's task id, or null when the vendor has never seen the job. */
  readLookup?(
    answer: VendorAnswer,
  ): { found: true; upstreamTaskId: string } | { found: false } | VendorTrouble;
  /**
   * For vendors that call back: false when a callback's body says only that the task is still running, which is
   * not worth a poll. The body decides nothing else (a lying "still running" only leaves the job to its regular
   * polls); absent or true, the callback brings a poll.
   */
  callbackWorthAPoll?(body: unknown): boolean;
}
