import { OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';

interface Window {
  hits: number;
  /** End of the current counting window (epoch ms). */
  endsAt: number;
  /** Epoch ms until which the key is refused; 0 when not blocked. */
  blockedUntil: number;
}

/**
 * The in-memory rate-limit storage (no REDIS_URL, and the fallback while Redis is down): one
 * counter per key and limiter in a fixed window, with the block semantics of the Redis storage
 * (INCR + PEXPIRE, a block key set once the limit is passed), so one instance and several count
 * alike. O(1) per request: @nestjs/throttler's own memory storage keeps every hit's expiry and
 * filters that list on each request, which under load cost ~8 % of the service's CPU (a profile of
 * the outbound flow) and grows with the limit.
 */
export class FixedWindowMemoryStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly windows = new Map<string, Window>();
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly sweepIntervalMs = 60_000,
  ) {}

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    return Promise.resolve(this.hit(`${throttlerName}\u0000${key}`, ttl, limit, blockDuration));
  }

  /** Keys counted now (for tests and the sweep). */
  get size(): number {
    return this.windows.size;
  }

  /** Forgets windows that have ended and are not blocked. */
  sweep(): void {
    const now = this.now();
    for (const [id, window] of this.windows)
      if (window.endsAt <= now && window.blockedUntil <= now) this.windows.delete(id);
  }

  onApplicationShutdown(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }

  private hit(
    id: string,
    ttl: number,
    limit: number,
    blockDuration: number,
  ): ThrottlerStorageRecord {
    const now = this.now();
    let window = this.windows.get(id);
    if (!window) {
      window = { hits: 0, endsAt: now + ttl, blockedUntil: 0 };
      this.windows.set(id, window);
      this.startSweeper();
    } else if (window.endsAt <= now) {
      window.hits = 0;
      window.endsAt = now + ttl;
    }
    window.hits += 1;
    if (window.blockedUntil <= now && window.hits > limit) {
      // Blocked for blockDuration (the rest of the window when none is given).
      window.blockedUntil = now + (blockDuration > 0 ? blockDuration : window.endsAt - now);
    }
    const isBlocked = window.blockedUntil > now;
    return {
      totalHits: window.hits,
      timeToExpire: Math.ceil((window.endsAt - now) / 1000),
      isBlocked,
      timeToBlockExpire: isBlocked ? Math.ceil((window.blockedUntil - now) / 1000) : 0,
    };
  }

  private startSweeper(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => this.sweep(), this.sweepIntervalMs);
    this.sweeper.unref();
  }
}
