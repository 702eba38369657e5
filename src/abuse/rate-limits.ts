/**
 * Names of the limiters (throttler names in the shared storage, and `limiter` in `rate_limit.hit`
 * audit events) and the keys they count under. Keys never contain a secret: API keys are tracked by
 * their id, phones by app and E.164.
 */
export const RateLimiter = {
  API_KEY: 'api-key',
  AUTH_FAILURE: 'auth-failure',
  PHONE_15M: 'phone-15m',
  PHONE_DAY: 'phone-day',
  DEMO: 'demo',
  DEMO_SENDS: 'demo-sends',
} as const;

export type RateLimiterName = (typeof RateLimiter)[keyof typeof RateLimiter];

export const MINUTE_MS = 60_000;
export const FIFTEEN_MINUTES_MS = 15 * MINUTE_MS;
export const DAY_MS = 24 * 60 * MINUTE_MS;

export const rateLimitKeys = {
  apiKey: (apiKeyId: string): string => `${RateLimiter.API_KEY}:${apiKeyId}`,
  authFailure: (ip: string): string => `${RateLimiter.AUTH_FAILURE}:${ip}`,
  demo: (limiter: RateLimiterName, ip: string): string => `${limiter}:${ip}`,
  /** One key per limiter: the in-memory storage keeps one block flag per key, shared by throttler names. */
  phone: (limiter: RateLimiterName, appId: string, e164: string): string =>
    `${limiter}:${appId}:${e164}`,
};
