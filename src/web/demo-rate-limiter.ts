import { Inject, Injectable } from '@nestjs/common';
import { normalizeIp } from '@nestjs/throttler';
import { FailOpenThrottlerStorage } from '../abuse/fail-open-throttler.storage';
import { LimitHitAuditor } from '../abuse/limit-hit-auditor';
import { MINUTE_MS, RateLimiter, RateLimiterName, rateLimitKeys } from '../abuse/rate-limits';
import { DomainException, ErrorCode } from '../common/errors';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

/**
 * The demo routes are public, so they are limited per client IP (Fastify's `request.ip`, which
 * follows TRUST_PROXY) in the shared rate-limit storage: every request (status polling included)
 * under RATE_LIMIT_DEMO_PER_MINUTE, and those that send a message under
 * RATE_LIMIT_DEMO_SENDS_PER_MINUTE. The per-phone limits of the API apply on top.
 */
@Injectable()
export class DemoRateLimiter {
  constructor(
    private readonly storage: FailOpenThrottlerStorage,
    private readonly auditor: LimitHitAuditor,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async request(rawIp: string | undefined): Promise<void> {
    await this.count(RateLimiter.DEMO, rawIp, this.config.rateLimits.demoPerMinute);
  }

  async send(rawIp: string | undefined): Promise<void> {
    await this.count(RateLimiter.DEMO_SENDS, rawIp, this.config.rateLimits.demoSendsPerMinute);
  }

  private async count(
    limiter: RateLimiterName,
    rawIp: string | undefined,
    limit: number,
  ): Promise<void> {
    const ip = rawIp ? normalizeIp(rawIp) : 'unknown';
    const key = rateLimitKeys.demo(limiter, ip);
    const record = await this.storage.increment(key, MINUTE_MS, limit, MINUTE_MS, limiter);
    if (!record.isBlocked) return;
    const retryAfterSeconds = Math.max(1, record.timeToBlockExpire);
    await this.auditor.record({
      limiter,
      key,
      appId: null,
      actor: { type: 'system', id: null, ip },
      retryAfterSeconds,
      data: { ip, limit },
    });
    throw new DomainException(
      ErrorCode.RATE_LIMITED,
      `Too many demo requests from this address (at most ${limit} per minute)`,
      { retryAfterSeconds },
    );
  }
}
