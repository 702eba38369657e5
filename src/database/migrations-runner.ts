import { DataSource } from 'typeorm';
import { DatabaseConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { MIGRATIONS } from './migrations';

/** TypeORM's bookkeeping table (its default name). */
const MIGRATIONS_TABLE = 'migrations';

/**
 * Applies the pending migrations (each in its own transaction) on a connection of its own and
 * returns their names in order; empty when none was pending. Used by `migrate.js` and `wa-verify
 * migrate`.
 */
export async function runPendingMigrations(database: DatabaseConfig): Promise<string[]> {
  const dataSource = new DataSource(dataSourceOptions(database));
  await dataSource.initialize();
  try {
    const ran = await dataSource.runMigrations({ transaction: 'each' });
    return ran.map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}

/**
 * Names of the compiled migrations the database has not applied, in order. Read-only (unlike
 * TypeORM's own check, it never creates the bookkeeping table), so `wa-verify doctor` may run it
 * anywhere.
 */
export async function pendingMigrationNames(dataSource: DataSource): Promise<string[]> {
  const all = MIGRATIONS.map((migration) => migration.name);
  const runner = dataSource.createQueryRunner();
  try {
    if (!(await runner.hasTable(MIGRATIONS_TABLE))) return all;
    const rows: { name: string }[] = await runner.query(`SELECT name FROM ${MIGRATIONS_TABLE}`);
    const applied = new Set(rows.map((row) => row.name));
    return all.filter((name) => !applied.has(name));
  } finally {
    await runner.release();
  }
}
