import 'reflect-metadata';
import { ConfigError, loadConfig } from '../config/app-config';
import { loadDotenv } from '../config/dotenv';
import { checkDatabase, DatabaseUnavailableError } from './database-check';
import { runPendingMigrations } from './migrations-runner';

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
  const ran = await runPendingMigrations(database);
  if (ran.length === 0) process.stdout.write('wa-verify: no pending migrations\n');
  for (const name of ran) process.stdout.write(`wa-verify: migrated ${name}\n`);
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
