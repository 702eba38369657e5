import Redis from 'ioredis';
import { HealthIndicator } from '../health/health.service';
import { ThrottledWarning } from './throttled-logger';

/** Token of the ioredis client shared by the rate limiters (null without REDIS_URL). */
export const RATE_LIMIT_REDIS = Symbol('RATE_LIMIT_REDIS');

/**
 * An ioredis client that fails fast while Redis is unreachable (no offline queue, one retry, short
 * connect and command timeouts) and keeps reconnecting in the background, so the limiters fail open
 * at once and recover on their own when Redis is back.
 */
export function createRedisClient(
  url: string,
  keyPrefix: string,
  warning: ThrottledWarning,
): Redis {
  const client = new Redis(url, {
    keyPrefix,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    commandTimeout: 1000,
    // At shutdown ioredis waits this long for a socket that may already be gone.
    disconnectTimeout: 200,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  client.on('error', (error: Error) => warning.warn(`Redis: ${error.message}`));
  return client;
}

/** `redis: up|down` in /health/ready. Informational only: the limiters fail open, so Redis never decides readiness. */
export class RedisHealthIndicator implements HealthIndicator {
  readonly name = 'redis';

  constructor(private readonly client: Pick<Redis, 'status' | 'ping'>) {}

  async state(): Promise<string> {
    if (this.client.status !== 'ready') return 'down';
    try {
      return (await this.client.ping()) === 'PONG' ? 'up' : 'down';
    } catch {
      return 'down';
    }
  }
}
