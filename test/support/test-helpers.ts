import { Clock } from '../../src/common/clock';

/** A clock that stands still (specs only). */
export class FixedClock extends Clock {
  constructor(private readonly at = Date.UTC(2025, 0, 1, 12, 0, 0)) {
    super();
  }

  override now(): number {
    return this.at;
  }
}

/** Rejection of a promise that must reject (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}
