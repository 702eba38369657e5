import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { FailOpenThrottlerStorage } from './fail-open-throttler.storage';
import { ThrottledWarning } from './throttled-logger';

describe('FailOpenThrottlerStorage', () => {
  let now: number;
  let warnings: string[];
  let warning: ThrottledWarning;

  beforeEach(() => {
    now = Date.UTC(2025, 0, 1);
    warnings = [];
    warning = new ThrottledWarning(
      { warn: (message: string) => warnings.push(message) },
      60_000,
      () => now,
    );
  });

  const failing: ThrottlerStorage = {
    increment: () => Promise.reject(new Error('Connection is closed.')),
  };

  it('passes the backing store answers through, blocks included', async () => {
    const inner = new ThrottlerStorageService();
    const storage = new FailOpenThrottlerStorage(inner, warning);
    const results = [];
    for (let i = 0; i < 3; i++)
      results.push(await storage.increment('k', 60_000, 2, 60_000, 'phone-15m'));
    expect(results.map((r) => r.isBlocked)).toEqual([false, false, true]);
    expect(results[2].timeToBlockExpire).toBe(60);
    expect(warnings).toEqual([]);
    storage.onApplicationShutdown();
  });

  it('never fails the request when the store fails: it counts in memory instead', async () => {
    const storage = new FailOpenThrottlerStorage(failing, warning);
    await expect(storage.increment('k', 60_000, 2, 60_000, 'api-key')).resolves.toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
    await expect(storage.increment('k', 60_000, 2, 60_000, 'api-key')).resolves.toMatchObject({
      totalHits: 2,
      isBlocked: false,
    });
    // Over the limit: blocked by the in-memory count, not waved through.
    await expect(storage.increment('k', 60_000, 2, 60_000, 'api-key')).resolves.toMatchObject({
      isBlocked: true,
    });
    await expect(storage.increment('other', 60_000, 2, 60_000, 'api-key')).resolves.toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
    storage.onApplicationShutdown();
  });

  it('goes back to the store once it answers again', async () => {
    let down = true;
    const inner = new ThrottlerStorageService();
    const flaky: ThrottlerStorage = {
      increment: (...args) =>
        down ? Promise.reject(new Error('Redis is reconnecting')) : inner.increment(...args),
    };
    const storage = new FailOpenThrottlerStorage(flaky, warning);
    await storage.increment('k', 60_000, 5, 60_000, 'api-key');
    down = false;
    await expect(storage.increment('k', 60_000, 5, 60_000, 'api-key')).resolves.toMatchObject({
      totalHits: 1,
    });
    storage.onApplicationShutdown();
    inner.onApplicationShutdown();
  });

  it('warns at most once per minute while the store keeps failing', async () => {
    const storage = new FailOpenThrottlerStorage(failing, warning);
    for (let i = 0; i < 5; i++) await storage.increment('k', 60_000, 1, 60_000, 'api-key');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('Connection is closed.');
    now += 59_999;
    await storage.increment('k', 60_000, 1, 60_000, 'api-key');
    expect(warnings).toHaveLength(1);
    now += 1;
    await storage.increment('k', 60_000, 1, 60_000, 'api-key');
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toContain('5 similar warnings suppressed');
  });

  it('closes the backing store once, however often Nest calls the hook', () => {
    const close = jest.fn();
    const storage = new FailOpenThrottlerStorage(failing, warning, close);
    storage.onApplicationShutdown();
    storage.onApplicationShutdown();
    expect(close).toHaveBeenCalledTimes(1);
  });
});
