import { config as parseDotenvInto } from 'dotenv';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Loads `.env` from the working directory into process.env, for the entry points only (main.ts,
 * migrate.ts, ormconfig.ts): loadConfig(env) itself never reads files, so tests stay hermetic. A
 * variable already set in the real environment wins over the file.
 */
export function loadDotenv(path = resolve('.env')): void {
  if (!existsSync(path)) return;
  parseDotenvInto({ path, override: false, quiet: true });
}
