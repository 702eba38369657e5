import { Inject, Injectable } from '@nestjs/common';
import { App } from '../apps/entities/app.entity';
import { Actor } from '../auth/auth.types';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { DomainException, ErrorCode } from '../common/errors';
import { maskPhone } from '../common/phone-mask';
import { NormalisedPhone } from '../common/phone';
import { FailOpenThrottlerStorage } from './fail-open-throttler.storage';
import { LimitHitAuditor } from './limit-hit-auditor';
import {
  DAY_MS,
  FIFTEEN_MINUTES_MS,
  RateLimiter,
  RateLimiterName,
  rateLimitKeys,
} from './rate-limits';

interface PhoneLimit {
  limiter: RateLimiterName;
  windowMs: number;
  limit: number;
  label: string;
}

/**
 * Verifications created per app and phone (E.164): RATE_LIMIT_PHONE_PER_15_MINUTES and
 * RATE_LIMIT_PHONE_PER_DAY, or the app's own `phoneLimitPer15Minutes` / `phoneLimitPerDay`. Counted in
 * the shared throttler storage, so every instance sees the same counts. Over a limit, the phone is
 * blocked for that limit's window and creations answer 429 `rate_limited` with Retry-After.
 */
@Injectable()
export class PhoneRateLimiter {
  constructor(
    private readonly storage: FailOpenThrottlerStorage,
    private readonly auditor: LimitHitAuditor,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  limitsFor(app: App): PhoneLimit[] {
    return [
      {
        limiter: RateLimiter.PHONE_15M,
        windowMs: FIFTEEN_MINUTES_MS,
        limit: app.phoneLimit15m ?? this.config.rateLimits.phonePer15Minutes,
        label: '15 minutes',
      },
      {
        limiter: RateLimiter.PHONE_DAY,
        windowMs: DAY_MS,
        limit: app.phoneLimitDay ?? this.config.rateLimits.phonePerDay,
        label: '24 hours',
      },
    ];
  }

  /** Counts one creation for this phone, or throws 429 when a limit is reached. */
  async consume(app: App, phone: NormalisedPhone, actor: Actor): Promise<void> {
    for (const { limiter, windowMs, limit, label } of this.limitsFor(app)) {
      const key = rateLimitKeys.phone(limiter, app.id, phone.e164);
      const record = await this.storage.increment(key, windowMs, limit, windowMs, limiter);
      if (!record.isBlocked) continue;
      const retryAfterSeconds = Math.max(1, record.timeToBlockExpire);
      await this.auditor.record({
        limiter,
        key,
        appId: app.id,
        actor,
        retryAfterSeconds,
        data: { phone: maskPhone(phone.e164), limit },
      });
      throw new DomainException(
        ErrorCode.RATE_LIMITED,
        `Too many verifications for this phone number (at most ${limit} per ${label})`,
        { retryAfterSeconds },
      );
    }
  }
}
