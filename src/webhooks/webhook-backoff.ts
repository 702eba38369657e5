import { randomInt } from 'node:crypto';

/** Relative jitter applied to every retry delay (±10 %), so retries of many events do not arrive in waves. */
export const RETRY_JITTER = 0.1;

function uniformRandom(): number {
  return randomInt(0, 1_000_000) / 1_000_000;
}

/** What happens to a delivery after a failed attempt. */
export type FailureOutcome = { status: 'pending'; nextAttemptAt: number } | { status: 'failed' };

/**
 * The delay before the next attempt once `attemptsMade` attempts have failed: `schedule[attemptsMade - 1]`
 * with ±{@link RETRY_JITTER} jitter, or null when the schedule is used up (the delivery has failed).
 * `random` returns a number in [0, 1) (a CSPRNG draw by default).
 */
export function retryDelayMs(
  schedule: readonly number[],
  attemptsMade: number,
  random: () => number = uniformRandom,
): number | null {
  if (attemptsMade < 1 || attemptsMade > schedule.length) return null;
  const base = schedule[attemptsMade - 1];
  const factor = 1 - RETRY_JITTER + 2 * RETRY_JITTER * random();
  return Math.max(0, Math.round(base * factor));
}

/** After a failed attempt number `attemptsMade`: retry at a jittered time, or give up after the last scheduled delay. */
export function outcomeAfterFailure(
  schedule: readonly number[],
  attemptsMade: number,
  now: number,
  random: () => number = uniformRandom,
): FailureOutcome {
  const delay = retryDelayMs(schedule, attemptsMade, random);
  return delay === null ? { status: 'failed' } : { status: 'pending', nextAttemptAt: now + delay };
}
