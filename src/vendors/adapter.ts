/**
 * The contract every vendor implements. Read this file first.
 *
 * An adapter is pure mapping: it turns one unified video job into the vendor's HTTP call and the vendor's
 * answers back into Reelay's outcomes. It never touches the database and never opens a socket itself;
 * the engine sends the calls (vendors/wire.ts) and records what comes back. Nothing in vendors/ imports from
 * outside vendors/ (a lint rule holds it).
 *
 * Adding a vendor:
 *  1. `src/vendors/<vendor>/`: adapter.ts (this interface), auth.ts (sign), types.ts (wire types, model table),
 *     adapter.test.ts; every wire fact with the vendor document or SDK file it comes from. `capabilities` reads
 *     the same per-model table prepareSubmit checks against (src/http/account/capabilities.test.ts holds them
 *     together for every vendor).
 *  2. One line in `src/vendors/registry.ts`.
 *  3. `src/simulator/<vendor>.ts`: the vendor's API written again from its documentation, importing nothing from
 *     src/vendors (the simulator is the test oracle; a lint rule holds it), its model list stated on its own
 *     (src/vendors/simulators-agree.test.ts compares it with the adapter's), and one line in
 *     `src/simulator/registry.ts` (the demo then gets a channel on it). Tests of the simulator alone, over HTTP,
 *     sit beside it; tests of the adapter against it go in `src/vendors/<vendor>/simulated.test.ts`.
 *  4. End-to-end tests over real HTTP (test/support/harness.ts), and a row in the README's vendor table.
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

/** A vendor call before authentication: sign() adds the base URL, the body encoding and the vendor's headers. */
export interface VendorCall {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /**
   * Path and query, appended to the channel's base URL; or an absolute URL the vendor gave (fal's status_url),
   * which must be on the base URL's origin (vendorUrl refuses any other: credentials never travel elsewhere).
   */
  path: string;
  /** JSON body. */
  body?: unknown;
}

/** A vendor call ready for the wire. */
export interface SignedCall {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
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
export type VendorRejection = {
  kind: 'rejected';
  code: string;
  message: string;
  /** The field the vendor named, in its own words (a model input of an aggregator), for the client's 400. */
  param?: string;
};

export type SubmitOutcome =
  | {
      kind: 'accepted';
      upstreamTaskId: string;
      /** Strings from the vendor's answer that later calls need (fal's status and response URLs), kept with the job. */
      pollContext?: Record<string, string>;
    }
  | VendorRejection
  | VendorTrouble;

export type PollOutcome =
  | {
      kind: 'processing';
      queued: boolean;
      progress: number | null;
      /** While queued, how many wait ahead, where the vendor says (fal's queue_position); else absent. */
      queuePosition?: number | null;
    }
  /**
   * The answer points at another call that holds the rest (MiniMax's file retrieve, fal's response_url): the engine
   * makes it at once and reads its answer with readPoll too (at most `maxFollowCalls` in one poll).
   */
  | {
      kind: 'follow';
      call: VendorCall;
      /** What this answer said of the video (MiniMax's size), kept for the success the follow call brings. */
      facts?: Partial<VideoFacts>;
    }
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

/**
 * Something the client asked for that the vendor cannot honour but that does not warrant a 400 (shown to the
 * client as `details`, in the answer's `warnings`).
 */
export interface VendorWarning {
  /** The request field or metadata key concerned: "seed", "metadata.aspect_ratio", … */
  feature: string;
  details: string;
}

/** What prepareSubmit decided, stored with the job so that polling and recovery need nothing else. */
export interface PreparedSubmit {
  call: VendorCall;
  /** Small strings the poll needs later (Kling's endpoint, Jimeng's req_key). */
  pollContext: Record<string, string>;
  /** What the video will be if the vendor honours the request. */
  expected: VideoFacts;
  /** Things the client asked for that this vendor cannot honour but that do not warrant a 400. */
  warnings: VendorWarning[];
}

/** What sign() may use besides the call: vendors whose tokens come from a token endpoint (Vertex) send that call. */
export interface SignContext {
  /** Sends a call over the engine's wire (its timeouts and connection pool); throws WireError when no answer came. */
  send(call: SignedCall): Promise<VendorAnswer>;
}

/** How a cancel request ended. */
export type CancelOutcome =
  | { kind: 'cancelled' }
  /** The vendor cannot stop it (already running, already ended): the reason, in words for the client. */
  | { kind: 'not_cancellable'; reason: string }
  | VendorTrouble;

/** What one model takes: GET /v1/models shows it, prepareSubmit refuses the rest. */
export interface ModelCapabilities {
  /** Lengths in seconds the model renders (the first is the default); null: the vendor's choice, not asked. */
  durations: readonly number[] | null;
  /** Aspect ratios rendered; a size is mapped to the nearest. Null: not chosen by the client. */
  aspectRatios: readonly string[] | null;
  /** For vendors that take exact sizes ("1280x720"): the sizes rendered, the first the default. */
  sizes?: readonly string[];
  /** For vendors that take resolution tiers ("720p", named by the short side): the tiers rendered. */
  resolutions?: readonly string[];
  /** Images taken: a first frame (image), a last frame (metadata.image_tail), reference images, at most how many. */
  images: { firstFrame: boolean; lastFrame: boolean; references: number; required: boolean };
}

/** Follow calls one poll may make (see PollOutcome `follow`). */
export const maxFollowCalls = 3;

export interface VendorAdapter<Credentials = unknown> {
  /** Registry name, stored on channels: "kling", "jimeng", "vidu", … */
  readonly vendor: string;
  /** Schema of the channel's `credentials` object. */
  readonly credentials: z.ZodType<Credentials>;
  readonly defaultBaseUrl: string;
  /** Upstream model names this vendor serves (documentation and admin hints). */
  readonly models: readonly string[];
  /**
   * Optional: what a model takes, from the same table prepareSubmit checks against (GET /v1/models lists it);
   * undefined for a model the adapter has no table for.
   */
  capabilities?(upstreamModel: string): ModelCapabilities | undefined;
  /** Map a job to the vendor's request. Throws InvalidRequestError (with `param`) for what the vendor cannot take. */
  prepareSubmit(job: VideoJob): PreparedSubmit;
  /**
   * For vendors that can remix one of their own videos: the submit call making a new video from the video
   * `sourceUpstreamTaskId` (on the same channel) and the job's prompt. Its answer is read by readSubmit.
   */
  prepareRemix?(job: VideoJob, sourceUpstreamTaskId: string): PreparedSubmit;
  readSubmit(answer: VendorAnswer): SubmitOutcome;
  preparePoll(upstreamTaskId: string, pollContext: Record<string, string>): VendorCall;
  /** Reads a poll's answer (or a follow call's); pollContext is what prepareSubmit and readSubmit kept. */
  readPoll(answer: VendorAnswer, pollContext: Record<string, string>): PollOutcome;
  /**
   * Add authentication to a call. Called for every request: signatures are made fresh; a token may be reused
   * until near its expiry, fetched through `context.send`.
   */
  sign(
    call: VendorCall,
    baseUrl: string,
    credentials: Credentials,
    context: SignContext,
  ): Promise<SignedCall>;
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
  /**
   * For vendors that verify a callback URL before using it (MiniMax posts a `challenge` to echo): the answer to
   * such a request, or null when the body is an ordinary callback.
   */
  answerCallbackHandshake?(body: unknown): unknown;
  /** For vendors that can cancel a job: the call that asks them to (Runway DELETE /v1/tasks/{id}, …). */
  prepareCancel?(upstreamTaskId: string, pollContext: Record<string, string>): VendorCall;
  readCancel?(answer: VendorAnswer): CancelOutcome;
}
