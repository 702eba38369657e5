import { createConnection } from 'mysql2/promise';
import { DatabaseConfig } from '../config/app-config';

/** A database problem found before start-up, described in one line (never with the password). */
export class DatabaseUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUnavailableError';
  }
}

const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Connects once to a MySQL/MariaDB server before the application starts, so a missing database,
 * refused access or an unreachable server ends start-up at once with one actionable line instead of
 * TypeORM's retries and stack traces. SQLite needs no check (the file is created).
 */
export async function checkDatabase(database: DatabaseConfig): Promise<void> {
  if (database.type !== 'mysql') return;
  let connection;
  try {
    connection = await createConnection({ uri: database.url, connectTimeout: CONNECT_TIMEOUT_MS });
  } catch (error) {
    throw new DatabaseUnavailableError(describeDatabaseError(error, database));
  }
  await connection.end().catch(() => undefined);
}

/** One line for an error from connecting to MySQL/MariaDB; it names host, port, user and database only. */
export function describeDatabaseError(
  error: unknown,
  database: Extract<DatabaseConfig, { type: 'mysql' }>,
): string {
  const code = (error as { code?: unknown } | null)?.code;
  const where = `${database.host}:${database.port}`;
  const user = decodeURIComponent(new URL(database.url).username) || 'root';
  switch (code) {
    case 'ER_BAD_DB_ERROR':
      return (
        `database "${database.database}" does not exist on ${where}; create it with: ` +
        `mysql -h ${database.host} -P ${database.port} -u ${user} -p -e ` +
        `"CREATE DATABASE \`${database.database}\` CHARACTER SET utf8mb4"`
      );
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_DBACCESS_DENIED_ERROR':
    case 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR':
      return `access to database "${database.database}" on ${where} was refused for user "${user}"; check the user and password in DATABASE_URL`;
    case 'ECONNREFUSED':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot reach the database server at ${where} (${code}); is MySQL/MariaDB running and DATABASE_URL right?`;
    default:
      return `cannot connect to the database on ${where} (${typeof code === 'string' ? code : 'unknown error'})`;
  }
}
