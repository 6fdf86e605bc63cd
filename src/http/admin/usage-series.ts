/**
 * GET /admin/v1/usage/series: spend and task counts per hour or day, by model, key or channel, for charts.
 * The same query, scoped to the caller, serves GET /v1/account/usage.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { InvalidRequestError } from '../../errors.js';
import { bucketMs } from '../../admin/service.js';
import type { AdminService } from '../../admin/service.js';
import type { Gateway } from '../../gateway.js';
import { parseQuery, period, periodMs } from './billing.js';
import { toSeconds } from './validation.js';

export const seriesQuery = period.extend({
  group_by: z.enum(['model', 'key', 'channel']).default('model'),
  /** Default: hours for two days or less, else days. */
  bucket: z.enum(['hour', 'day']).optional(),
});

const maxBuckets = 2000;

/** The series for the query, within `scope` (a user, a key) when given. */
export async function usageSeriesAnswer(
  admin: AdminService,
  query: z.infer<typeof seriesQuery>,
  scope: { userId?: string; keyId?: string },
) {
  const range = periodMs(query);
  const bucket = query.bucket ?? (range.to - range.from <= 2 * bucketMs.day ? 'hour' : 'day');
  if ((range.to - range.from) / bucketMs[bucket] > maxBuckets) {
    throw new InvalidRequestError(`That period has more than ${maxBuckets} ${bucket}s: use days`, 'bucket');
  }
  const points = await admin.usageSeries({ ...range, ...scope, groupBy: query.group_by, bucket });
  return {
    from: toSeconds(range.from),
    to: toSeconds(range.to),
    bucket,
    group_by: query.group_by,
    data: points.map((p) => ({ ...p, start: toSeconds(p.start) })),
  };
}

const adminSeriesQuery = seriesQuery.extend({
  user_id: z.string().min(1).max(100).optional(),
  key_id: z.string().min(1).max(100).optional(),
});

export function adminUsageSeries(gateway: Gateway) {
  const { admin } = gateway;
  return async function plugin(app: FastifyInstance) {
    app.get('/usage/series', async (request) => {
      const query = parseQuery(adminSeriesQuery, request.query);
      return usageSeriesAnswer(admin, query, { userId: query.user_id, keyId: query.key_id });
    });
  };
}
