/**
 * Fetches of URLs that vendors hand back (result files, covers), guarded against server-side request forgery:
 * no loopback, private, link-local or otherwise non-public targets, checked on the address actually connected
 * to (so DNS rebinding cannot slip past) and again after every redirect. Internal targets are allowed only for
 * a channel whose own base URL is internal, which is how the simulators and self-hosted upstreams run.
 */
import ipaddr from 'ipaddr.js';
import { lookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { lookup as lookupAsync } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Agent, request, type Dispatcher } from 'undici';

export class BlockedTargetError extends Error {
  constructor(host: string) {
    super(`refused to fetch from ${host}: not a public address`);
    this.name = 'BlockedTargetError';
  }
}

/** Whether an IP address is on the public internet. IPv4-mapped IPv6 addresses count as their IPv4 address. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

/** The host of a URL without IPv6 brackets. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** Whether a base URL points inside the network (a loopback or private address, or a name resolving to one). */
export async function isInternalUrl(baseUrl: string): Promise<boolean> {
  const host = hostOf(new URL(baseUrl));
  if (isIP(host)) return !isPublicAddress(host);
  try {
    const addresses = await lookupAsync(host, { all: true });
    return addresses.some((a) => !isPublicAddress(a.address));
  } catch {
    return false;
  }
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** dns.lookup that only ever returns public addresses: the connection cannot reach anything else. */
function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const allowed = addresses.filter((a) => isPublicAddress(a.address));
    if (allowed.length === 0) return callback(new BlockedTargetError(hostname), []);
    if (options.all) return callback(null, allowed);
    callback(null, allowed[0]!.address, allowed[0]!.family);
  });
}

export interface GuardedRequest {
  url: string;
  headers: Record<string, string>;
  /** Whether internal addresses may be reached (the channel's own base URL is internal). */
  allowInternal: boolean;
  signal?: AbortSignal;
}

export interface FetchTimeouts {
  connectMs: number;
  /** Time to the response headers, and the longest pause between two chunks of the body. */
  idleMs: number;
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const maxRedirects = 5;

export class GuardedFetch {
  private readonly publicOnly: Agent;
  private readonly anyAddress: Agent;

  constructor(timeouts: FetchTimeouts) {
    const options = {
      headersTimeout: timeouts.idleMs,
      bodyTimeout: timeouts.idleMs,
      keepAliveTimeout: 10_000,
    };
    this.publicOnly = new Agent({
      ...options,
      connect: { timeout: timeouts.connectMs, lookup: publicOnlyLookup },
    });
    this.anyAddress = new Agent({ ...options, connect: { timeout: timeouts.connectMs } });
  }

  /** GET, following redirects (each one checked; credentials are not carried to another origin). */
  async get(req: GuardedRequest): Promise<Dispatcher.ResponseData> {
    let target = new URL(req.url);
    let headers = req.headers;
    for (let hop = 0; ; hop++) {
      this.check(target, req.allowInternal);
      const res = await request(target, {
        method: 'GET',
        headers,
        dispatcher: req.allowInternal ? this.anyAddress : this.publicOnly,
        signal: req.signal,
      });
      const location = res.headers.location;
      if (!redirectStatuses.has(res.statusCode) || typeof location !== 'string') return res;
      await res.body.dump();
      if (hop >= maxRedirects) throw new Error(`more than ${maxRedirects} redirects`);
      const next = new URL(location, target);
      if (next.origin !== target.origin) headers = withoutCredentials(headers);
      target = next;
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.publicOnly.close(), this.anyAddress.close()]);
  }

  /** Schemes and literal addresses; names are checked by the lookup when connecting. */
  private check(url: URL, allowInternal: boolean): void {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BlockedTargetError(url.protocol);
    const host = hostOf(url);
    if (!allowInternal && isIP(host) && !isPublicAddress(host)) throw new BlockedTargetError(host);
  }
}

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !['authorization', 'cookie'].includes(name.toLowerCase())),
  );
}
