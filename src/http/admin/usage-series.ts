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
import { apiDoc } from '../openapi/route-doc.js';

export const seriesQuery = period.extend({
  group_by: z.enum(['model', 'key', 'channel']).default('model'),
  /** Default: hours for two days or less, else days. */
  bucket: z.enum(['hour', 'day']).optional(),
});

const maxBuckets = 2000;

/** Spend and task counts per bucket (GET /admin/v1/usage/series, GET /v1/account/usage). */
export const usageSeriesSchema = z
  .object({
    from: z.number().int().nullable(),
    to: z.number().int().nullable(),
    bucket: z.enum(['hour', 'day']),
    group_by: z.enum(['model', 'key', 'channel']),
    data: z.array(
      z.object({
        start: z.number().int().nullable().meta({ description: "Unix seconds: the bucket's start (UTC)." }),
        group: z.string().nullable(),
        tasks: z.number(),
        cost: z.number().meta({ description: 'Micro-units charged (ended tasks).' }),
      }),
    ),
  })
  .meta({ id: 'UsageSeries' });

/** The series for the query, within `scope` (a user, a key) when given. */
export async function usageSeriesAnswer(
  admin: AdminService,
  query: z.infer<typeof seriesQuery>,
  scope: { userId?: string; keyId?: string },
): Promise<z.infer<typeof usageSeriesSchema>> {
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
    const seriesDoc = {
      tag: 'admin',
      security: 'adminToken',
      summary: 'Spend and task counts per hour or day, by model, key or channel',
      query: adminSeriesQuery,
      responses: { 200: { description: 'The series', schema: usageSeriesSchema } },
    } as const;
    app.get('/usage/series', apiDoc(seriesDoc), async (request) => {
      const query = parseQuery(adminSeriesQuery, request.query);
      return usageSeriesAnswer(admin, query, { userId: query.user_id, keyId: query.key_id });
    });
  };
}
