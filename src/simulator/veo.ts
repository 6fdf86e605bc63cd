/**
 * A faithful Gemini API for Veo: the key in `x-goog-api-key` (or `?key=`), `POST /v1beta/models/{model}:predictLongRunning`
 * answering an Operation `{name}`, `GET /v1beta/{name}` with `done` and `response.generateVideoResponse`, and a
 * video URI that serves the file only to the key (redirecting to storage, as Google's download does).
 * Sources: ai.google.dev/gemini-api/docs/video (REST examples: predictLongRunning, operation polling,
 * `curl -L -o … -H "x-goog-api-key: $GEMINI_API_KEY"` on video.uri), ai.google.dev/api/generate-content (errors).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { admitter, requestOrigin } from './admission.js';
import {
  checkVeoBody,
  googleError,
  answerGoogleFault,
  operationId,
  operationView,
  veoSimModels,
} from './google.js';
import type { VendorSimulator } from './vendor-simulator.js';
import type { SimTask, SimWorld } from './world.js';
import { clipAsked } from './clips.js';

export const defaultVeoAccount = { api_key: 'AIzaSy-sim-veo-key-0123456789' };

/** "Generated videos are stored on the server for 2 days" (the Veo guide's limitations). */
const resultTtlMs = 2 * 24 * 3600 * 1000;

/** A wrong key is a 400 with ErrorInfo reason API_KEY_INVALID, not a 401 (Gemini API troubleshooting page). */
function keyInvalid(reply: FastifyReply) {
  return googleError(reply, {
    code: 400,
    message: 'API key not valid. Please pass a valid API key.',
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'API_KEY_INVALID',
        domain: 'googleapis.com',
      },
    ],
  });
}

export function veoSimulator(world: SimWorld, keys = new Set([defaultVeoAccount.api_key])) {
  /** The key from the header or the `key` query parameter; Google's answers for a missing or wrong one. */
  function authenticate(request: FastifyRequest, reply: FastifyReply): boolean {
    const key = request.headers['x-goog-api-key'] ?? (request.query as { key?: string }).key;
    if (typeof key === 'string' && keys.has(key)) return true;
    if (!key) {
      googleError(reply, {
        code: 403,
        message:
          "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
      });
      return false;
    }
    keyInvalid(reply);
    return false;
  }

  const admit = admitter(world, {
    vendor: 'veo',
    authenticate,
    answerFault: (reply, fault) =>
      fault.type === 'auth_error' ? Boolean(keyInvalid(reply)) : answerGoogleFault(reply, fault),
  });

  return async function plugin(app: FastifyInstance) {
    // The model and the method share a path segment: models/{model}:predictLongRunning.
    app.post<{ Params: { '*': string } }>('/v1beta/models/*', async (request, reply) => {
      const [model = '', method] = request.params['*'].split(':');
      if (method !== 'predictLongRunning')
        return googleError(reply, { code: 404, message: 'Method not found.' });
      if (!(await admit(request, reply, 'submit'))) return reply;
      const problem = checkVeoBody(model, request.body, {
        extraParameters: [],
        allowGcsImages: false,
        maxSamples: 1,
      });
      if (problem) return googleError(reply, problem);
      const id = operationId();
      world.createTask('veo', { model, body: request.body }, id);
      return { name: `models/${model}/operations/${id}` };
    });

    app.get<{ Params: { model: string; id: string } }>(
      '/v1beta/models/:model/operations/:id',
      async (request, reply) => {
        if (!(await admit(request, reply, 'poll'))) return reply;
        const task = world.tasks.get(request.params.id);
        if (!task || task.vendor !== 'veo' || task.request.model !== request.params.model)
          return googleError(reply, { code: 404, message: `Operation not found: ${request.url}` });
        const name = `models/${request.params.model}/operations/${task.id}`;
        return operationView(world, task, name, (filtered) => ({
          '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse',
          generateVideoResponse: filtered
            ? { raiMediaFilteredCount: filtered.length, raiMediaFilteredReasons: filtered }
            : { generatedSamples: [{ video: { uri: videoUri(task, requestOrigin(request) + app.prefix) } }] },
        }));
      },
    );

    // files/{id}:download?alt=media — only for the key; the bytes come from storage by redirect.
    app.get<{ Params: { '*': string } }>('/v1beta/files/*', async (request, reply) => {
      world.count('veo', 'content');
      if (!authenticate(request, reply)) return reply;
      const [fileId, method] = request.params['*'].split(':');
      const task = [...world.tasks.values()].find((t) => t.vendor === 'veo' && t.request.fileId === fileId);
      if (method !== 'download' || !task)
        return googleError(reply, { code: 404, message: 'File not found.' });
      const path = String(task.request.resultPath);
      if (!world.fileIsLive(path.slice('/files/'.length, -'.mp4'.length)))
        return googleError(reply, { code: 404, message: 'File has expired.' });
      return reply.redirect(requestOrigin(request) + path, 302);
    });
  };

  function videoUri(task: SimTask, base: string): string {
    task.request.resultPath ??= world.publishVideo(
      resultTtlMs,
      clipAsked(task.request, task.deliveredSeconds),
    );
    task.request.fileId ??= operationId();
    return `${base}/v1beta/files/${String(task.request.fileId)}:download?alt=media`;
  }
}

export const veo: VendorSimulator = {
  vendor: 'veo',
  title: 'Google Veo (Gemini API)',
  routes: (world) => veoSimulator(world),
  account: () => ({ ...defaultVeoAccount }),
  models: veoSimModels,
};
