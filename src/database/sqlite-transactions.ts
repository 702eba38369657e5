import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource } from 'typeorm';

/**
 * SQLite: one transaction at a time. TypeORM's better-sqlite3 driver has one connection and one
 * query runner for everything, so a transaction started while another is open (two callers
 * awaiting in the same tick, e.g. work started together with Promise.all) would become a
 * savepoint inside the other and share its commit or rollback. Transactions queue here instead,
 * in order; one started inside a running transaction's callback is its nested savepoint, as
 * before. A transaction must still never await a network call (none does: provider calls happen
 * between transactions), or every other transaction waits for it.
 *
 * MySQL needs none of this: each transaction has its own pooled connection.
 */
export function serializeSqliteTransactions(dataSource: DataSource): DataSource {
  if (dataSource.options.type !== 'better-sqlite3') return dataSource;
  const manager = dataSource.manager;
  const transaction = manager.transaction.bind(manager) as (...args: unknown[]) => Promise<unknown>;
  const inTransaction = new AsyncLocalStorage<true>();
  let last: Promise<unknown> = Promise.resolve();
  manager.transaction = ((...args: unknown[]) => {
    if (inTransaction.getStore()) return transaction(...args);
    const turn = last.then(() => inTransaction.run(true, () => transaction(...args)));
    last = turn.catch(() => undefined);
    return turn;
  }) as typeof manager.transaction;
  return dataSource;
}
