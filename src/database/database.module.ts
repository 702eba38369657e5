import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';
import { retryDeadlocks } from './deadlock-retry';
import { pipelineTransactions } from './pipelined-transactions';
import { serializeSqliteTransactions } from './sqlite-transactions';

@Module({})
export class DatabaseModule {
  /** Connects and, unless RUN_MIGRATIONS=false, applies pending migrations before the app serves. */
  static forRoot(config: AppConfig, runMigrations: boolean): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...dataSourceOptions(config.database),
            migrationsRun: runMigrations,
            migrationsTransactionMode: 'each',
            // No silent retries at start-up: main.ts checks the server first and exits with one
            // line; a process manager restarts the service.
            retryAttempts: 0,
          }),
          // MySQL transactions send their writes in fewer round trips (pipelined-transactions.ts)
          // and run again when picked as a deadlock's victim (deadlock-retry.ts); SQLite's run
          // one at a time on its one connection (sqlite-transactions.ts).
          dataSourceFactory: async (options) =>
            serializeSqliteTransactions(
              retryDeadlocks(pipelineTransactions(new DataSource(options!))),
            ),
        }),
      ],
    };
  }
}
