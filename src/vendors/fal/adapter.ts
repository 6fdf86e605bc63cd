/**
 * fal (queue.fal.run): any fal endpoint id is a model. Submit POST /{endpoint id} → request_id and the URLs of its
 * status, result and cancel (used as given: sub-paths differ from the endpoint id); status IN_QUEUE → IN_PROGRESS →
 * COMPLETED, then the result at response_url (`video.url`) or the model's error there.
 */
import { z } from 'zod';
import type {
  PollOutcome,
  PreparedSubmit,
  SubmitOutcome,
  VendorAdapter,
  VendorAnswer,
  VendorRejection,
  VideoJob,
} from '../adapter.js';
import { aggregatorCapabilities, mapModelInput } from '../aggregator-models.js';
import { isObject, troubleFromStatus, troubleWithReason } from '../answers.js';
import { jsonCall } from '../calls.js';
import { falAuthorization, type FalCredentials } from './auth.js';
import { falModels, type FalErrorBody, type FalQueueStatus, type FalSubmitAnswer } from './types.js';

/**
 * The fal error in words, naming the input field it is about: fal's `detail` is a list of {loc, msg, type} whose
 * loc starts with "body" for input errors (docs.fal.ai/errors), or a plain string (request errors).
 */
function falErrorText(body: FalErrorBody): { text: string; type: string | null; field?: string } {
  if (typeof body.detail === 'string') return { text: body.detail, type: body.error_type ?? null };
  const first = body.detail[0];
  if (!first) return { text: 'no detail given', type: null };
  const field = first.loc.filter((part) => part !== 'body').join('.');
  return {
    text: field ? `input field ${field}: ${first.msg}` : first.msg,
    type: first.type,
    field: field || undefined,
  };
}

const hasDetail = (json: unknown): json is FalErrorBody =>
  isObject(json) && (typeof json.detail === 'string' || Array.isArray(json.detail));

/** A model's refusal of its input: content policy, or an invalid field (both the client's to fix). */
function falRejection(body: FalErrorBody, status: number): VendorRejection {
  const { text, type, field } = falErrorText(body);
  return {
    kind: 'rejected',
    code: type === 'content_policy_violation' ? 'content_policy_violation' : 'vendor_invalid_request',
    message: `fal refused the request (HTTP ${status}): ${text}`,
    ...(field ? { param: field } : {}),
  };
}

/** fal's trouble in its own words (docs.fal.ai/errors; 402/403 when the balance is exhausted). */
const falTrouble = (answer: VendorAnswer, what: string) =>
  troubleWithReason(answer, what, hasDetail(answer.json) ? falErrorText(answer.json).text : null);

const isQueueStatus = (json: unknown): json is FalQueueStatus =>
  isObject(json) &&
  (json.status === 'IN_QUEUE' || json.status === 'IN_PROGRESS' || json.status === 'COMPLETED');

/** The app part of an endpoint id (owner/alias), where fal keeps a request's status whatever the sub-path. */
const appIdOf = (endpointId: string) => endpointId.split('/').slice(0, 2).join('/');

export const falAdapter: VendorAdapter<FalCredentials> = {
  vendor: 'fal',
  credentials: z.object({ api_key: z.string().min(1) }).strict(),
  defaultBaseUrl: 'https://queue.fal.run',
  models: Object.keys(falModels),
  capabilities: (model) => aggregatorCapabilities(falModels[model]),

  prepareSubmit(job: VideoJob): PreparedSubmit {
    const { input, expected, warnings } = mapModelInput(job, falModels[job.upstreamModel], 'fal');
    // fal-js queue.ts: the webhook is the fal_webhook query parameter of the submit.
    const webhook = job.vendorCallbackUrl ? `?fal_webhook=${encodeURIComponent(job.vendorCallbackUrl)}` : '';
    return {
      call: { method: 'POST', path: `/${job.upstreamModel}${webhook}`, body: input },
      pollContext: { endpoint: job.upstreamModel },
      expected,
      warnings,
    };
  },

  readSubmit(answer): SubmitOutcome {
    const body = answer.json;
    if (answer.status === 200 || answer.status === 201 || answer.status === 202) {
      const accepted = body as Partial<FalSubmitAnswer> | undefined;
      if (
        isObject(accepted) &&
        typeof accepted.request_id === 'string' &&
        typeof accepted.status_url === 'string' &&
        typeof accepted.response_url === 'string'
      ) {
        return {
          kind: 'accepted',
          upstreamTaskId: accepted.request_id,
          pollContext: {
            status_url: accepted.status_url,
            response_url: accepted.response_url,
            ...(typeof accepted.cancel_url === 'string' ? { cancel_url: accepted.cancel_url } : {}),
          },
        };
      }
      return troubleFromStatus(answer, 'fal submit');
    }
    // 422: the model's validation of its input (fal-js response.ts ValidationError); 400 and 404 alike.
    if ((answer.status === 422 || answer.status === 400) && hasDetail(body))
      return falRejection(body, answer.status);
    if (answer.status === 404)
      return {
        kind: 'rejected',
        code: 'model_not_found',
        message: `fal has no endpoint by this id${hasDetail(body) ? ` (${falErrorText(body).text})` : ''}`,
      };
    return falTrouble(answer, 'fal submit');
  },

  preparePoll(upstreamTaskId, pollContext) {
    // The status URL fal gave. Without one (a channel check), the documented place under the endpoint's app id.
    const path =
      pollContext.status_url ??
      `/${appIdOf(pollContext.endpoint ?? '')}/requests/${encodeURIComponent(upstreamTaskId)}/status`;
    return { method: 'GET', path };
  },

  readPoll(answer, pollContext): PollOutcome {
    const body = answer.json;
    if (answer.status === 200 && isQueueStatus(body)) {
      // fal-js types/common.ts QueueStatus: an IN_QUEUE status carries queue_position (how many are ahead).
      if (body.status === 'IN_QUEUE')
        return {
          kind: 'processing',
          queued: true,
          progress: null,
          queuePosition: body.queue_position ?? null,
        };
      if (body.status === 'IN_PROGRESS') return { kind: 'processing', queued: false, progress: null };
      const responseUrl = pollContext.response_url ?? body.response_url;
      if (!responseUrl) return { kind: 'retry_later', message: 'fal: completed without a response_url' };
      return { kind: 'follow', call: { method: 'GET', path: responseUrl } };
    }
    if (answer.status === 200 && isObject(body)) {
      const video = body.video;
      if (isObject(video) && typeof video.url === 'string') {
        return {
          kind: 'succeeded',
          url: video.url,
          coverUrl: null,
          facts: typeof body.seed === 'number' ? { seed: body.seed } : {},
        };
      }
      return {
        kind: 'failed',
        code: 'vendor_unexpected_result',
        message: 'fal completed the request without a video in its result',
      };
    }
    // The result of a request the model refused or failed: final (fal retries its own failures first).
    if ((answer.status === 422 || answer.status === 400) && hasDetail(body)) {
      const rejection = falRejection(body, answer.status);
      return {
        kind: 'failed',
        code: rejection.code === 'content_policy_violation' ? rejection.code : 'generation_failed',
        message: rejection.message.replace('fal refused the request', 'fal could not generate the video'),
      };
    }
    if (answer.status === 404)
      return { kind: 'failed', code: 'vendor_task_lost', message: 'fal no longer knows this request' };
    return falTrouble(answer, 'fal poll');
  },

  async sign(call, baseUrl, credentials) {
    return jsonCall(call, baseUrl, falAuthorization(credentials));
  },

  // fal calls fal_webhook once, when the request is done (docs.fal.ai/model-endpoints/webhooks): always worth a poll.

  prepareCancel(upstreamTaskId, pollContext) {
    // docs.fal.ai/model-endpoints/queue: PUT …/requests/{request_id}/cancel.
    const path =
      pollContext.cancel_url ??
      `/${appIdOf(pollContext.endpoint ?? '')}/requests/${encodeURIComponent(upstreamTaskId)}/cancel`;
    return { method: 'PUT', path };
  },

  readCancel(answer) {
    // docs.fal.ai/documentation/deployment/requests: CANCELLATION_REQUESTED (202) or ALREADY_COMPLETED (400).
    const status = isObject(answer.json) ? answer.json.status : undefined;
    if (answer.status === 202 || status === 'CANCELLATION_REQUESTED') return { kind: 'cancelled' };
    if (answer.status === 400 || status === 'ALREADY_COMPLETED')
      return { kind: 'not_cancellable', reason: 'fal has already started or finished this request' };
    if (answer.status === 404) return { kind: 'not_cancellable', reason: 'fal no longer knows this request' };
    return falTrouble(answer, 'fal cancel');
  },
};
