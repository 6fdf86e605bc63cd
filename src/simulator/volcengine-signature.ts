/**
 * Checking a Volcengine Signature V4 the way Volcengine's OpenAPI gateway does, written from its signing docs
 * (volcengine.com/docs/6369/67269, "签名方法") and the official Node SDK's signer (volcengine/volc-sdk-nodejs
 * src/base/sign.ts). Deliberately not the adapter's signing code: this is the other side of the wire.
 */
import { createHash, createHmac } from 'node:crypto';

/** What `Authorization: HMAC-SHA256 Credential=AK/yyyyMMdd/region/service/request, SignedHeaders=…, Signature=…` says. */
export interface VolcengineAuthorization {
  accessKeyId: string;
  /** The credential scope's date, yyyyMMdd. */
  date: string;
  region: string;
  service: string;
  /** Lower-case header names, in the order given. */
  signedHeaders: string[];
  signature: string;
}

/**
 * Reads the Authorization header; null when it is not a V4 signature. The official SDK adds a `SignedQueries=`
 * part (the query keys), which the gateway accepts and the signature does not cover differently.
 */
export function readVolcengineAuthorization(header: string): VolcengineAuthorization | null {
  const [algorithm, ...rest] = header.trim().split(' ');
  if (algorithm !== 'HMAC-SHA256') return null;
  const parts = new Map(
    rest
      .join(' ')
      .split(',')
      .map((part) => {
        const at = part.indexOf('=');
        return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
      }),
  );
  const credential = parts.get('Credential')?.split('/') ?? [];
  const signedHeaders = parts.get('SignedHeaders');
  const signature = parts.get('Signature');
  const [accessKeyId, date, region, service, terminator] = credential;
  if (credential.length !== 5 || terminator !== 'request' || !/^\d{8}$/.test(date ?? '')) return null;
  if (!signedHeaders || !signature || !/^[0-9a-f]{64}$/.test(signature)) return null;
  return {
    accessKeyId: accessKeyId!,
    date: date!,
    region: region!,
    service: service!,
    signedHeaders: signedHeaders.split(';'),
    signature,
  };
}

export interface SignedRequest {
  method: string;
  /** The URL's path and query, as received ("/?Action=…&Version=…"). */
  url: string;
  /** The values of the signed headers, by lower-case name. */
  headers: Record<string, string>;
  body: string;
  /** X-Date: yyyyMMdd'T'HHmmss'Z'. */
  xDate: string;
}

const sha256 = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmacSha256 = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** Percent-encodes all but A–Z a–z 0–9 - _ . ~ (the docs' UriEncode), with upper-case hex. */
function uriEncode(text: string): string {
  return Array.from(Buffer.from(text, 'utf8'))
    .map((byte) => {
      const char = String.fromCharCode(byte);
      return /[A-Za-z0-9\-_.~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The hex signature the gateway expects for this request, scope and secret. */
export function expectedVolcengineSignature(
  request: SignedRequest,
  scope: { date: string; region: string; service: string },
  secretAccessKey: string,
): string {
  const url = new URL(request.url, 'http://gateway');
  // CanonicalQueryString: each name and value UriEncoded, sorted by name (then value), joined with &.
  const query = [...url.searchParams]
    .map(([name, value]) => [uriEncode(name), uriEncode(value)])
    .sort(([nameA, valueA], [nameB, valueB]) => byCodeUnit(nameA!, nameB!) || byCodeUnit(valueA!, valueB!))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  // CanonicalHeaders: the signed headers by lower-case name, value trimmed (inner runs of spaces collapsed, as
  // the SDK does), each line ending with \n; SignedHeaders: the same names joined with ;.
  const names = Object.keys(request.headers).sort();
  const canonicalHeaders = names
    .map((name) => `${name}:${request.headers[name]!.trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const canonicalRequest = [
    request.method.toUpperCase(),
    url.pathname,
    query,
    canonicalHeaders,
    names.join(';'),
    sha256(request.body),
  ].join('\n');
  const credentialScope = `${scope.date}/${scope.region}/${scope.service}/request`;
  const stringToSign = ['HMAC-SHA256', request.xDate, credentialScope, sha256(canonicalRequest)].join('\n');
  // kDate = HMAC(SecretAccessKey, Date): the raw secret, no prefix; then region, service, "request".
  let key: Buffer | string = secretAccessKey;
  for (const step of [scope.date, scope.region, scope.service, 'request']) key = hmacSha256(key, step);
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}
