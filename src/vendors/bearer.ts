/** Vendors that take the account's API key as a bearer token and nothing else (Seedance, MiniMax, DashScope). */
import { z } from 'zod';

export const apiKeyCredentials = z.object({ api_key: z.string().min(1) }).strict();
export type ApiKeyCredentials = z.infer<typeof apiKeyCredentials>;

export const bearerHeader = (credentials: ApiKeyCredentials) => ({
  authorization: `Bearer ${credentials.api_key}`,
});
