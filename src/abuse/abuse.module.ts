import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ApiKeyThrottlerGuard } from './api-key-throttler.guard';
import { AuthFailureLimiter } from './auth-failure-limiter';
import { CreationGuard } from './creation-guard.service';
import { FailOpenThrottlerStorage } from './fail-open-throttler.storage';
import { LimitHitAuditor } from './limit-hit-auditor';
import { PhoneRateLimiter } from './phone-rate-limiter';
import { RateLimitStorageModule } from './rate-limit-storage.module';
import { MINUTE_MS, RateLimiter } from './rate-limits';
import { VelocityGuard } from './velocity-guard.service';
import { VelocityRepository } from './velocity.repository';

/**
 * Abuse protection: rate limits (per API key, per IP on failed authentication, per phone), the
 * fraud checks on creation (allowed countries, number type, velocity per calling code). The guards
 * are registered globally by AppModule, in order around ApiAuthGuard.
 */
@Module({
  imports: [
    RateLimitStorageModule,
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStorageModule],
      inject: [APP_CONFIG, FailOpenThrottlerStorage],
      useFactory: (config: AppConfig, storage: FailOpenThrottlerStorage) => ({
        throttlers: [
          { name: RateLimiter.API_KEY, ttl: MINUTE_MS, limit: config.rateLimits.apiKeyPerMinute },
        ],
        storage,
        setHeaders: false,
      }),
    }),
  ],
  providers: [
    CreationGuard,
    PhoneRateLimiter,
    VelocityGuard,
    VelocityRepository,
    LimitHitAuditor,
    AuthFailureLimiter,
    ApiKeyThrottlerGuard,
  ],
  exports: [
    CreationGuard,
    AuthFailureLimiter,
    LimitHitAuditor,
    ApiKeyThrottlerGuard,
    VelocityGuard,
  ],
})
export class AbuseModule {}
