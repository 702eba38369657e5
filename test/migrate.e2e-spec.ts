import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { MIGRATIONS } from '../src/database/migrations';
import { ensureBuilt, MIGRATE_JS, runProcess } from './support/service-process';

/**
 * The compiled migration entry point (`node dist/src/database/migrate.js`, `npm run migrate`): what
 * the container image runs, without dev dependencies. A fresh database gets every migration; a
 * second run has nothing pending.
 */
const MIGRATION_NAMES = MIGRATIONS.map((migration) => migration.name);
const EXPECTED_TABLES = ['apps', 'api_keys', 'verifications', 'audit_events', 'migrations'];

function baseEnv(databaseUrl: string): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'wa-verify-migrate-data-')),
    ADMIN_API_KEY: 'migrate-admin-key-0123456789',
    OTP_PEPPER: 'migrate-pepper-0123456789abcdef',
  };
}

async function expectMigratesThenNothingPending(
  databaseUrl: string,
  tables: () => Promise<string[]>,
): Promise<void> {
  const first = await runProcess(MIGRATE_JS, baseEnv(databaseUrl));
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
  expect(first.stdout.trim().split('\n')).toEqual(
    MIGRATION_NAMES.map((name) => `wa-verify: migrated ${name}`),
  );
  expect(await tables()).toEqual(expect.arrayContaining(EXPECTED_TABLES));

  const second = await runProcess(MIGRATE_JS, baseEnv(databaseUrl));
  expect(second.code).toBe(0);
  expect(second.stdout).toBe('wa-verify: no pending migrations\n');
}

// Each case starts Node processes: generous per-test time on a busy machine.
jest.setTimeout(90_000);

beforeAll(() => ensureBuilt(), 240_000);

describe('migrate entry point', () => {
  it('migrates a fresh SQLite database, then has nothing pending', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wa-verify-migrate-')), 'db.sqlite');
    await expectMigratesThenNothingPending(`sqlite:${file}`, async () => {
      const db = new Database(file, { readonly: true });
      try {
        return db
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
          .all()
          .map((row) => (row as { name: string }).name);
      } finally {
        db.close();
      }
    });
  });

  const e2eUrl = process.env.E2E_DATABASE_URL ?? '';
  // Needs a MySQL/MariaDB server: runs when E2E_DATABASE_URL points at one (as in .ci/run).
  (e2eUrl.startsWith('mysql') ? it : it.skip)(
    'migrates a fresh MariaDB database, then has nothing pending',
    async () => {
      const url = new URL(e2eUrl);
      const name = `wa_verify_migrate_${process.pid}_${Date.now()}`;
      url.pathname = `/${name}`;
      const admin = await createConnection({ uri: e2eUrl });
      try {
        await admin.query(
          `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
        );
        await expectMigratesThenNothingPending(url.toString(), async () => {
          const [rows] = await admin.query(
            'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ?',
            [name],
          );
          return (rows as { name: string }[]).map((row) => row.name);
        });
      } finally {
        await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
        await admin.end();
      }
    },
  );
});
