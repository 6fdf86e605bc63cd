/**
 * Fetches of URLs that vendors hand back (result files, covers), guarded against server-side request forgery:
 * no loopback, private, link-local or otherwise non-public targets, checked on the address actually connected
 * to (so DNS rebinding cannot slip past) and again after every redirect. A channel whose own base URL is internal
 * (the simulators, a self-hosted upstream) may be fetched from at that origin (host and port) only; link-local and
 * cloud-metadata addresses are never reached, whatever the channel.
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

/** Cloud metadata services outside the link-local range (Alibaba; AWS over IPv6). */
const metadataAddresses = new Set(['100.100.100.200', 'fd00:ec2::254']);

/** Link-local (169.254.0.0/16, where most clouds' metadata lives, and fe80::/10) and metadata addresses. */
export function isNeverReachable(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  const parsed = ipaddr.process(address);
  return parsed.range() === 'linkLocal' || metadataAddresses.has(parsed.toNormalizedString());
}

/** host:port of a URL (default ports filled in): what "the channel's own origin" compares. */
function hostPort(url: URL): string {
  return `${hostOf(url)}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

/** The internal origin a channel's fetches may reach: its base URL's host:port when that is internal, else null. */
export async function internalOriginOf(baseUrl: string): Promise<string | null> {
  return (await isInternalUrl(baseUrl)) ? hostPort(new URL(baseUrl)) : null;
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

/** dns.lookup that only ever returns addresses `allow` accepts: the connection cannot reach anything else. */
const lookupOnly =
  (allow: (address: string) => boolean) =>
  (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const allowed = addresses.filter((a) => allow(a.address));
      if (allowed.length === 0) return callback(new BlockedTargetError(hostname), []);
      if (options.all) return callback(null, allowed);
      callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };

export interface GuardedRequest {
  url: string;
  headers: Record<string, string>;
  /** The one internal host:port that may be reached (internalOriginOf the channel's base URL), or null. */
  internalOrigin: string | null;
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
  /** For a channel's own internal origin: anything but link-local and metadata addresses. */
  private readonly ownOrigin: Agent;

  constructor(timeouts: FetchTimeouts) {
    const options = {
      headersTimeout: timeouts.idleMs,
      bodyTimeout: timeouts.idleMs,
      keepAliveTimeout: 10_000,
    };
    this.publicOnly = new Agent({
      ...options,
      connect: { timeout: timeouts.connectMs, lookup: lookupOnly(isPublicAddress) },
    });
    this.ownOrigin = new Agent({
      ...options,
      connect: { timeout: timeouts.connectMs, lookup: lookupOnly((a) => !isNeverReachable(a)) },
    });
  }

  /** GET, following redirects (each one checked; credentials are not carried to another origin). */
  async get(req: GuardedRequest): Promise<Dispatcher.ResponseData> {
    let target = new URL(req.url);
    let headers = req.headers;
    for (let hop = 0; ; hop++) {
      const ownOrigin = req.internalOrigin !== null && hostPort(target) === req.internalOrigin;
      this.check(target, ownOrigin);
      const res = await request(target, {
        method: 'GET',
        headers,
        dispatcher: ownOrigin ? this.ownOrigin : this.publicOnly,
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
    await Promise.all([this.publicOnly.close(), this.ownOrigin.close()]);
  }

  /** Schemes and literal addresses; names are checked by the lookup when connecting. */
  private check(url: URL, ownOrigin: boolean): void {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BlockedTargetError(url.protocol);
    const host = hostOf(url);
    if (!isIP(host)) return;
    if (isNeverReachable(host) || (!ownOrigin && !isPublicAddress(host))) throw new BlockedTargetError(host);
  }
}

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !['authorization', 'cookie'].includes(name.toLowerCase())),
  );
}
