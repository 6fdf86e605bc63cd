/**
 * Replicate (api.replicate.com): any public model is a model. `owner/name` runs the official model
 * (POST /v1/models/{owner}/{name}/predictions), `owner/name:version` a given version (POST /v1/predictions); the
 * prediction moves starting → processing → succeeded | failed | canceled, its output a URL or a list of URLs.
 */
import { z } from 'zod';
import type {
  PollOutcome,
  PreparedSubmit,
  SubmitOutcome,
  VendorAdapter,
  VendorAnswer,
  VideoJob,
} from '../adapter.js';
import { aggregatorCapabilities, mapModelInput } from '../aggregator-models.js';
import { isObject, troubleWithReason } from '../answers.js';
import { jsonCall } from '../calls.js';
import { InvalidRequestError } from '../errors.js';
import { replicateAuthorization, type ReplicateCredentials } from './auth.js';
import { replicateModels, type ReplicatePrediction, type ReplicateProblem } from './types.js';

/** owner/name, optionally :version (a 64-hex version id), as Replicate spells model references. */
const modelReference = /^([\w.-]+)\/([\w.-]+)(?::([0-9a-f]{64}))?$/;

const isPrediction = (json: unknown): json is ReplicatePrediction =>
  isObject(json) && typeof json.id === 'string' && typeof json.status === 'string';

/** The problem JSON in words; a 422 names the first invalid field (`input.duration` → input field duration). */
function problemText(json: unknown): string {
  if (!isObject(json)) return 'no detail given';
  const problem = json as ReplicateProblem;
  const field = problem.invalid_fields?.[0];
  if (field?.field)
    return `input field ${field.field.replace(/^input\./, '')}: ${field.description ?? problem.detail ?? ''}`.trim();
  return [problem.title, problem.detail].filter(Boolean).join(': ') || 'no detail given';
}

/** Replicate's trouble in its own words: 401 token, 402 insufficient credit, 403 permission, 429 throttled. */
const replicateTrouble = (answer: VendorAnswer, what: string) =>
  troubleWithReason(answer, what, isObject(answer.json) ? problemText(answer.json) : null);

/** Errors Replicate gives when the safety checker flags input or output (error code E005). */
const flaggedPattern = /\bE005\b|flagged as sensitive/i;

function firstUrl(output: unknown): string | null {
  if (typeof output === 'string') return output;
  if (Array.isArray(output) && typeof output[0] === 'string') return output[0];
  return null;
}

export const replicateAdapter: VendorAdapter<ReplicateCredentials> = {
  vendor: 'replicate',
  credentials: z.object({ api_key: z.string().min(1) }).strict(),
  defaultBaseUrl: 'https://api.replicate.com',
  models: Object.keys(replicateModels),
  capabilities(model) {
    const reference = modelReference.exec(model);
    return reference ? aggregatorCapabilities(replicateModels[`${reference[1]}/${reference[2]}`]) : undefined;
  },

  prepareSubmit(job: VideoJob): PreparedSubmit {
    const reference = modelReference.exec(job.upstreamModel);
    if (!reference) {
      throw new InvalidRequestError(
        `Replicate models are named owner/name or owner/name:version, not ${job.upstreamModel}`,
        'model',
      );
    }
    const [, owner, name, version] = reference;
    const { input, expected, warnings } = mapModelInput(
      job,
      replicateModels[`${owner}/${name}`],
      'Replicate',
    );
    const body: Record<string, unknown> = { input };
    if (job.vendorCallbackUrl) {
      // lib/predictions.js: webhook + webhook_events_filter; "completed" alone, since Reelay re-polls anyway.
      body.webhook = job.vendorCallbackUrl;
      body.webhook_events_filter = ['completed'];
    }
    const path = version ? '/v1/predictions' : `/v1/models/${owner}/${name}/predictions`;
    if (version) body.version = version;
    return { call: { method: 'POST', path, body }, pollContext: {}, expected, warnings };
  },

  readSubmit(answer): SubmitOutcome {
    if (
      (answer.status === 201 || answer.status === 200 || answer.status === 202) &&
      isPrediction(answer.json)
    )
      return { kind: 'accepted', upstreamTaskId: answer.json.id };
    // 422 "Input validation failed" (or 400): the model's own input schema refused what was sent.
    if (answer.status === 422 || answer.status === 400)
      return {
        kind: 'rejected',
        code: 'vendor_invalid_request',
        message: `Replicate refused the request (HTTP ${answer.status}): ${problemText(answer.json)}`,
      };
    if (answer.status === 404)
      return {
        kind: 'rejected',
        code: 'model_not_found',
        message: `Replicate has no such model or version (${problemText(answer.json)})`,
      };
    return replicateTrouble(answer, 'Replicate submit');
  },

  preparePoll(upstreamTaskId) {
    return { method: 'GET', path: `/v1/predictions/${encodeURIComponent(upstreamTaskId)}` };
  },

  readPoll(answer): PollOutcome {
    if (answer.status === 404)
      return {
        kind: 'failed',
        code: 'vendor_task_lost',
        message: 'Replicate no longer knows this prediction',
      };
    if (answer.status !== 200 || !isPrediction(answer.json))
      return replicateTrouble(answer, 'Replicate poll');
    const prediction = answer.json;
    switch (prediction.status) {
      case 'starting':
        return { kind: 'processing', queued: true, progress: null };
      case 'processing':
        return { kind: 'processing', queued: false, progress: null };
      case 'succeeded': {
        const url = firstUrl(prediction.output);
        if (url) return { kind: 'succeeded', url, coverUrl: null, facts: {} };
        return {
          kind: 'failed',
          code: prediction.data_removed ? 'vendor_result_expired' : 'vendor_unexpected_result',
          message: prediction.data_removed
            ? 'Replicate deleted the output before Reelay could fetch it (outputs are kept for an hour)'
            : 'Replicate reported success without an output URL',
        };
      }
      case 'failed': {
        const error = typeof prediction.error === 'string' ? prediction.error : 'no reason given';
        return {
          kind: 'failed',
          code: flaggedPattern.test(error) ? 'content_policy_violation' : 'generation_failed',
          message: `Replicate could not generate the video: ${error}`,
        };
      }
      case 'canceled':
      case 'aborted':
        return {
          kind: 'failed',
          code: 'cancelled',
          message: `Replicate reports the prediction ${prediction.status}`,
        };
      default:
        return {
          kind: 'retry_later',
          message: `Replicate reported an unknown status ${JSON.stringify(prediction.status)}`,
        };
    }
  },

  async sign(call, baseUrl, credentials) {
    return jsonCall(call, baseUrl, replicateAuthorization(credentials));
  },

  // Only "completed" events are asked for; one saying the prediction still runs brings no poll.
  callbackWorthAPoll(body) {
    const status = isObject(body) ? body.status : undefined;
    return status !== 'starting' && status !== 'processing';
  },

  prepareCancel(upstreamTaskId) {
    return { method: 'POST', path: `/v1/predictions/${encodeURIComponent(upstreamTaskId)}/cancel` };
  },

  readCancel(answer) {
    if (answer.status === 404)
      return { kind: 'not_cancellable', reason: 'Replicate no longer knows this prediction' };
    if (answer.status !== 200 || !isPrediction(answer.json))
      return replicateTrouble(answer, 'Replicate cancel');
    // The answer is the prediction: canceled (or on its way), or the end it had already reached.
    const status = answer.json.status;
    if (status === 'succeeded' || status === 'failed' || status === 'aborted')
      return { kind: 'not_cancellable', reason: `the prediction has already ended (${status})` };
    return { kind: 'cancelled' };
  },
};
