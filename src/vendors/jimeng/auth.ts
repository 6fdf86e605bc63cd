/**
 * Volcengine Signature V4 (HMAC-SHA256), as the Volcengine OpenAPI gateway checks it: a canonical request over
 * method, path, sorted query, signed headers and the body's SHA-256; a key derived from the raw secret through
 * date → region → service → "request"; the hex signature in an `Authorization: HMAC-SHA256 …` header.
 */
import { createHash, createHmac } from 'node:crypto';

export interface JimengCredentials {
  access_key_id: string;
  secret_access_key: string;
}

/** The visual API's fixed scope. */
export const jimengRegion = 'cn-north-1';
export const jimengService = 'cv';

const algorithm = 'HMAC-SHA256';

export const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** X-Date: UTC as yyyyMMdd'T'HHmmss'Z'. */
export function volcengineDate(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** RFC 3986 percent-encoding, as Volcengine's SDKs encode query keys and values. */
const rfc3986 = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Keys sorted, then values sorted, each `key=value` encoded, joined with `&`. */
export function canonicalQuery(params: URLSearchParams): string {
  return [...params]
    .map(([key, value]) => [rfc3986(key), rfc3986(value)] as const)
    .sort(([ka, va], [kb, vb]) => (ka === kb ? compare(va, vb) : compare(ka, kb)))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface SignatureInput {
  method: string;
  /** The URL path, e.g. `/`. */
  path: string;
  query: URLSearchParams;
  /** The headers to sign, by lower-case name. */
  headers: Record<string, string>;
  bodySha256: string;
  xDate: string;
  region: string;
  service: string;
  secretAccessKey: string;
}

/** Names of the signed headers, sorted and joined with `;`. */
export const signedHeaderList = (headers: Record<string, string>) =>
  Object.keys(headers).sort(compare).join(';');

export function credentialScope(xDate: string, region: string, service: string): string {
  return `${xDate.slice(0, 8)}/${region}/${service}/request`;
}

/** The hex signature of a request. */
export function volcengineSignature(input: SignatureInput): string {
  const names = Object.keys(input.headers).sort(compare);
  const canonicalHeaders = names.map((name) => `${name}:${input.headers[name]!.trim()}\n`).join('');
  const canonicalRequest = [
    input.method,
    input.path,
    canonicalQuery(input.query),
    canonicalHeaders,
    names.join(';'),
    input.bodySha256,
  ].join('\n');
  const stringToSign = [
    algorithm,
    input.xDate,
    credentialScope(input.xDate, input.region, input.service),
    sha256Hex(canonicalRequest),
  ].join('\n');
  // The secret is used raw: no "AWS4"-style prefix.
  const dateKey = hmac(input.secretAccessKey, input.xDate.slice(0, 8));
  const signingKey = hmac(hmac(hmac(dateKey, input.region), input.service), 'request');
  return createHmac('sha256', signingKey).update(stringToSign).digest('hex');
}

/**
 * The headers that authenticate a JSON call to the visual API: Host, X-Date, X-Content-Sha256 and Content-Type
 * are signed (content-type;host;x-content-sha256;x-date), then Authorization carries the signature.
 */
export function signJimengRequest(
  call: { method: string; url: string; body: string },
  credentials: JimengCredentials,
  now = new Date(),
): Record<string, string> {
  const url = new URL(call.url);
  const xDate = volcengineDate(now);
  const bodySha256 = sha256Hex(call.body);
  const signed = {
    'content-type': 'application/json',
    host: url.host,
    'x-content-sha256': bodySha256,
    'x-date': xDate,
  };
  const signature = volcengineSignature({
    method: call.method,
    path: url.pathname,
    query: url.searchParams,
    headers: signed,
    bodySha256,
    xDate,
    region: jimengRegion,
    service: jimengService,
    secretAccessKey: credentials.secret_access_key,
  });
  const scope = credentialScope(xDate, jimengRegion, jimengService);
  return {
    ...signed,
    authorization: `${algorithm} Credential=${credentials.access_key_id}/${scope}, SignedHeaders=${signedHeaderList(signed)}, Signature=${signature}`,
  };
}

export interface ParsedAuthorization {
  accessKeyId: string;
  shortDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const authorizationPattern =
  /^HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

/** Reads an Authorization header (the simulator's side); null when it is not a Volcengine V4 signature. */
export function parseAuthorization(header: string): ParsedAuthorization | null {
  const match = authorizationPattern.exec(header.trim());
  if (!match) return null;
  const [, accessKeyId, shortDate, region, service, signedHeaders, signature] = match;
  return {
    accessKeyId: accessKeyId!,
    shortDate: shortDate!,
    region: region!,
    service: service!,
    signedHeaders: signedHeaders!.split(';'),
    signature: signature!,
  };
}
