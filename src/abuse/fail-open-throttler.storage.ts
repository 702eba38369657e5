import { OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { ThrottledWarning } from './throttled-logger';

/**
 * The throttler storage every limiter uses (Redis when REDIS_URL is set, else in memory), wrapped so
 * that it FAILS OPEN: when the backing store errors (Redis down, timeout) the request is allowed and a
 * warning is logged at most once per minute. Rate limiting is a protection, not a dependency: an
 * outage of Redis must not take the verification API down with it.
 */
export class FailOpenThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private closed = false;

  constructor(
    private readonly inner: ThrottlerStorage,
    private readonly warning: ThrottledWarning,
    private readonly onClose: () => void = () => undefined,
  ) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    try {
      return await this.inner.increment(key, ttl, limit, blockDuration, throttlerName);
    } catch (error) {
      this.warning.warn(
        `Rate-limit storage unavailable, allowing requests (${error instanceof Error ? error.message : String(error)})`,
      );
      return {
        totalHits: 0,
        timeToExpire: Math.ceil(ttl / 1000),
        isBlocked: false,
        timeToBlockExpire: 0,
      };
    }
  }

  /** Idempotent: Nest may call it for this instance under two tokens. */
  onApplicationShutdown(): void {
    if (this.closed) return;
    this.closed = true;
    const inner = this.inner as Partial<OnApplicationShutdown>;
    inner.onApplicationShutdown?.();
    this.onClose();
  }
}
