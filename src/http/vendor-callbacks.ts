/**
 * POST /v1/vendor-callbacks/{token}: vendors that call back (Kling's callback_url, …) report status changes
 * here. The body is never believed: a valid token only makes Reelay poll the job with the vendor at once, so a
 * forged or lying callback costs one poll and changes nothing. A body that says only "still running" (by the
 * vendor's adapter) brings no poll. Polling goes on regardless (a lost callback only delays).
 */
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../errors.js';
import { vendorCallbackPath, type CallbackTarget } from '../security/vendor-callback-tokens.js';
import type { Gateway } from '../gateway.js';
import { adapterFor } from '../vendors/registry.js';
import { nestsDeeperThan } from '../security/json-depth.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the callback URL's token names (checked before the body is read). */
    callbackTarget: CallbackTarget | null;
  }
}

export function vendorCallbacksApi(gateway: Gateway) {
  return async function plugin(app: FastifyInstance) {
    // Whatever a vendor sends is accepted: JSON is read (only to skip needless polls), anything else ignored.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_request, body, done) =>
      done(null, parseJsonOrNothing(body as string)),
    );

    // The token is checked before the body is read: a forged callback costs no more than its headers.
    app.decorateRequest('callbackTarget', null);
    app.addHook('onRequest', async (request) => {
      const { token } = request.params as { token?: string };
      request.callbackTarget = token ? gateway.vendorCallbacks.targetOf(token) : null;
      if (!request.callbackTarget) throw new NotFoundError('Unknown callback', null, 'callback_not_found');
    });

    app.post<{ Params: { token: string } }>(`${vendorCallbackPath}/:token`, async (request) => {
      const { jobId } = request.callbackTarget!;
      const channel = await channelOf(gateway, request.callbackTarget!);
      const adapter = channel ? adapterFor(channel.vendor) : undefined;
      // Any callback, news or not, shows the channel's callbacks arrive: its routine polls may back off.
      if (channel) gateway.poller.callbackArrived(channel.id);
      // A vendor checking the URL before use (MiniMax's challenge) gets its answer and no poll.
      const handshake = adapter?.answerCallbackHandshake?.(request.body) ?? null;
      if (handshake !== null) return handshake;
      if (adapter?.callbackWorthAPoll?.(request.body) === false) {
        request.log.info({ job: jobId }, 'vendor callback: still running');
        return { received: true };
      }
      const polled = await gateway.poller.pollNow(jobId, channel?.id);
      request.log.info({ job: jobId, polled }, 'vendor callback');
      return { received: true };
    });
  };
}

/**
 * The channel the job was sent to; its vendor's adapter reads the callbacks: a handshake, or "still running" (no
 * poll). Named by the token, or (tokens made before it was carried) found in the job's row.
 */
async function channelOf(gateway: Gateway, { jobId, channelId }: CallbackTarget) {
  const id = channelId ?? (await gateway.tasks.channelOfJob(jobId));
  return id ? await gateway.deps.channels.get(id) : undefined;
}

function parseJsonOrNothing(text: string): unknown {
  if (nestsDeeperThan(text)) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
