/** fal authenticates with the key itself: `Authorization: Key <api_key>` (fal-ai/fal-js libs/client/src/request.ts). */
export interface FalCredentials {
  api_key: string;
}

export const falAuthorization = (credentials: FalCredentials) => ({
  authorization: `Key ${credentials.api_key}`,
});
