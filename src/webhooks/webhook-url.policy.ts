import { Inject, Injectable } from '@nestjs/common';
import { LookupAddress } from 'node:dns';
import { isIP, LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { DomainException, ErrorCode } from '../common/errors';
import { HostResolver } from './host-resolver';

/**
 * Where client webhooks may go. Outside production anything http(s) goes (a receiver on 127.0.0.1
 * in development and tests). In production (`config.isProduction`, i.e. any NODE_ENV other than
 * development/test) only `https://` to a host that is, or resolves to, public global-unicast
 * addresses only ({@link addressRejection}); checked when the URL is registered and again on the
 * address actually connected to (DNS rebinding).
 */
@Injectable()
export class WebhookUrlPolicy {
  /** True: only public targets over https. Read once from the validated config. */
  private readonly publicOnly: boolean;

  constructor(
    @Inject(APP_CONFIG) config: Pick<AppConfig, 'isProduction'>,
    private readonly resolver: HostResolver,
  ) {
    this.publicOnly = config.isProduction;
  }

  /** Registration (app create/PATCH): 400 `validation_failed` unless the URL and every address its host resolves to are allowed. */
  async assertAllowed(url: string): Promise<void> {
    const reason = await this.check(url);
    if (reason) {
      throw new DomainException(
        ErrorCode.VALIDATION_FAILED,
        `webhookUrl is not allowed: ${reason}`,
        { details: [{ field: 'webhookUrl', message: reason }] },
      );
    }
  }

  /** Like {@link rejection}, and in production also resolves a host name and checks every address. */
  async check(url: string): Promise<string | null> {
    const reason = this.rejection(url);
    if (reason || !this.publicOnly) return reason;
    const host = hostOf(new URL(url));
    if (isIP(host)) return null;
    let addresses: LookupAddress[];
    try {
      addresses = await this.resolver.lookup(host, 0);
    } catch {
      return `host ${host} does not resolve`;
    }
    return addressesRejection(host, addresses);
  }

  /**
   * What can be decided without DNS: the scheme, and in production https, local names and IP
   * literals (bracketed IPv6 included). Null when allowed so far.
   */
  rejection(url: string): string | null {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'not a URL';
    }
    if (!['http:', 'https:'].includes(parsed.protocol)) return 'must be http(s)';
    if (!this.publicOnly) return null;
    if (parsed.protocol !== 'https:') return 'must use https in production';
    const host = hostOf(parsed);
    if (
      host === 'localhost' ||
      host.endsWith('.localhost') ||
      host.endsWith('.internal') ||
      host.endsWith('.local')
    ) {
      return 'must not target a local host';
    }
    return isIP(host) ? addressRejection(host) : null;
  }

  /**
   * Send time: a DNS lookup for the HTTP client that refuses a name when any of its addresses is not
   * public (checked on the addresses actually connected to, so a rebinding name cannot slip through).
   * Null outside production. IP literals are never looked up; {@link rejection} covers them.
   */
  connectLookup(): LookupFunction | null {
    if (!this.publicOnly) return null;
    return (hostname, options, callback) => {
      const family = options.family === 4 || options.family === 6 ? options.family : 0;
      this.resolver.lookup(hostname, family).then(
        (addresses) => {
          const refused = addressesRejection(hostname, addresses);
          if (refused) {
            const error: NodeJS.ErrnoException = new Error(refused);
            error.code = 'EPRIVATEADDR';
            return callback(error, '', 0);
          }
          if (options.all)
            return (callback as unknown as (err: null, all: LookupAddress[]) => void)(
              null,
              addresses,
            );
          return callback(null, addresses[0].address, addresses[0].family);
        },
        (error: NodeJS.ErrnoException) => callback(error, '', 0),
      );
    };
  }
}

function hostOf(url: URL): string {
  return url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
}

function addressesRejection(host: string, addresses: LookupAddress[]): string | null {
  if (addresses.length === 0) return `host ${host} does not resolve`;
  for (const { address } of addresses) {
    const reason = addressRejection(address);
    if (reason) return `host ${host} resolves to ${reason}`;
  }
  return null;
}

/** The only IPv6 block IANA allocates as global unicast; everything else is reserved or special. */
const IPV6_GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3') as [ipaddr.IPv6, number];
/** NAT64 well-known prefix (RFC 6052): the last 32 bits are the IPv4 address the gateway connects to. */
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96') as [ipaddr.IPv6, number];

/**
 * Null when `address` is a public global-unicast address a webhook may be sent to, else why not.
 *
 * IPv4 embedded in IPv6 is unwrapped first and judged as IPv4: IPv4-mapped (`::ffff:a.b.c.d`, what the
 * kernel connects to as IPv4) and NAT64 with the well-known prefix `64:ff9b::/96` (DNS64 answers for
 * IPv4-only hosts, so a public one stays usable). Then only ipaddr.js range `unicast` is allowed, and
 * for IPv6 only inside 2000::/3, because ipaddr.js calls "unicast" whatever its table does not name:
 * that explicitly denies IPv4-compatible `::a.b.c.d` (and the rest of ::/8), `fec0::/10` site-local,
 * `100::/64` and everything else outside 2000::/3. Denied by ipaddr.js ranges: IPv4 unspecified,
 * broadcast, multicast, linkLocal, loopback, carrierGradeNat (100.64/10), private, reserved (192.0.0/24,
 * 192.0.2/24, 192.88.99/24, 198.18/15, 198.51.100/24, 203.0.113/24, 240/4), as112, amt; IPv6
 * unspecified, linkLocal, multicast, loopback, uniqueLocal, rfc6145, rfc6052 (incl. the local-use NAT64
 * `64:ff9b:1::/48`, not unwrapped: its layout is site-defined), 6to4 `2002::/16` and Teredo `2001::/32`
 * (transition tunnels whose far end is an embedded IPv4 we cannot vouch for), benchmarking, amt,
 * as112v6, orchid, drone tags, segmentRouting and reserved (2001::/23, 2001:db8::/32, 3fff::/20).
 * Every IPv4 range ipaddr.js leaves as "unicast" is global, so IPv4 needs no extra list.
 */
export function addressRejection(address: string): string | null {
  const family = isIP(address);
  if (family === 4) return ipv4Rejection(ipaddr.IPv4.parse(address), address);
  if (family !== 6) return `${address} is not an IP address`;
  let ip: ipaddr.IPv6;
  try {
    // The WHATWG parser canonicalises (ipaddr.js reads `::a.b.c.d` as IPv4-mapped) and refuses zone ids.
    ip = ipaddr.IPv6.parse(new URL(`http://[${address}]/`).hostname.slice(1, -1));
  } catch {
    return `${address} is not a usable IPv6 address`;
  }
  if (ip.isIPv4MappedAddress()) return ipv4Rejection(ip.toIPv4Address(), address);
  if (ip.match(NAT64_WELL_KNOWN)) {
    const bytes = ip.toByteArray().slice(12);
    return ipv4Rejection(new ipaddr.IPv4(bytes), address);
  }
  const range = ip.range();
  if (range !== 'unicast') return `${address}, a ${range} address`;
  if (!ip.match(IPV6_GLOBAL_UNICAST)) return `${address}, outside global unicast 2000::/3`;
  return null;
}

function ipv4Rejection(ip: ipaddr.IPv4, written: string): string | null {
  const range = ip.range();
  if (range === 'unicast') return null;
  const shown = written === ip.toString() ? written : `${written} (IPv4 ${ip.toString()})`;
  return `${shown}, a ${range} address`;
}
