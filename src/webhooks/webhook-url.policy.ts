import { Inject, Injectable } from '@nestjs/common';
import { isIP } from 'node:net';
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
      throw new DomainException(ErrorCode.VALIDATION_FAILED, `webhookUrl is not allowed: ${reason}`, {
        details: [{ field: 'webhookUrl', message: reason }],
      });
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
    if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal') || host.endsWith('.local')) {
      return 'must not target a local host';
    }
    if (isIP(host) && isPrivateAddress(host)) return 'must not target a private, loopback or link-local address';
    return null;
  }
}

/** True for loopback, private (RFC 1918, ULA), link-local, CGNAT, unspecified and mapped equivalents. */
export function isPrivateAddress(address: string): boolean {
  const ip = address.toLowerCase();
  if (isIP(ip) === 4) {
    const [a, b] = ip.split('.').map(Number);
    return (
      a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || a >= 224
    );
  }
  if (ip === '::' || ip === '::1') return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped) return isPrivateAddress(mapped[1]);
  return ip.startsWith('fc') || ip.startsWith('fd') || ip.startsWith('fe8') || ip.startsWith('fe9') || ip.startsWith('fea') || ip.startsWith('feb');
}
