import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';

/** Attempts of a transaction that InnoDB picks as a deadlock's victim (the first included). */
export const DEADLOCK_ATTEMPTS = 3;

/**
 * MySQL/MariaDB: a transaction chosen as a deadlock's victim (ER_LOCK_DEADLOCK) has been rolled
 * back whole by the server, so running it again is safe and is what the server asks for. Every
 * `dataSource.transaction` is retried up to {@link DEADLOCK_ATTEMPTS} times, after a few
 * milliseconds, instead of answering 500 for a race between two requests (e.g. a check and a
 * workflow step's outcome locking the same rows in a different order). A transaction's callback
 * must therefore do nothing outside the database that cannot happen twice (none does: provider
 * calls and webhooks happen between transactions). Other errors, and a lock wait timeout, are
 * not retried.
 */
export function retryDeadlocks(dataSource: DataSource): DataSource {
  if (dataSource.options.type !== 'mysql' && dataSource.options.type !== 'mariadb')
    return dataSource;
  const manager = dataSource.manager;
  const transaction = manager.transaction.bind(manager) as (...args: unknown[]) => Promise<unknown>;
  manager.transaction = ((...args: unknown[]) =>
    withDeadlockRetry(() => transaction(...args))) as typeof manager.transaction;
  return dataSource;
}

/** Runs `work` (one whole transaction) again while it fails as a deadlock's victim, at most {@link DEADLOCK_ATTEMPTS} times. */
export async function withDeadlockRetry<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= DEADLOCK_ATTEMPTS || !isDeadlock(error)) throw error;
      // A few milliseconds, different for each victim, so the two do not cross again at once.
      await sleep(attempt * randomInt(2, 10));
    }
  }
}

export function isDeadlock(error: unknown): boolean {
  const driverError = (error as { driverError?: { errno?: number; code?: string } }).driverError;
  const cause = driverError ?? (error as { errno?: number; code?: string });
  return cause?.errno === 1213 || cause?.code === 'ER_LOCK_DEADLOCK';
}
