/** Turning a VendorCall into a request on the wire, the part every JSON vendor does the same way. */
import type { SignedCall, VendorCall } from './adapter.js';

export function vendorUrl(baseUrl: string, path: string): string {
  return baseUrl.replace(/\/+$/, '') + path;
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
