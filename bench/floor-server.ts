/**
 * The SQL floor: the least a verification service must do per outbound flow, served by a bare
 * Fastify server. A create is one INSERT of a verification-like row, a check one conditional
 * UPDATE by primary key. MariaDB/MySQL through a mysql2 pool of 10 with prepared statements
 * (`execute`); SQLite through better-sqlite3 (synchronous, WAL, prepared once), as the service
 * uses them. The bench starts it as a child process:
 *   FLOOR_DATABASE_URL=mysql://… FLOOR_PORT=3902 node -r ts-node/register/transpile-only bench/floor-server.ts
 * No authentication, no provider call, no audit: it is a yardstick, not a service.
 */
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { createHmac, randomInt } from 'node:crypto';
import { createPool } from 'mysql2/promise';
import { v7 as uuidv7 } from 'uuid';

interface Store {
  insert(id: string, phone: string, codeHash: string, now: number): Promise<void> | void;
  /** True when the row was pending (and is now approved). */
  approve(id: string, now: number): Promise<boolean> | boolean;
}

const CREATE_SQLITE = `CREATE TABLE IF NOT EXISTS floor_verifications (
  id VARCHAR(36) PRIMARY KEY NOT NULL, app_id VARCHAR(36) NOT NULL, phone VARCHAR(20),
  status VARCHAR(24) NOT NULL, code_hash VARCHAR(100), attempts INTEGER NOT NULL DEFAULT 0,
  expires_at BIGINT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`;
const CREATE_MYSQL = `CREATE TABLE IF NOT EXISTS floor_verifications (
  id VARCHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  app_id VARCHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, phone VARCHAR(20) NULL,
  status VARCHAR(24) NOT NULL, code_hash VARCHAR(100) NULL, attempts INT NOT NULL DEFAULT 0,
  expires_at BIGINT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
  INDEX idx_floor_app_phone_created (app_id, phone, created_at)) ENGINE=InnoDB`;
const INSERT =
  "INSERT INTO floor_verifications (id, app_id, phone, status, code_hash, attempts, expires_at, created_at, updated_at) VALUES (?, 'floor', ?, 'pending', ?, 0, ?, ?, ?)";
const APPROVE =
  "UPDATE floor_verifications SET status = 'approved', updated_at = ? WHERE id = ? AND status = 'pending'";

async function openStore(url: string): Promise<Store> {
  if (url.startsWith('mysql://') || url.startsWith('mariadb://')) {
    const pool = createPool({ uri: url.replace(/^mariadb:/, 'mysql:'), connectionLimit: 10 });
    await pool.query(CREATE_MYSQL);
    return {
      insert: async (id, phone, codeHash, now) => {
        await pool.execute(INSERT, [id, phone, codeHash, now + 600_000, now, now]);
      },
      approve: async (id, now) => {
        const [result] = await pool.execute(APPROVE, [now, id]);
        return (result as { affectedRows: number }).affectedRows === 1;
      },
    };
  }
  const db = new Database(url.replace(/^sqlite:/, ''));
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  db.exec(CREATE_SQLITE);
  db.exec(
    'CREATE INDEX IF NOT EXISTS idx_floor_app_phone_created ON floor_verifications (app_id, phone, created_at)',
  );
  const insert = db.prepare(INSERT);
  const approve = db.prepare(APPROVE);
  return {
    insert: (id, phone, codeHash, now) => {
      insert.run(id, phone, codeHash, now + 600_000, now, now);
    },
    approve: (id, now) => approve.run(now, id).changes === 1,
  };
}

async function main(): Promise<void> {
  const url = process.env.FLOOR_DATABASE_URL;
  if (!url) throw new Error('FLOOR_DATABASE_URL is required');
  const pepper = process.env.FLOOR_PEPPER ?? 'floor';
  const store = await openStore(url);
  const app = Fastify({ logger: false });
  app.get('/health/ready', () => ({ status: 'ok' }));
  app.post<{ Body: { phone: string } }>('/v1/verifications', async (req, reply) => {
    const id = uuidv7();
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const codeHash = createHmac('sha256', pepper).update(code).digest('hex');
    await store.insert(id, req.body.phone, codeHash, Date.now());
    // The code comes back in the answer: the floor has no provider to send it through.
    return reply.code(201).send({ id, status: 'pending', code });
  });
  app.post<{ Params: { id: string }; Body: { code: string } }>(
    '/v1/verifications/:id/check',
    async (req) => {
      const valid = await store.approve(req.params.id, Date.now());
      return { id: req.params.id, status: valid ? 'approved' : 'pending', valid };
    },
  );
  await app.listen({ host: '127.0.0.1', port: Number(process.env.FLOOR_PORT ?? 3902) });
  const stop = (): void => void app.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
