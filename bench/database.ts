/**
 * The bench's own connection to the run's database: creates a fresh one per run (MariaDB:
 * `<name>_<timestamp>`, dropped at the end; SQLite: a file in a temporary folder), prepares pools
 * of rows in SQL and multiplies the `verifications` table for the growth stage.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, Connection, ResultSetHeader } from 'mysql2/promise';

export type Engine = 'sqlite' | 'mysql';

type Params = (string | number | null)[];

export abstract class BenchDatabase {
  abstract readonly engine: Engine;
  /** DATABASE_URL for the service and the floor server. */
  abstract readonly url: string;

  abstract query<T>(sql: string, params?: Params): Promise<T[]>;
  /** Runs a statement; the number of rows it changed. */
  abstract run(sql: string, params?: Params): Promise<number>;
  abstract version(): Promise<string>;
  /** Closes the connection and removes the database. */
  abstract destroy(): Promise<void>;

  protected abstract quote(name: string): string;
  protected abstract tableColumns(table: string): Promise<string[]>;
  /** SQL for a new UUID-shaped, time-ordered id from the generation number and the row number. */
  protected abstract idExpression(generation: string, rowNumber: string): string;
  /** SQL for a unique 64-hex-character value (a token hash nobody holds the token of). */
  protected abstract hashExpression(generation: string, rowNumber: string): string;

  async count(where = '1 = 1', params: Params = []): Promise<number> {
    const rows = await this.query<{ n: number | string }>(
      `SELECT COUNT(*) AS n FROM verifications WHERE ${where}`,
      params,
    );
    return Number(rows[0].n);
  }

  /** Copies the verification `templateId` under each of `ids` (same app, same values). */
  async cloneVerification(templateId: string, ids: string[]): Promise<void> {
    const [template] = await this.query<Record<string, string | number | null>>(
      'SELECT * FROM verifications WHERE id = ?',
      [templateId],
    );
    if (!template) throw new Error(`verification ${templateId} not found`);
    const columns = Object.keys(template);
    const batch = 200;
    for (let i = 0; i < ids.length; i += batch) {
      const slice = ids.slice(i, i + batch);
      const row = `(${columns.map(() => '?').join(', ')})`;
      const params: Params = [];
      for (const id of slice) for (const c of columns) params.push(c === 'id' ? id : template[c]);
      await this.run(
        `INSERT INTO verifications (${columns.map((c) => this.quote(c)).join(', ')}) VALUES ${slice
          .map(() => row)
          .join(', ')}`,
        params,
      );
    }
  }

  private generation = 0;

  /**
   * Adds copies of existing verification rows (those matching `where`) under other apps until the
   * rows matching `where` number `target`: each statement copies at most what exists (doubling)
   * and at most `chunk` rows. Copies get new time-ordered ids, a fresh token hash where the
   * original had one, and, when pending, an expiry an hour away (so the expiry sweeper leaves them
   * alone during the run). Returns the rows added.
   */
  async multiply(options: {
    where: string;
    target: number;
    appIds: string[];
    chunk?: number;
  }): Promise<number> {
    const chunk = options.chunk ?? 200_000;
    const columns = await this.tableColumns('verifications');
    // Counted once: while the table grows the service is idle, so only these inserts change it.
    let current = await this.count(options.where);
    let added = 0;
    await this.bulkLoad(true);
    try {
      while (current > 0 && current < options.target) {
        this.generation += 1;
        const gen = String(this.generation);
        const appId = options.appIds[this.generation % options.appIds.length];
        const expressions = columns.map((c) => {
          switch (c) {
            case 'id':
              return this.idExpression(gen, 's.bench_rn');
            case 'app_id':
              return '?';
            case 'token_hash':
              return `CASE WHEN s.token_hash IS NULL THEN NULL ELSE ${this.hashExpression(gen, 's.bench_rn')} END`;
            case 'expires_at':
              return `CASE WHEN s.status = 'pending' THEN ? ELSE s.expires_at END`;
            default:
              return `s.${this.quote(c)}`;
          }
        });
        const limit = Math.min(options.target - current, current, chunk);
        const inserted = await this.run(
          `INSERT INTO verifications (${columns.map((c) => this.quote(c)).join(', ')}) ` +
            `SELECT ${expressions.join(', ')} FROM (SELECT v.*, ROW_NUMBER() OVER () AS bench_rn ` +
            `FROM verifications v WHERE ${options.where} LIMIT ${limit}) s`,
          [appId, Date.now() + 3_600_000],
        );
        current += inserted;
        added += inserted;
      }
    } finally {
      await this.bulkLoad(false);
    }
    return added;
  }

  /** Session settings for a bulk load (none by default). */
  protected bulkLoad(on: boolean): Promise<void> {
    void on;
    return Promise.resolve();
  }
}

class SqliteDatabase extends BenchDatabase {
  readonly engine = 'sqlite' as const;
  readonly url: string;
  private db: Database.Database | null = null;

  constructor(
    private readonly dir: string,
    readonly file: string,
  ) {
    super();
    this.url = `sqlite:${file}`;
  }

  /** Opened lazily: the service creates the file and its schema (migrations at start). */
  private handle(): Database.Database {
    if (!this.db) {
      this.db = new Database(this.file);
      this.db.pragma('busy_timeout = 30000');
    }
    return this.db;
  }

  query<T>(sql: string, params: Params = []): Promise<T[]> {
    return Promise.resolve(
      this.handle()
        .prepare(sql)
        .all(...params) as T[],
    );
  }

  run(sql: string, params: Params = []): Promise<number> {
    return Promise.resolve(
      this.handle()
        .prepare(sql)
        .run(...params).changes,
    );
  }

  version(): Promise<string> {
    const row = this.handle().prepare('SELECT sqlite_version() AS v').get() as { v: string };
    return Promise.resolve(`SQLite ${row.v}`);
  }

  destroy(): Promise<void> {
    this.db?.close();
    this.db = null;
    rmSync(this.dir, { recursive: true, force: true });
    return Promise.resolve();
  }

  protected quote(name: string): string {
    return `"${name}"`;
  }

  protected async tableColumns(table: string): Promise<string[]> {
    const rows = await this.query<{ name: string }>(`PRAGMA table_info(${table})`);
    return rows.map((r) => r.name);
  }

  protected idExpression(generation: string, rowNumber: string): string {
    return `printf('01900000-%04x-7000-8000-%012x', ${generation}, ${rowNumber})`;
  }

  protected hashExpression(): string {
    return 'lower(hex(randomblob(32)))';
  }
}

class MysqlDatabase extends BenchDatabase {
  readonly engine = 'mysql' as const;

  private constructor(
    readonly url: string,
    private readonly name: string,
    private readonly connection: Connection,
  ) {
    super();
  }

  /** Creates `<base name>_<suffix>` on the server of `baseUrl` and connects to it. */
  static async create(baseUrl: string, suffix: string): Promise<MysqlDatabase> {
    const parsed = new URL(baseUrl.replace(/^mariadb:/, 'mysql:'));
    const base = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'wv_bench';
    const name = `${base}_${suffix}`.replace(/[^A-Za-z0-9_]/g, '_');
    parsed.pathname = '/';
    const admin = await createConnection(parsed.toString());
    await admin.query(`CREATE DATABASE \`${name}\``);
    await admin.end();
    parsed.pathname = `/${name}`;
    const url = parsed.toString();
    const connection = await createConnection(url);
    return new MysqlDatabase(url, name, connection);
  }

  async query<T>(sql: string, params: Params = []): Promise<T[]> {
    const [rows] = await this.connection.query(sql, params);
    return rows as T[];
  }

  async run(sql: string, params: Params = []): Promise<number> {
    const [result] = await this.connection.query<ResultSetHeader>(sql, params);
    return result.affectedRows;
  }

  async version(): Promise<string> {
    const rows = await this.query<{ v: string }>('SELECT VERSION() AS v');
    return rows[0].v.includes('MariaDB') ? `MariaDB ${rows[0].v}` : `MySQL ${rows[0].v}`;
  }

  async destroy(): Promise<void> {
    try {
      await this.connection.query(`DROP DATABASE IF EXISTS \`${this.name}\``);
    } finally {
      await this.connection.end();
    }
  }

  protected quote(name: string): string {
    return `\`${name}\``;
  }

  /**
   * Unique checks off for this session while copying (the copies' hashes are unique by
   * construction), so InnoDB may buffer the unique token index's changes where change buffering
   * is on. Every index is kept and maintained.
   */
  protected override async bulkLoad(on: boolean): Promise<void> {
    await this.connection.query(`SET SESSION unique_checks = ${on ? 0 : 1}`);
  }

  protected async tableColumns(table: string): Promise<string[]> {
    const rows = await this.query<{ name: string }>(
      'SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [table],
    );
    return rows.map((r) => r.name);
  }

  protected idExpression(generation: string, rowNumber: string): string {
    return `CONCAT('01900000-', LPAD(LOWER(HEX(${generation})), 4, '0'), '-7000-8000-', LPAD(LOWER(HEX(${rowNumber})), 12, '0'))`;
  }

  protected hashExpression(generation: string, rowNumber: string): string {
    return `SHA2(CONCAT('bench-', ${generation}, '-', ${rowNumber}), 256)`;
  }
}

/** A fresh database on the engine of `url` (`sqlite` or a `mysql://` URL naming the base name). */
export async function createBenchDatabase(url: string, suffix: string): Promise<BenchDatabase> {
  if (url.startsWith('mysql://') || url.startsWith('mariadb://')) {
    return MysqlDatabase.create(url, suffix);
  }
  const dir = mkdtempSync(join(tmpdir(), 'wa-verify-bench-'));
  return new SqliteDatabase(dir, join(dir, 'bench.sqlite'));
}
