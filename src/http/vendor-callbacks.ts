/**
 * POST /v1/vendor-callbacks/{token}: vendors that call back (Kling's callback_url, …) report status changes
 * here. The body is never believed: a valid token only makes Reelay poll the job with the vendor at once, so a
 * forged or lying callback costs one poll and changes nothing. A body that says only "still running" (by the
 * vendor's adapter) brings no poll. Polling goes on regardless (a lost callback only delays).
 */
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../errors.js';
import { vendorCallbackPath } from '../core/vendor-callbacks.js';
import type { Gateway } from '../gateway.js';
import { channelOfJob } from '../store/tasks.js';
import { adapterFor } from '../vendors/registry.js';

export function vendorCallbacksApi(gateway: Gateway) {
  return async function plugin(app: FastifyInstance) {
    // Whatever a vendor sends is accepted: JSON is read (only to skip needless polls), anything else ignored.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_request, body, done) =>
      done(null, parseJsonOrNothing(body as string)),
    );

    app.post<{ Params: { token: string } }>(`${vendorCallbackPath}/:token`, async (request) => {
      const jobId = gateway.vendorCallbacks.jobIdFrom(request.params.token);
      if (!jobId) throw new NotFoundError('Unknown callback', null, 'callback_not_found');
      if (!(await worthAPoll(gateway, jobId, request.body))) {
        request.log.info({ job: jobId }, 'vendor callback: still running');
        return { received: true };
      }
      const polled = await gateway.poller.pollNow(jobId);
      request.log.info({ job: jobId, polled }, 'vendor callback');
      return { received: true };
    });
  };
}

/** Whether a callback may bring news a poll would act on: not when the job's vendor reads it as "still running". */
async function worthAPoll(gateway: Gateway, jobId: string, body: unknown): Promise<boolean> {
  const { database, channels } = gateway.deps;
  const channelId = await channelOfJob(database, jobId);
  const channel = channelId ? await channels.get(channelId) : undefined;
  const adapter = channel ? adapterFor(channel.vendor) : undefined;
  return adapter?.callbackWorthAPoll?.(body) ?? true;
}

function parseJsonOrNothing(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
