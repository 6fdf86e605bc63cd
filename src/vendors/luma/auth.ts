/** Luma takes the API key as a bearer token (lumalabs/lumaai-node src/index.ts: `Authorization: Bearer`). */
import { z } from 'zod';

export const lumaCredentials = z.object({ api_key: z.string().min(1) }).strict();
export type LumaCredentials = z.infer<typeof lumaCredentials>;

export const lumaAuthHeaders = (credentials: LumaCredentials) => ({
  authorization: `Bearer ${credentials.api_key}`,
});
