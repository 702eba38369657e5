/**
 * The velocity guard's arithmetic (pure, unit-tested). Creations are counted per app, country
 * calling code and clock hour (`velocity_counters`).
 *
 * - Last hour's count: a sliding 60-minute window estimated from the current and previous hour
 *   buckets: `current + previous × (share of the previous hour still inside the window)`.
 * - Usual rate (baseline): the average hourly count over the 7 days (168 hour buckets) that end where
 *   the previous hour begins, empty hours counting as 0. A new app or code has a baseline of 0.
 * - Threshold: `max(VELOCITY_FLOOR_PER_HOUR, VELOCITY_MULTIPLIER × baseline)`; over it, the code is blocked.
 */
export const HOUR_MS = 3_600_000;
export const BASELINE_HOURS = 7 * 24;

export function hourStart(now: number): number {
  return Math.floor(now / HOUR_MS) * HOUR_MS;
}

/** The hour buckets summed for the baseline: `[from, to)`. */
export function baselineRange(now: number): { from: number; to: number } {
  const previousHour = hourStart(now) - HOUR_MS;
  return { from: previousHour - BASELINE_HOURS * HOUR_MS, to: previousHour };
}

export function lastHourCount(current: number, previous: number, now: number): number {
  const elapsedShare = (now - hourStart(now)) / HOUR_MS;
  return current + previous * (1 - elapsedShare);
}

export function baselinePerHour(totalOverBaselineRange: number): number {
  return totalOverBaselineRange / BASELINE_HOURS;
}

export function velocityThreshold(
  baseline: number,
  multiplier: number,
  floorPerHour: number,
): number {
  return Math.max(floorPerHour, multiplier * baseline);
}

export function exceedsVelocity(
  count: number,
  baseline: number,
  multiplier: number,
  floorPerHour: number,
): boolean {
  return count > velocityThreshold(baseline, multiplier, floorPerHour);
}
