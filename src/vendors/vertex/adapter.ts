/**
 * Google Veo on Vertex AI: `POST /v1/projects/{p}/locations/{l}/publishers/google/models/{m}:predictLongRunning`
 * starts an Operation; `POST …/models/{m}:fetchPredictOperation {operationName}` polls it. Auth is an OAuth token
 * minted from the channel's service account (auth.ts). Videos land in the operator's bucket (credentials
 * `storage_uri`) and are read through Cloud Storage's JSON API with the same token.
 * Sources: cloud.google.com/vertex-ai/generative-ai/docs/model-reference/veo-video-generation (request body,
 * fetchPredictOperation, response.videos[].gcsUri | bytesBase64Encoded, seed, generateAudio, storageUri);
 * googleapis/js-genai src/converters/_models_converters.ts generateVideosParametersToVertex.
 */
import { z } from 'zod';
import type { PollOutcome, SignedCall, VendorAdapter, VideoJob } from '../adapter.js';
import { jsonCall } from '../calls.js';
import { parseMetadata } from '../mapping.js';
import {
  prepareVeo,
  readOperation,
  readOperationStart,
  veoCapabilities,
  veoMetadata,
  veoModelRules,
  veoModels,
  type GeneratedVideo,
} from '../google/veo.js';
import { InvalidRequestError } from '../errors.js';
import { isObject } from '../answers.js';
import { vertexAccessToken, vertexCredentials, type VertexCredentials } from './auth.js';

/** Vertex's own parameters on top of the shared ones. */
const vertexMetadata = veoMetadata
  .extend({
    /** Veo 3 on Vertex asks for audio explicitly; Reelay asks for it unless told not to. */
    generateAudio: z.boolean().optional(),
    resizeMode: z.enum(['pad', 'crop']).optional(),
    compressionQuality: z.enum(['optimized', 'lossless']).optional(),
  })
  .strict();

/** Filled in by sign(), which alone holds the credentials: the project and region of the channel. */
const projectPlaceholder = '{project}';
const locationPlaceholder = '{location}';
const storagePath = '/storage/v1/';

/** gs://bucket/object → Cloud Storage's JSON API download (cloud.google.com/storage/docs/json_api/v1/objects/get, alt=media). */
function locateVideo(video: GeneratedVideo): PollOutcome {
  const gcs = /^gs:\/\/([^/]+)\/(.+)$/.exec(video.gcsUri ?? '');
  if (gcs)
    return {
      kind: 'succeeded',
      url: `${storagePath}b/${encodeURIComponent(gcs[1]!)}/o/${encodeURIComponent(gcs[2]!)}?alt=media`,
      coverUrl: null,
      facts: {},
    };
  return {
    kind: 'failed',
    code: 'vendor_output_unsupported',
    message: video.bytesBase64Encoded
      ? 'Vertex returned the video inline, which Reelay cannot store: set storage_uri (a gs:// bucket) on the channel'
      : 'Vertex reported a video without a gs:// location',
  };
}

/** The model's path from an operation name "projects/…/models/{m}/operations/{id}". */
function modelPathOf(operationName: string): string {
  const at = operationName.indexOf('/operations/');
  return at === -1 ? operationName : operationName.slice(0, at);
}

export const vertexAdapter: VendorAdapter<VertexCredentials> = {
  vendor: 'vertex',
  credentials: vertexCredentials,
  // `{location}` is the channel's region (credentials.location), filled in by sign().
  defaultBaseUrl: `https://${locationPlaceholder}-aiplatform.googleapis.com`,
  models: veoModels,
  capabilities: veoCapabilities,

  prepareSubmit(job: VideoJob) {
    const meta = parseMetadata(vertexMetadata, job.metadata);
    const { generateAudio, resizeMode, compressionQuality, ...shared } = meta;
    const rule = veoModelRules[job.upstreamModel];
    if (generateAudio && rule && !rule.audio)
      throw new InvalidRequestError(`Veo ${job.upstreamModel} generates no audio`, 'metadata.generateAudio');
    const extra: Record<string, unknown> = {};
    if (rule?.audio) extra.generateAudio = generateAudio ?? true;
    if (resizeMode) extra.resizeMode = resizeMode;
    if (compressionQuality) extra.compressionQuality = compressionQuality;
    // Vertex's seed is a uint32 (model reference: "seed: 0 - 4294967295").
    if (job.seed !== null) {
      if (job.seed < 0 || job.seed > 4294967295)
        throw new InvalidRequestError('Vertex takes a seed from 0 to 4294967295', 'seed');
      extra.seed = job.seed;
    }
    const { body, expected, warnings } = prepareVeo(job, shared, extra);
    return {
      call: {
        method: 'POST',
        path: `/v1/projects/${projectPlaceholder}/locations/${locationPlaceholder}/publishers/google/models/${job.upstreamModel}:predictLongRunning`,
        body,
      },
      pollContext: {},
      expected,
      warnings,
    };
  },

  readSubmit: (answer) => readOperationStart(answer, 'Vertex submit'),

  preparePoll: (upstreamTaskId) => ({
    method: 'POST',
    path: `/v1/${modelPathOf(upstreamTaskId)}:fetchPredictOperation`,
    body: { operationName: upstreamTaskId },
  }),

  readPoll: (answer) => readOperation(answer, 'Vertex poll', locateVideo),

  async sign(call, baseUrl, credentials, context): Promise<SignedCall> {
    const token = await vertexAccessToken(credentials, context);
    const fill = (text: string) =>
      text
        .replaceAll(projectPlaceholder, encodeURIComponent(credentials.project_id))
        .replaceAll(locationPlaceholder, credentials.location);
    const toStorage = call.path.startsWith(storagePath);
    const base = toStorage
      ? (credentials.storage_base_url ?? 'https://storage.googleapis.com')
      : fill(baseUrl);
    // The output bucket is the channel's, so it joins the body here, where the credentials are.
    const body =
      call.path.endsWith(':predictLongRunning') && credentials.storage_uri && isObject(call.body)
        ? {
            ...call.body,
            parameters: { ...(call.body.parameters as object), storageUri: credentials.storage_uri },
          }
        : call.body;
    return jsonCall({ ...call, path: fill(call.path), body }, base, { authorization: `Bearer ${token}` });
  },
};
