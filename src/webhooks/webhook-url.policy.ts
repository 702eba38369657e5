import { Inject, Injectable } from '@nestjs/common';
import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { isIP, LookupFunction } from 'node:net';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { DomainException, ErrorCode } from '../common/errors';

/**
 * Where client webhooks may go. In production only `https://` and never private, loopback or
 * link-local targets (SSRF); development and tests may use anything, e.g. a receiver on 127.0.0.1.
 */
@Injectable()
export class WebhookUrlPolicy {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  assertAllowed(url: string): void {
    const reason = this.rejection(url);
    if (reason) {
      throw new DomainException(
        ErrorCode.VALIDATION_FAILED,
        `webhookUrl is not allowed: ${reason}`,
        {
          details: [{ field: 'webhookUrl', message: reason }],
        },
      );
    }
  }

  rejection(url: string): string | null {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'not a URL';
    }
    if (!['http:', 'https:'].includes(parsed.protocol)) return 'must be http(s)';
    if (!this.config.isProduction) return null;
    if (parsed.protocol !== 'https:') return 'must use https in production';
    const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (
      host === 'localhost' ||
      host.endsWith('.localhost') ||
      host.endsWith('.internal') ||
      host.endsWith('.local')
    ) {
      return 'must not target a local host';
    }
    if (isIP(host) && isPrivateAddress(host))
      return 'must not target a private, loopback or link-local address';
    return null;
  }

  /**
   * Send time: a DNS lookup for the HTTP client that refuses names resolving to a private address in
   * production (checked on the address actually connected to, so a rebinding name cannot slip through).
   * Null outside production: anything goes. IP literals are never looked up; {@link rejection} covers them.
   */
  connectLookup(): LookupFunction | null {
    return this.config.isProduction ? publicOnlyLookup : null;
  }
}

/** Resolves like `dns.lookup`, but fails with EPRIVATEADDR when any address of the name is private. */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    if (addresses.length === 0 || addresses.some((entry) => isPrivateAddress(entry.address))) {
      const refused: NodeJS.ErrnoException = new Error(`${hostname} resolves to a private address`);
      refused.code = 'EPRIVATEADDR';
      return callback(refused, '', 0);
    }
    if (options.all)
      return (callback as unknown as (err: null, addresses: LookupAddress[]) => void)(
        null,
        addresses,
      );
    return callback(null, addresses[0].address, addresses[0].family);
  });
};

/** True for loopback, private (RFC 1918, ULA), link-local, CGNAT, unspecified and mapped equivalents. */
export function isPrivateAddress(address: string): boolean {
  const ip = address.toLowerCase();
  if (isIP(ip) === 4) {
    const [a, b] = ip.split('.').map(Number);
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127) ||
      a >= 224
    );
  }
  if (ip === '::' || ip === '::1') return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped) return isPrivateAddress(mapped[1]);
  return (
    ip.startsWith('fc') ||
    ip.startsWith('fd') ||
    ip.startsWith('fe8') ||
    ip.startsWith('fe9') ||
    ip.startsWith('fea') ||
    ip.startsWith('feb')
  );
}
