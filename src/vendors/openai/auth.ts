/** OpenAI authenticates with the API key as a bearer token; organisation and project select what is billed. */
import { z } from 'zod';

export const openaiCredentials = z
  .object({
    api_key: z.string().min(1),
    organization: z.string().min(1).optional(),
    project: z.string().min(1).optional(),
  })
  .strict();
export type OpenAICredentials = z.infer<typeof openaiCredentials>;

export function openaiAuthHeaders(credentials: OpenAICredentials): Record<string, string> {
  return {
    authorization: `Bearer ${credentials.api_key}`,
    ...(credentials.organization ? { 'openai-organization': credentials.organization } : {}),
    ...(credentials.project ? { 'openai-project': credentials.project } : {}),
  };
}
