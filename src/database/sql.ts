import { EntityManager } from 'typeorm';
import { deferWrite } from './pipelined-transactions';

/**
 * Runs one data-changing statement and returns the number of rows it affected, on SQLite and
 * MySQL alike. Used for conditional state transitions (`UPDATE … WHERE status = 'pending' …`).
 * Placeholders are `?` on both engines.
 */
export async function execute(
  manager: EntityManager,
  sql: string,
  parameters: unknown[],
): Promise<number> {
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const result = await runner.query(sql, parameters, true);
    return result.affected ?? 0;
  } finally {
    if (!manager.queryRunner) await runner.release();
  }
}

/**
 * Runs a write whose result the caller does not need and whose error it does not handle (an
 * upsert of a counter, an insert of a fresh row). On MySQL inside a transaction it is sent with
 * the transaction's next statement, at the latest with COMMIT (pipelined-transactions.ts); its
 * error, if any, surfaces there and rolls the transaction back.
 */
export async function executeDeferred(
  manager: EntityManager,
  sql: string,
  parameters: unknown[],
): Promise<void> {
  await deferWrite(manager.queryRunner, sql, parameters, () => execute(manager, sql, parameters));
}

/** True when an insert failed on a unique index (SQLite or MySQL). */
export function isUniqueViolation(error: unknown): boolean {
  const err = error as {
    code?: string;
    errno?: number;
    driverError?: { code?: string; errno?: number };
  };
  const code = err?.driverError?.code ?? err?.code;
  const errno = err?.driverError?.errno ?? err?.errno;
  return (
    code === 'ER_DUP_ENTRY' ||
    errno === 1062 ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}
