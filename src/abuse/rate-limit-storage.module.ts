import { Logger, Module } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { HealthService } from '../health/health.service';
import { FailOpenThrottlerStorage } from './fail-open-throttler.storage';
import { FixedWindowMemoryStorage } from './fixed-window-memory.storage';
import { createRedisClient, RATE_LIMIT_REDIS, RedisHealthIndicator } from './redis-connection';
import { ThrottledWarning } from './throttled-logger';

const RATE_LIMIT_WARNING = Symbol('RATE_LIMIT_WARNING');

/**
 * The one storage behind every limiter: Redis (shared by all instances) when REDIS_URL is set, else
 * in memory; always fail-open. With Redis, `redis: up|down` is added to /health/ready.
 */
@Module({
  providers: [
    {
      provide: RATE_LIMIT_WARNING,
      useFactory: (): ThrottledWarning => new ThrottledWarning(new Logger('RateLimit')),
    },
    {
      provide: RATE_LIMIT_REDIS,
      inject: [APP_CONFIG, RATE_LIMIT_WARNING],
      useFactory: (config: AppConfig, warning: ThrottledWarning): Redis | null =>
        config.redisUrl ? createRedisClient(config.redisUrl, config.redisKeyPrefix, warning) : null,
    },
    {
      provide: FailOpenThrottlerStorage,
      inject: [RATE_LIMIT_REDIS, RATE_LIMIT_WARNING, HealthService],
      useFactory: (
        redis: Redis | null,
        warning: ThrottledWarning,
        health: HealthService,
      ): FailOpenThrottlerStorage => {
        if (!redis) return new FailOpenThrottlerStorage(new FixedWindowMemoryStorage(), warning);
        health.register(new RedisHealthIndicator(redis));
        const redisStorage = new ThrottlerStorageRedisService(redis);
        // While disconnected, fail at once instead of sending a command that can only fail.
        const whenConnected: ThrottlerStorage = {
          increment: (...args) =>
            redis.status === 'ready'
              ? redisStorage.increment(...args)
              : Promise.reject(new Error(`Redis is ${redis.status}`)),
        };
        return new FailOpenThrottlerStorage(whenConnected, warning, () => redis.disconnect());
      },
    },
  ],
  exports: [FailOpenThrottlerStorage],
})
export class RateLimitStorageModule {}
