import type { Logger } from '@nestjs/common';
import { ThrottledWarning } from '../abuse/throttled-logger';

/**
 * Driver errors that mean "the database cannot be reached right now" (as opposed to a bad query):
 * refused or reset connections, connect and handshake timeouts, a connection lost mid-query, a full
 * pool queue, a server shutting down or out of connections. They become 503 `service_unavailable`
 * (see HttpErrorFilter) and one-line warnings in background jobs, never a 500 with a stack trace.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
  'ER_NORMAL_SHUTDOWN',
  'ER_SHUTDOWN_COMPLETE',
  'ER_CONNECTION_KILLED',
  'ER_QUERY_INTERRUPTED',
  'ER_CLIENT_INTERACTION_TIMEOUT',
]);

/** mysql2's own errors without a code (pool exhausted or connection gone). */
const UNAVAILABLE_MESSAGES = [
  'Queue limit reached.',
  "Can't add new command when connection is in closed state",
  'Connection lost: The server closed the connection.',
];

export class DatabaseTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';

  constructor(what: string) {
    super(`${what} timed out`);
    this.name = 'DatabaseTimeoutError';
  }
}

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 4; depth += 1) {
    if (typeof current !== 'object') return false;
    const { code, message, driverError } = current as {
      code?: unknown;
      message?: unknown;
      driverError?: unknown;
    };
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => message.startsWith(m)))
      return true;
    current = driverError;
  }
  return false;
}

/**
 * How background jobs (dispatcher, inbox, sweepers) report a failed run: while the database is
 * unreachable every job fails on every tick, so those failures become one warning per minute per
 * job; any other failure is logged as before. The job itself carries on and resumes on its own.
 */
export class BackgroundFailureLog {
  private readonly outage: ThrottledWarning;

  constructor(private readonly logger: Pick<Logger, 'warn' | 'error'>) {
    this.outage = new ThrottledWarning(logger);
  }

  report(message: string, error: unknown, level: 'warn' | 'error' = 'warn'): void {
    if (isDatabaseUnavailable(error)) this.outage.warn(`${message} (database unavailable)`);
    else this.logger[level](message);
  }
}
