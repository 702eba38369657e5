import { outcomeAfterFailure, retryDelayMs } from './webhook-backoff';

describe('webhook retry backoff', () => {
  const schedule = [5_000, 30_000, 120_000];

  it('waits schedule[attempts - 1] with at most ±10 % jitter', () => {
    expect(retryDelayMs(schedule, 1, () => 0)).toBe(4_500);
    expect(retryDelayMs(schedule, 1, () => 0.5)).toBe(5_000);
    expect(retryDelayMs(schedule, 1, () => 0.999999)).toBe(5_500);
    expect(retryDelayMs(schedule, 2, () => 0)).toBe(27_000);
    expect(retryDelayMs(schedule, 3, () => 0.999999)).toBe(132_000);
  });

  it('stays inside the jitter bounds for random draws', () => {
    for (let i = 0; i < 1000; i++) {
      const delay = retryDelayMs(schedule, 2)!;
      expect(delay).toBeGreaterThanOrEqual(27_000);
      expect(delay).toBeLessThanOrEqual(33_000);
    }
  });

  it('spreads retries rather than sending them in a wave', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(schedule, 3)));
    expect(delays.size).toBeGreaterThan(10);
  });

  it('schedules the next attempt while the schedule lasts', () => {
    expect(outcomeAfterFailure(schedule, 1, 1_000_000, () => 0.5)).toEqual({
      status: 'pending',
      nextAttemptAt: 1_005_000,
    });
    expect(outcomeAfterFailure(schedule, 3, 1_000_000, () => 0.5)).toEqual({
      status: 'pending',
      nextAttemptAt: 1_120_000,
    });
  });

  it('fails the delivery after the attempt that follows the last scheduled delay', () => {
    expect(outcomeAfterFailure(schedule, 4, 1_000_000)).toEqual({ status: 'failed' });
    expect(outcomeAfterFailure(schedule, 11, 1_000_000)).toEqual({ status: 'failed' });
    expect(outcomeAfterFailure([200], 2, 0)).toEqual({ status: 'failed' });
  });
});
