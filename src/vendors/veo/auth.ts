/** The Gemini API authenticates with the project's API key in `x-goog-api-key` (ai.google.dev/gemini-api/docs/api-key). */
import { z } from 'zod';

export const veoCredentials = z.object({ api_key: z.string().min(1) }).strict();
export type VeoCredentials = z.infer<typeof veoCredentials>;

/** The header, never the `?key=` query form: a key in a URL ends up in logs. */
export const veoAuthHeaders = (credentials: VeoCredentials) => ({ 'x-goog-api-key': credentials.api_key });
