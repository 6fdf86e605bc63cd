/**
 * Google Veo on the Gemini API (generativelanguage.googleapis.com): `POST /v1beta/models/{model}:predictLongRunning`
 * starts an Operation whose `name` is the upstream id; `GET /v1beta/{name}` polls it until `done`. The video's URI
 * is served only with the API key, so the result is handed to core as a path on the channel's base URL, which core
 * fetches signed; the client only ever sees Reelay's links.
 * Sources: ai.google.dev/gemini-api/docs/video (REST), googleapis/js-genai src/operations.ts and
 * src/converters/_models_converters.ts (generateVideosParametersToMldev: seed and generateAudio are Vertex only).
 */
import type { PollOutcome, VendorAdapter, VideoJob } from '../adapter.js';
import { jsonCall } from '../calls.js';
import { parseMetadata } from '../mapping.js';
import {
  prepareVeo,
  readOperation,
  readOperationStart,
  veoCapabilities,
  veoMetadata,
  veoModels,
  type GeneratedVideo,
} from '../google/veo.js';
import { veoAuthHeaders, veoCredentials, type VeoCredentials } from './auth.js';

const apiVersion = '/v1beta/';

/**
 * The download URI as a path after the base URL: from the API version on. The base URL is the API's origin (or a
 * proxy in front of it), so core fetches it there, signed; the key never travels to another origin.
 */
function locateVideo(video: GeneratedVideo): PollOutcome {
  const uri = video.uri ?? '';
  const at = uri.indexOf(apiVersion);
  if (!/^https?:\/\//.test(uri) || at === -1)
    return {
      kind: 'failed',
      code: 'generation_failed',
      message: 'Veo reported a video whose URI is not a Gemini API file download',
    };
  return { kind: 'succeeded', url: uri.slice(at), coverUrl: null, facts: {} };
}

export const veoAdapter: VendorAdapter<VeoCredentials> = {
  vendor: 'veo',
  credentials: veoCredentials,
  defaultBaseUrl: 'https://generativelanguage.googleapis.com',
  models: veoModels,
  capabilities: veoCapabilities,

  prepareSubmit(job: VideoJob) {
    const meta = parseMetadata(veoMetadata, job.metadata);
    const { body, expected, warnings } = prepareVeo(job, meta, {});
    if (job.seed !== null)
      warnings.push({
        feature: 'seed',
        details: 'The Gemini API takes no seed for Veo (only Vertex AI does): the seed was not sent',
      });
    return {
      call: { method: 'POST', path: `${apiVersion}models/${job.upstreamModel}:predictLongRunning`, body },
      pollContext: {},
      expected,
      warnings,
    };
  },

  readSubmit: (answer) => readOperationStart(answer, 'Veo submit'),

  // The operation name is "models/{model}/operations/{id}": a path already, slashes and all.
  preparePoll: (upstreamTaskId) => ({ method: 'GET', path: apiVersion + upstreamTaskId }),

  readPoll: (answer) => readOperation(answer, 'Veo poll', locateVideo),

  async sign(call, baseUrl, credentials) {
    return jsonCall(call, baseUrl, veoAuthHeaders(credentials));
  },
};
