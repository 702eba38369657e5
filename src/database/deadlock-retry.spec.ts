import { QueryFailedError } from 'typeorm/error/QueryFailedError';
import { DEADLOCK_ATTEMPTS, isDeadlock, withDeadlockRetry } from './deadlock-retry';

function failure(errno: number, code: string): QueryFailedError {
  return new QueryFailedError(
    'UPDATE t SET n = ?',
    [1],
    Object.assign(new Error(code), { errno, code }),
  );
}

describe('deadlock retry', () => {
  it('tells a deadlock victim from other failures', () => {
    expect(isDeadlock(failure(1213, 'ER_LOCK_DEADLOCK'))).toBe(true);
    expect(isDeadlock(failure(1205, 'ER_LOCK_WAIT_TIMEOUT'))).toBe(false);
    expect(isDeadlock(failure(1062, 'ER_DUP_ENTRY'))).toBe(false);
    expect(isDeadlock(new Error('boom'))).toBe(false);
  });

  it('runs the transaction again after a deadlock and returns its result', async () => {
    const work = jest
      .fn<Promise<string>, []>()
      .mockRejectedValueOnce(failure(1213, 'ER_LOCK_DEADLOCK'))
      .mockResolvedValueOnce('done');
    await expect(withDeadlockRetry(work)).resolves.toBe('done');
    expect(work).toHaveBeenCalledTimes(2);
  });

  it(`gives up after ${DEADLOCK_ATTEMPTS} attempts, and never retries other errors`, async () => {
    const deadlocked = jest.fn(() => Promise.reject(failure(1213, 'ER_LOCK_DEADLOCK')));
    await expect(withDeadlockRetry(deadlocked)).rejects.toThrow(QueryFailedError);
    expect(deadlocked).toHaveBeenCalledTimes(DEADLOCK_ATTEMPTS);
    const timedOut = jest.fn(() => Promise.reject(failure(1205, 'ER_LOCK_WAIT_TIMEOUT')));
    await expect(withDeadlockRetry(timedOut)).rejects.toThrow(QueryFailedError);
    expect(timedOut).toHaveBeenCalledTimes(1);
  });
});
