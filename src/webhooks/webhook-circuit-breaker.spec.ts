import { cooldownMs, endpointKey } from './webhook-circuit-breaker';

describe('webhook circuit breaker', () => {
  it('parks for the base cool-down first, doubling per failed probe up to the maximum', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((trips) => cooldownMs(trips, 30_000, 1_800_000))).toEqual([
      30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_800_000,
    ]);
    expect(cooldownMs(1000, 30_000, 1_800_000)).toBe(1_800_000);
    expect(cooldownMs(0, 30_000, 1_800_000)).toBe(30_000);
  });

  it('never parks for less than the base cool-down, even with a smaller maximum', () => {
    expect(cooldownMs(3, 10_000, 5_000)).toBe(10_000);
  });

  it('keys the state by URL, so a new URL starts with a closed breaker', () => {
    expect(endpointKey('https://a.example.com/hook')).toMatch(/^[0-9a-f]{64}$/);
    expect(endpointKey('https://a.example.com/hook')).not.toBe(
      endpointKey('https://a.example.com/hook2'),
    );
  });
});
