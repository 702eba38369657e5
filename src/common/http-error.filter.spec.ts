import { ArgumentsHost } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { HttpErrorFilter } from './http-error.filter';

function replyCapture() {
  const sent: { status?: number; headers: Record<string, string>; body?: unknown } = {
    headers: {},
  };
  const reply = {
    header: (name: string, value: string) => {
      sent.headers[name] = value;
      return reply;
    },
    status: (status: number) => {
      sent.status = status;
      return reply;
    },
    send: (body: unknown) => {
      sent.body = body;
      return reply;
    },
  };
  const host = {
    switchToHttp: () => ({ getResponse: () => reply, getRequest: () => ({ ip: '127.0.0.1' }) }),
  } as unknown as ArgumentsHost;
  return { sent, host };
}

describe('HttpErrorFilter', () => {
  it('answers 503 service_unavailable with Retry-After when the database is unreachable', () => {
    const { sent, host } = replyCapture();
    const lost = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:3306'), {
      code: 'ECONNREFUSED',
    });
    new HttpErrorFilter().catch(new QueryFailedError('SELECT 1', [], lost), host);
    expect(sent.status).toBe(503);
    expect(sent.headers['Retry-After']).toBe('5');
    expect(sent.body).toEqual({
      statusCode: 503,
      code: 'service_unavailable',
      message: 'The service is temporarily unavailable, retry later',
    });
  });

  it('keeps other unexpected errors a 500 internal_error', () => {
    const { sent, host } = replyCapture();
    new HttpErrorFilter().catch(new TypeError('x is undefined'), host);
    expect(sent.status).toBe(500);
    expect(sent.body).toMatchObject({ code: 'internal_error' });
  });
});
