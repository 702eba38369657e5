import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppModule } from '../app.module';
import { AppConfig, ConfigError, loadConfig } from '../config/app-config';
import { checkDatabase, DatabaseUnavailableError } from '../database/database-check';
import { pendingMigrationNames } from '../database/migrations-runner';
import { CliFailure } from './cli-errors';

/** The service's configuration (the caller has loaded .env), or a one-line failure. */
export function loadCliConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliFailure('invalid_configuration', error.message);
    throw error;
  }
}

/**
 * Runs `work` inside the service's own Nest modules (same configuration, same services, same
 * audit trail) as an application context: no HTTP server, no background jobs (no webhook dispatch,
 * inbox retries, expiry sweep or purges: `backgroundJobs: false`), no migrations at start (the
 * database must be migrated: `wa-verify migrate`), and no Nest logging. The context is closed
 * before returning, so the process ends on its own.
 */
export async function withAppContext<T>(
  config: AppConfig,
  work: (context: INestApplicationContext) => Promise<T>,
): Promise<T> {
  try {
    await checkDatabase(config.database);
  } catch (error) {
    if (error instanceof DatabaseUnavailableError)
      throw new CliFailure('database_unavailable', error.message);
    throw error;
  }
  const context = await NestFactory.createApplicationContext(
    AppModule.forRoot({ ...config, runMigrations: false, backgroundJobs: false }),
    { logger: false, abortOnError: false },
  );
  try {
    const pending = await pendingMigrationNames(context.get<DataSource>(getDataSourceToken()));
    if (pending.length > 0)
      throw new CliFailure(
        'migrations_pending',
        `the database has ${pending.length} pending migration(s); run: wa-verify migrate`,
      );
    return await work(context);
  } finally {
    await context.close();
  }
}
