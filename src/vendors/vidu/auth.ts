/** Vidu authenticates every request with the account's API key, sent as `Authorization: Token <api_key>`. */
import { z } from 'zod';

export const viduCredentials = z.object({ api_key: z.string().min(1) }).strict();
export type ViduCredentials = z.infer<typeof viduCredentials>;

/** The literal word "Token", not "Bearer": Vidu refuses a Bearer header with 401. */
export const viduAuthorization = (credentials: ViduCredentials) => `Token ${credentials.api_key}`;
