/**
 * POST /v1/vendor-callbacks/{token}: vendors that call back (Kling's callback_url, …) report status changes
 * here. The body is never believed: a valid token only makes Reelay poll the job with the vendor at once, so a
 * forged or lying callback costs one poll and changes nothing. A body that says only "still running" (by the
 * vendor's adapter) brings no poll. Polling goes on regardless (a lost callback only delays).
 */
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../errors.js';
import { vendorCallbackPath } from '../security/vendor-callback-tokens.js';
import type { Gateway } from '../gateway.js';
import { adapterFor } from '../vendors/registry.js';
import { nestsDeeperThan } from '../security/json-depth.js';

export function vendorCallbacksApi(gateway: Gateway) {
  return async function plugin(app: FastifyInstance) {
    // Whatever a vendor sends is accepted: JSON is read (only to skip needless polls), anything else ignored.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_request, body, done) =>
      done(null, parseJsonOrNothing(body as string)),
    );

    // The token is checked before the body is read: a forged callback costs no more than its headers.
    app.addHook('onRequest', async (request) => {
      const { token } = request.params as { token?: string };
      if (!token || !gateway.vendorCallbacks.jobIdFrom(token))
        throw new NotFoundError('Unknown callback', null, 'callback_not_found');
    });

    app.post<{ Params: { token: string } }>(`${vendorCallbackPath}/:token`, async (request) => {
      const jobId = gateway.vendorCallbacks.jobIdFrom(request.params.token)!;
      const channel = await channelOfJob(gateway, jobId);
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

/** The channel of the job; its vendor's adapter reads the callbacks: a handshake, or "still running" (no poll). */
async function channelOfJob(gateway: Gateway, jobId: string) {
  const channelId = await gateway.tasks.channelOfJob(jobId);
  return channelId ? await gateway.deps.channels.get(channelId) : undefined;
}

function parseJsonOrNothing(text: string): unknown {
  if (nestsDeeperThan(text)) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
