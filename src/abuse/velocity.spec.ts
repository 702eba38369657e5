import {
  BASELINE_HOURS,
  baselinePerHour,
  baselineRange,
  exceedsVelocity,
  HOUR_MS,
  hourStart,
  lastHourCount,
  velocityThreshold,
} from './velocity';

describe('velocity arithmetic', () => {
  const hour = Date.UTC(2025, 0, 1, 12);

  it('buckets an instant into its clock hour', () => {
    expect(hourStart(hour)).toBe(hour);
    expect(hourStart(hour + HOUR_MS - 1)).toBe(hour);
    expect(hourStart(hour + HOUR_MS)).toBe(hour + HOUR_MS);
  });

  it('estimates the last 60 minutes from the current and the still-covered part of the previous hour', () => {
    expect(lastHourCount(10, 40, hour)).toBe(50); // at :00 the whole previous hour is inside the window
    expect(lastHourCount(10, 40, hour + HOUR_MS / 4)).toBe(40); // at :15, three quarters of it
    expect(lastHourCount(10, 40, hour + HOUR_MS - 1)).toBeCloseTo(10, 3);
  });

  it('averages the 168 hours that end where the previous hour begins, empty hours counting as zero', () => {
    const now = hour + 20 * 60_000;
    expect(baselineRange(now)).toEqual({
      from: hour - HOUR_MS - BASELINE_HOURS * HOUR_MS,
      to: hour - HOUR_MS,
    });
    expect(baselinePerHour(168 * 5)).toBe(5);
    expect(baselinePerHour(0)).toBe(0);
  });

  it('uses the floor for apps without history and the multiplier once the usual rate is high enough', () => {
    expect(velocityThreshold(0, 10, 100)).toBe(100);
    expect(velocityThreshold(5, 10, 100)).toBe(100);
    expect(velocityThreshold(30, 10, 100)).toBe(300);
  });

  it('blocks only counts strictly over the threshold', () => {
    expect(exceedsVelocity(100, 0, 10, 100)).toBe(false);
    expect(exceedsVelocity(101, 0, 10, 100)).toBe(true);
    expect(exceedsVelocity(250, 20, 10, 100)).toBe(true);
    expect(exceedsVelocity(200, 20, 10, 100)).toBe(false);
  });
});
