import { nestsDeeperThan } from './request-shape';

describe('nestsDeeperThan', () => {
  const deep = (levels: number): unknown => JSON.parse('['.repeat(levels) + ']'.repeat(levels));

  it('counts levels of objects and arrays', () => {
    expect(nestsDeeperThan({ a: { b: [1] } }, 3)).toBe(false);
    expect(nestsDeeperThan({ a: { b: [1] } }, 2)).toBe(true);
    expect(nestsDeeperThan(deep(32), 32)).toBe(false);
    expect(nestsDeeperThan(deep(33), 32)).toBe(true);
  });

  it('treats scalars and null as flat', () => {
    for (const value of [null, 1, 'x', true, undefined])
      expect(nestsDeeperThan(value, 0)).toBe(false);
  });

  it('walks very deep input without overflowing the stack', () => {
    expect(nestsDeeperThan(deep(100_000), 32)).toBe(true);
  });
});
