import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '../config/app-config';
import { loadDotenv } from '../config/dotenv';
import { checkDatabase, DatabaseUnavailableError } from './database-check';
import { dataSourceOptions } from './data-source-options';

/**
 * Applies pending migrations and exits, with the service's own configuration (.env, DATABASE_URL)
 * and the compiled MIGRATIONS list: `npm run migrate`, or `node dist/src/database/migrate.js` in the
 * container image, which has no dev dependencies (no ts-node, no TypeORM CLI).
 */
async function migrate(): Promise<void> {
  loadDotenv();
  let database;
  try {
    database = loadConfig().database;
  } catch (error) {
    if (error instanceof ConfigError) exitWith(`invalid configuration: ${error.message}`);
    throw error;
  }
  try {
    await checkDatabase(database);
  } catch (error) {
    if (error instanceof DatabaseUnavailableError) exitWith(error.message);
    throw error;
  }
  const dataSource = new DataSource(dataSourceOptions(database));
  await dataSource.initialize();
  try {
    const ran = await dataSource.runMigrations({ transaction: 'each' });
    if (ran.length === 0) process.stdout.write('wa-verify: no pending migrations\n');
    for (const migration of ran) process.stdout.write(`wa-verify: migrated ${migration.name}\n`);
  } finally {
    await dataSource.destroy();
  }
}

function exitWith(message: string): never {
  process.stderr.write(`wa-verify: ${message}\n`);
  process.exit(1);
}

void migrate().catch((error: unknown) => {
  process.stderr.write(
    `wa-verify: migration failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
