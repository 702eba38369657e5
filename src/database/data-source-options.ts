import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { DatabaseConfig } from '../config/app-config';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

/** Longest wait for a new MariaDB connection (TCP connect and handshake). */
export const MYSQL_CONNECT_TIMEOUT_MS = 2_000;

/** TypeORM options for the configured engine. `synchronize` stays off: the schema comes from migrations only. */
export function dataSourceOptions(database: DatabaseConfig): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    logging: false,
  } as const;
  if (database.type === 'sqlite') {
    if (database.file !== ':memory:') mkdirSync(dirname(database.file), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database: database.file,
      enableWAL: true,
      prepareDatabase: (db: { pragma(source: string): unknown }) => {
        db.pragma('busy_timeout = 5000');
        db.pragma('synchronous = NORMAL');
      },
    };
  }
  return {
    ...common,
    type: 'mysql',
    url: database.url,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: false,
    // An unreachable database must fail fast (503 service_unavailable), never hang a request:
    // bounded connect/handshake time, a bounded wait queue for a connection, and TCP keep-alive
    // so a connection to a vanished peer is noticed.
    connectTimeout: MYSQL_CONNECT_TIMEOUT_MS,
    // One packet may carry several statements of a transaction (pipelined-transactions.ts). Every
    // value reaches SQL through `?` placeholders, never through string concatenation.
    multipleStatements: true,
    extra: {
      connectionLimit: database.poolSize,
      // mysql2 preallocates a 16 000-entry prepared-statement cache per connection (about 0.5 MB
      // each, 10 MB of a 55 MB heap with 20 connections, in a heap snapshot); TypeORM sends plain
      // queries, never prepared statements, so a small cache is plenty.
      maxPreparedStatements: 16,
      queueLimit: 200,
      enableKeepAlive: true,
      keepAliveInitialDelay: 10_000,
    },
  };
}
