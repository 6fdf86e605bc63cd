/**
 * POST /v1/vendor-callbacks/{token}: vendors that call back (Kling's callback_url, …) report status changes
 * here. The body is never believed: a valid token only makes Reelay poll the job with the vendor at once, so a
 * forged or lying callback costs one poll and changes nothing. Polling goes on regardless (a lost callback only
 * delays).
 */
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../core/errors.js';
import { vendorCallbackPath } from '../core/vendor-callbacks.js';
import type { Gateway } from '../gateway.js';

export function vendorCallbacksApi(gateway: Gateway) {
  return async function plugin(app: FastifyInstance) {
    // Whatever a vendor sends is accepted unread: its content is not what Reelay acts on.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_request, _body, done) =>
      done(null, undefined),
    );

    app.post<{ Params: { token: string } }>(`${vendorCallbackPath}/:token`, async (request) => {
      const jobId = gateway.vendorCallbacks.jobIdFrom(request.params.token);
      if (!jobId) throw new NotFoundError('Unknown callback', null, 'callback_not_found');
      const polled = await gateway.poller.pollNow(jobId);
      request.log.info({ job: jobId, polled }, 'vendor callback');
      return { received: true };
    });
  };
}
