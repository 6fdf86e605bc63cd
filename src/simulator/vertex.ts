/**
 * A faithful Vertex AI Veo: its own OAuth token endpoint (the JWT bearer grant, RS256 assertion verified against the
 * service account's public key, short-lived access tokens that expire), `predictLongRunning` and
 * `fetchPredictOperation` under /v1/projects/{p}/locations/{l}/publishers/google/models/{m}, videos written to the
 * requested gs:// bucket and served by a Cloud Storage JSON API download that wants the same token, or returned
 * inline as bytesBase64Encoded when no storageUri was given.
 * Sources: developers.google.com/identity/protocols/oauth2/service-account (assertion claims: iss, scope, aud =
 * token_uri, iat, exp at most an hour; errors invalid_grant), cloud.google.com/vertex-ai/generative-ai/docs/
 * model-reference/veo-video-generation (body, parameters, fetchPredictOperation, response.videos),
 * cloud.google.com/storage/docs/json_api/v1/objects/get (alt=media).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { errors as joseErrors, jwtVerify } from 'jose';
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
import type { SimWorld } from './world.js';
import { clipAsked, simulatedClip } from './clips.js';

export const vertexProject = 'reelay-sim-project';
export const vertexLocation = 'us-central1';
const clientEmail = `reelay-sim@${vertexProject}.iam.gserviceaccount.com`;
export const vertexBucket = 'reelay-sim-videos';

/** The service account's key pair: made once per process (RSA generation takes a while). */
let keyPair: { privateKey: KeyObject; publicKey: KeyObject; id: string } | undefined;
function serviceAccountKey() {
  keyPair ??= { ...generateKeyPairSync('rsa', { modulusLength: 2048 }), id: randomBytes(20).toString('hex') };
  return keyPair;
}

/** A service account JSON key file like Google's, its token_uri on this simulator. */
export function vertexAccount(baseUrl: string, privateKey = serviceAccountKey().privateKey) {
  return {
    service_account: {
      type: 'service_account',
      project_id: vertexProject,
      private_key_id: serviceAccountKey().id,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: clientEmail,
      token_uri: `${baseUrl}/token`,
    },
    project_id: vertexProject,
    location: vertexLocation,
    storage_uri: `gs://${vertexBucket}/reelay`,
    storage_base_url: baseUrl,
  };
}

/** How long this world's access tokens live: Google's hour by default; tests shorten it to see refreshes. */
const tokenLifetimes = new WeakMap<SimWorld, number>();
export function setVertexTokenLifetime(world: SimWorld, seconds: number): void {
  tokenLifetimes.set(world, seconds);
}

const scope = 'https://www.googleapis.com/auth/cloud-platform';
const jwtBearer = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export function vertexSimulator(world: SimWorld) {
  const tokens = new Map<string, number>();
  /** gs:// object name → the world file holding it. */
  const objects = new Map<string, string>();

  function oauthError(reply: FastifyReply, error: string, description: string) {
    return reply.code(400).send({ error, error_description: description });
  }

  /** Bearer tokens this simulator issued and that have not expired (401 UNAUTHENTICATED otherwise, as Google). */
  function authenticate(request: FastifyRequest, reply: FastifyReply): boolean {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const expiresAt = token ? tokens.get(token) : undefined;
    if (expiresAt !== undefined && Date.now() < expiresAt) return true;
    world.count('vertex', 'unauthenticated');
    googleError(reply, {
      code: 401,
      message: token
        ? 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.'
        : 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
    });
    return false;
  }

  const admit = admitter(world, { vendor: 'vertex', authenticate, answerFault: answerGoogleFault });

  return async function plugin(app: FastifyInstance) {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );

    app.post<{ Body: Record<string, string> }>('/token', async (request, reply) => {
      world.count('vertex', 'token');
      const { grant_type: grantType, assertion } = request.body ?? {};
      if (grantType !== jwtBearer)
        return oauthError(reply, 'unsupported_grant_type', 'Invalid grant_type: ' + grantType);
      try {
        const { payload } = await jwtVerify(assertion ?? '', serviceAccountKey().publicKey, {
          algorithms: ['RS256'],
          issuer: clientEmail,
          audience: `${requestOrigin(request)}${app.prefix}/token`,
        });
        if (payload.scope !== scope)
          return oauthError(reply, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
        if (!payload.iat || !payload.exp || payload.exp - payload.iat > 3600)
          return oauthError(
            reply,
            'invalid_grant',
            'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.',
          );
      } catch (err) {
        const description =
          err instanceof joseErrors.JWSSignatureVerificationFailed
            ? 'Invalid JWT Signature.'
            : 'Invalid JWT.';
        return oauthError(reply, 'invalid_grant', description);
      }
      const lifetime = tokenLifetimes.get(world) ?? 3600;
      const token = `ya29.sim-${randomBytes(24).toString('base64url')}`;
      tokens.set(token, Date.now() + lifetime * 1000);
      return { access_token: token, expires_in: lifetime, token_type: 'Bearer' };
    });

    // …/models/{model}:predictLongRunning and …/models/{model}:fetchPredictOperation.
    app.post<{ Params: { project: string; location: string; '*': string } }>(
      '/v1/projects/:project/locations/:location/publishers/google/models/*',
      async (request, reply) => {
        const [model = '', method] = request.params['*'].split(':');
        const phase = method === 'predictLongRunning' ? 'submit' : 'poll';
        if (!(await admit(request, reply, phase))) return reply;
        const { project, location } = request.params;
        if (project !== vertexProject || location !== vertexLocation)
          return googleError(reply, {
            code: 403,
            message: `Permission denied on resource project ${project}.`,
          });
        const prefix = `projects/${project}/locations/${location}/publishers/google/models/${model}`;
        if (method === 'predictLongRunning') {
          const problem = checkVeoBody(model, request.body, {
            extraParameters: [
              'seed',
              'generateAudio',
              'storageUri',
              'resizeMode',
              'compressionQuality',
              'fps',
            ],
            allowGcsImages: true,
            maxSamples: 4,
          });
          if (problem) return googleError(reply, problem);
          const id = operationId();
          world.createTask('vertex', { model, body: request.body }, id);
          return { name: `${prefix}/operations/${id}` };
        }
        if (method !== 'fetchPredictOperation')
          return googleError(reply, { code: 404, message: 'Method not found.' });
        const name = String((request.body as { operationName?: unknown } | null)?.operationName ?? '');
        const task = world.tasks.get(name.slice(`${prefix}/operations/`.length));
        if (!name.startsWith(`${prefix}/operations/`) || !task || task.vendor !== 'vertex')
          return googleError(reply, { code: 404, message: `Operation ${name} not found.` });
        const parameters = ((task.request.body as { parameters?: Record<string, unknown> }).parameters ??
          {}) as Record<string, unknown>;
        return operationView(world, task, name, (filtered) => {
          const type = '@type';
          const base = { [type]: 'type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse' };
          if (filtered)
            return { ...base, raiMediaFilteredCount: filtered.length, raiMediaFilteredReasons: filtered };
          // Without storageUri the bytes come inline (the model reference: "If you don't provide a storage URI …").
          if (typeof parameters.storageUri !== 'string')
            return {
              ...base,
              videos: [
                {
                  bytesBase64Encoded: simulatedClip(clipAsked(task.request, task.deliveredSeconds)).toString(
                    'base64',
                  ),
                  mimeType: 'video/mp4',
                },
              ],
            };
          const object =
            `${parameters.storageUri.replace(/^gs:\/\/[^/]+\/?/, '')}/${task.id}/sample_0.mp4`.replace(
              /^\//,
              '',
            );
          const bucket = /^gs:\/\/([^/]+)/.exec(parameters.storageUri)?.[1] ?? '';
          task.request.resultPath ??= world.publishVideo(
            24 * 3600 * 1000,
            clipAsked(task.request, task.deliveredSeconds),
          );
          objects.set(`${bucket}/${object}`, String(task.request.resultPath));
          return { ...base, videos: [{ gcsUri: `gs://${bucket}/${object}`, mimeType: 'video/mp4' }] };
        });
      },
    );

    // Cloud Storage's JSON API download: the service account's token, alt=media for the bytes.
    app.get<{ Params: { bucket: string; object: string }; Querystring: { alt?: string } }>(
      '/storage/v1/b/:bucket/o/:object',
      async (request, reply) => {
        world.count('vertex', 'content');
        if (!authenticate(request, reply)) return reply;
        const path = objects.get(`${request.params.bucket}/${request.params.object}`);
        if (
          !path ||
          request.query.alt !== 'media' ||
          !world.fileIsLive(path.slice('/files/'.length, -'.mp4'.length))
        )
          return googleError(reply, {
            code: 404,
            message: `No such object: ${request.params.bucket}/${request.params.object}`,
          });
        const clip = world.clipOf(path.slice('/files/'.length, -'.mp4'.length));
        return reply.header('content-type', 'video/mp4').send(simulatedClip(clip));
      },
    );
  };
}

export const vertex: VendorSimulator = {
  vendor: 'vertex',
  title: 'Google Veo (Vertex AI)',
  routes: (world) => vertexSimulator(world),
  account: (baseUrl) => vertexAccount(baseUrl),
  models: veoSimModels,
};
