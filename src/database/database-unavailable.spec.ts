import { QueryFailedError } from 'typeorm';
import { BackgroundFailureLog, isDatabaseUnavailable } from './database-unavailable';

const driverError = (code: string, message = code): Error =>
  Object.assign(new Error(message), { code, fatal: true });

describe('isDatabaseUnavailable', () => {
  it('recognises connection failures, raw or wrapped by TypeORM', () => {
    for (const code of [
      'ECONNREFUSED',
      'ETIMEDOUT',
      'PROTOCOL_CONNECTION_LOST',
      'ER_CON_COUNT_ERROR',
    ]) {
      expect(isDatabaseUnavailable(driverError(code))).toBe(true);
      expect(isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], driverError(code)))).toBe(
        true,
      );
    }
    expect(isDatabaseUnavailable(new Error('Queue limit reached.'))).toBe(true);
  });

  it('leaves query errors and everything else alone', () => {
    expect(isDatabaseUnavailable(driverError('ER_DUP_ENTRY'))).toBe(false);
    expect(isDatabaseUnavailable(driverError('ER_PARSE_ERROR'))).toBe(false);
    expect(
      isDatabaseUnavailable(new QueryFailedError('x', [], driverError('SQLITE_CONSTRAINT'))),
    ).toBe(false);
    expect(isDatabaseUnavailable(new RangeError('Maximum call stack size exceeded'))).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
    expect(isDatabaseUnavailable('ECONNREFUSED')).toBe(false);
  });
});

describe('BackgroundFailureLog', () => {
  it('logs database outages once a minute and other failures every time', () => {
    const lines: string[] = [];
    const log = new BackgroundFailureLog({
      warn: (message: string) => lines.push(`warn ${message}`),
      error: (message: string) => lines.push(`error ${message}`),
    });
    for (let i = 0; i < 5; i++) log.report('Sweep failed', driverError('ECONNREFUSED'));
    log.report('Sweep failed: bug', new TypeError('x is undefined'), 'error');
    log.report('Sweep failed: bug', new TypeError('x is undefined'), 'error');
    expect(lines).toEqual([
      'warn Sweep failed (database unavailable)',
      'error Sweep failed: bug',
      'error Sweep failed: bug',
    ]);
  });
});
