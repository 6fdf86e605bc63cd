/** Replicate takes the API token as a bearer token (replicate-javascript index.js: `Authorization: Bearer <auth>`). */
export interface ReplicateCredentials {
  api_key: string;
}

export const replicateAuthorization = (credentials: ReplicateCredentials) => ({
  authorization: `Bearer ${credentials.api_key}`,
});
