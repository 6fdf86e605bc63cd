/** Turning a VendorCall into a request on the wire, the part every JSON vendor does the same way. */
import type { SignedCall, VendorCall } from './adapter.js';

/** The call's URL: a path after the base URL, or an absolute URL the vendor gave, only on the base URL's origin. */
export function vendorUrl(baseUrl: string, path: string): string {
  if (!/^https?:\/\//i.test(path)) return baseUrl.replace(/\/+$/, '') + path;
  if (new URL(path).origin !== new URL(baseUrl).origin)
    throw new Error(`refusing a vendor URL outside the channel's origin: ${new URL(path).origin}`);
  return path;
}

/** A JSON call with the vendor's authentication headers. */
export function jsonCall(call: VendorCall, baseUrl: string, auth: Record<string, string>): SignedCall {
  return {
    method: call.method,
    url: vendorUrl(baseUrl, call.path),
    headers: {
      ...auth,
      accept: 'application/json',
      ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: call.body === undefined ? undefined : JSON.stringify(call.body),
  };
}
