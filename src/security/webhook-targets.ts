/**
 * Where Reelay may send webhooks: public addresses only (no loopback, private, link-local, multicast, …), unless
 * the operator allow-lists a network (WEBHOOK_ALLOWED_NETWORKS). A literal address is judged before sending; a
 * name is judged on the addresses it resolves to when connecting, so DNS cannot aim a checked name inside.
 */
import ipaddr from 'ipaddr.js';
import { lookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isPublicAddress } from './fetch-guard.js';
import { isIP } from 'node:net';

type Network = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** "10.0.0.0/8, ::1/128" → networks; null when an entry is not a CIDR. */
export function parseNetworks(list: string): Network[] | null {
  const entries = list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (!entries.every((entry) => ipaddr.isValidCIDR(entry))) return null;
  return entries.map((entry) => ipaddr.parseCIDR(entry));
}

export class BlockedWebhookTargetError extends Error {
  constructor(host: string) {
    super(`${host} is not a public address (allow its network with WEBHOOK_ALLOWED_NETWORKS)`);
    this.name = 'BlockedWebhookTargetError';
  }
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

export class WebhookTargetPolicy {
  private readonly allowed: Network[];

  constructor(allowedNetworks: string) {
    const networks = parseNetworks(allowedNetworks);
    if (!networks) throw new Error(`WEBHOOK_ALLOWED_NETWORKS is not a list of CIDRs: ${allowedNetworks}`);
    this.allowed = networks;
  }

  /** Public unicast, or inside an allow-listed network. IPv4-mapped IPv6 counts as its IPv4 address. */
  allowsAddress(address: string): boolean {
    if (isPublicAddress(address)) return true;
    if (!ipaddr.isValid(address)) return false;
    const ip = ipaddr.process(address);
    return this.allowed.some(([network, bits]) => network.kind() === ip.kind() && ip.match(network, bits));
  }

  /** Why a URL can never be a target, judged without DNS (scheme, literal address); null when it may be. */
  refusal(url: string): string | null {
    if (!URL.canParse(url)) return 'must be an http(s) URL';
    const target = new URL(url);
    if (target.protocol !== 'http:' && target.protocol !== 'https:') return 'must be an http(s) URL';
    const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
    if (isIP(host) && !this.allowsAddress(host)) return new BlockedWebhookTargetError(host).message;
    return null;
  }

  /** dns.lookup for the sender's connections: resolves only to addresses this policy allows. */
  readonly lookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const allowed = addresses.filter((a) => this.allowsAddress(a.address));
      if (allowed.length === 0) return callback(new BlockedWebhookTargetError(hostname), []);
      if (options.all) return callback(null, allowed);
      callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}
