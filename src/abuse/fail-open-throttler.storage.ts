import { OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { FixedWindowMemoryStorage } from './fixed-window-memory.storage';
import { ThrottledWarning } from './throttled-logger';

/**
 * The throttler storage every limiter uses (Redis when REDIS_URL is set, else in memory), wrapped so
 * that a failing backing store never fails a request: when it errors (Redis down, timeout) the
 * limits are counted in this instance's memory instead, and a warning is logged at most once per
 * minute. Rate limiting is a protection, not a dependency: an outage of Redis must not take the
 * verification API down with it, nor switch the limits off (each instance then enforces them on its
 * own; they are shared again as soon as Redis answers).
 */
export class FailOpenThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private closed = false;

  constructor(
    private readonly inner: ThrottlerStorage,
    private readonly warning: ThrottledWarning,
    private readonly onClose: () => void = () => undefined,
    private readonly fallback: FixedWindowMemoryStorage = new FixedWindowMemoryStorage(),
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
        `Rate-limit storage unavailable, limiting in memory (${error instanceof Error ? error.message : String(error)})`,
      );
      return this.fallback.increment(key, ttl, limit, blockDuration, throttlerName);
    }
  }

  /** Idempotent: Nest may call it for this instance under two tokens. */
  onApplicationShutdown(): void {
    if (this.closed) return;
    this.closed = true;
    const inner = this.inner as Partial<OnApplicationShutdown>;
    inner.onApplicationShutdown?.();
    this.fallback.onApplicationShutdown();
    this.onClose();
  }
}
