import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';

/**
 * The MariaDB server of the fault suites: FAULTS_DATABASE_URL or E2E_DATABASE_URL (its server),
 * else root@127.0.0.1:3306. Each suite gets a fresh database there, dropped at the end.
 */
function serverUrl(): URL {
  return new URL(
    process.env.FAULTS_DATABASE_URL ??
      process.env.E2E_DATABASE_URL ??
      'mysql://root@127.0.0.1:3306/wa_verify',
  );
}

export interface FreshDatabase {
  host: string;
  port: number;
  /** `mysql://…` of the database, on the real server. */
  url: string;
  /** The same database reached through another host:port (a proxy). */
  urlVia(port: number, host?: string): string;
  drop(): Promise<void>;
}

export async function freshDatabase(suite: string): Promise<FreshDatabase> {
  const server = serverUrl();
  if (!server.protocol.startsWith('mysql') && !server.protocol.startsWith('mariadb'))
    throw new Error('the fault suites need MariaDB (FAULTS_DATABASE_URL=mysql://…)');
  const name = `wa_verify_faults_${suite}_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = await createConnection({
    host: server.hostname,
    port: Number(server.port || 3306),
    user: decodeURIComponent(server.username || 'root'),
    password: decodeURIComponent(server.password),
    connectTimeout: 5000,
  });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const urlVia = (port: number, host = '127.0.0.1'): string => {
    const url = new URL(server.toString().replace(/^mariadb:/, 'mysql:'));
    url.hostname = host;
    url.port = String(port);
    url.pathname = `/${name}`;
    return url.toString();
  };
  const host = server.hostname;
  const port = Number(server.port || 3306);
  return {
    host,
    port,
    url: urlVia(port, host),
    urlVia,
    drop: async () => {
      const conn = await createConnection({
        host,
        port,
        user: decodeURIComponent(server.username || 'root'),
        password: decodeURIComponent(server.password),
        connectTimeout: 5000,
      });
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
    },
  };
}

export const redisUrl = (): URL =>
  new URL(process.env.FAULTS_REDIS_URL ?? process.env.E2E_REDIS_URL ?? 'redis://127.0.0.1:6379');
