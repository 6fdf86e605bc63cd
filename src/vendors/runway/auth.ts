/**
 * Runway takes the API secret as a bearer token and the API version on every request
 * (runwayml/sdk-node src/client.ts: `Authorization: Bearer`, `X-Runway-Version`, default '2024-11-06').
 */
import { z } from 'zod';

export const runwayCredentials = z.object({ api_key: z.string().min(1) }).strict();
export type RunwayCredentials = z.infer<typeof runwayCredentials>;

export const runwayVersion = '2024-11-06';

export const runwayAuthHeaders = (credentials: RunwayCredentials) => ({
  authorization: `Bearer ${credentials.api_key}`,
  'x-runway-version': runwayVersion,
});
