import { Inject, Injectable } from '@nestjs/common';
import { normalizeIp } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Clock } from '../common/clock';
import { MetricsService } from '../metrics/metrics.service';
import { DomainException, ErrorCode } from '../common/errors';
import { FailOpenThrottlerStorage } from './fail-open-throttler.storage';
import { LimitHitAuditor } from './limit-hit-auditor';
import { MINUTE_MS, RateLimiter, rateLimitKeys } from './rate-limits';

/**
 * Per client IP limit on FAILED authentication (wrong or missing API key, bad provider webhook
 * signature): failures are counted in the shared storage; once an IP is over the limit, its FAILING
 * requests answer 429 `rate_limited` instead of 401. A request whose credentials are valid is never
 * counted nor refused here (an attacker who shares or fakes a tenant's IP cannot lock it out), so
 * this is applied by HttpErrorFilter to the authentication errors only, after the check.
 *
 * The client IP is Fastify's `request.ip`, which follows TRUST_PROXY.
 *
 * Blocks are mirrored in memory per instance so the pre-check costs no round trip: an instance learns
 * of a block from its own counting (the failure that crosses the limit, or the first failure it sees
 * from an IP another instance blocked), and refuses that IP from then on until the block ends.
 */
@Injectable()
export class AuthFailureLimiter {
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    private readonly storage: FailOpenThrottlerStorage,
    private readonly auditor: LimitHitAuditor,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  /** True for the errors that mean "your credentials are wrong". */
  isAuthFailure(error: unknown): error is DomainException {
    return (
      error instanceof DomainException &&
      (error.code === ErrorCode.UNAUTHORIZED || error.code === ErrorCode.INVALID_SIGNATURE)
    );
  }

  /** The 429 to answer instead of a failed authentication's 401, when this IP is already blocked. */
  refusalFor(rawIp: string | undefined): DomainException | null {
    const ip = clientIp(rawIp);
    const until = this.blockedUntil.get(ip);
    if (until === undefined) return null;
    const now = this.clock.now();
    if (until <= now) {
      this.blockedUntil.delete(ip);
      return null;
    }
    this.metrics.rateLimitedBy(RateLimiter.AUTH_FAILURE);
    return tooManyFailures(Math.ceil((until - now) / 1000));
  }

  /** Counts one failed authentication; returns the 429 to answer instead when the IP is now over the limit. */
  async recordFailure(rawIp: string | undefined): Promise<DomainException | null> {
    const ip = clientIp(rawIp);
    const limit = this.config.rateLimits.unauthenticatedPerMinute;
    const key = rateLimitKeys.authFailure(ip);
    const record = await this.storage.increment(
      key,
      MINUTE_MS,
      limit,
      MINUTE_MS,
      RateLimiter.AUTH_FAILURE,
    );
    if (!record.isBlocked) return null;
    const retryAfterSeconds = Math.max(1, record.timeToBlockExpire);
    const now = this.clock.now();
    if (this.blockedUntil.size > 10_000) this.prune(now);
    this.blockedUntil.set(ip, now + retryAfterSeconds * 1000);
    await this.auditor.record({
      limiter: RateLimiter.AUTH_FAILURE,
      key,
      appId: null,
      actor: { type: 'system', id: null, ip },
      retryAfterSeconds,
      data: { ip, limit },
    });
    return tooManyFailures(retryAfterSeconds);
  }

  private prune(now: number): void {
    for (const [ip, until] of this.blockedUntil) if (until <= now) this.blockedUntil.delete(ip);
  }
}

function clientIp(ip: string | undefined): string {
  return ip ? normalizeIp(ip) : 'unknown';
}

function tooManyFailures(retryAfterSeconds: number): DomainException {
  return new DomainException(
    ErrorCode.RATE_LIMITED,
    'Too many failed authentication attempts from this address',
    { retryAfterSeconds },
  );
}
