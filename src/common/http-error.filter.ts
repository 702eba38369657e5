import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  Logger,
  Optional,
} from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { AuthFailureLimiter } from '../abuse/auth-failure-limiter';
import { ThrottledWarning } from '../abuse/throttled-logger';
import { isDatabaseUnavailable } from '../database/database-unavailable';
import { DomainException, ErrorCode, ErrorDetail } from './errors';

interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  details?: ErrorDetail[];
  [extra: string]: unknown;
}

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: ErrorCode.VALIDATION_FAILED,
  401: ErrorCode.UNAUTHORIZED,
  403: ErrorCode.FORBIDDEN,
  404: ErrorCode.NOT_FOUND,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  429: ErrorCode.RATE_LIMITED,
};

/** Retry-After of a 503 while the database is unreachable. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

/** Turns every error into `{ statusCode, code, message, details? }`; never leaks a stack trace. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');
  /** One line per minute while the database is down, instead of one error per request. */
  private readonly databaseDown = new ThrottledWarning(this.logger);

  constructor(@Optional() private readonly authFailures?: AuthFailureLimiter) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (this.authFailures?.isAuthFailure(exception)) {
      // Failed authentication (wrong key, bad webhook signature) is counted per client IP
      // (request.ip, which follows TRUST_PROXY); over the limit it answers 429. Only failures get
      // here: valid credentials never reach this branch, so they are never refused by this limit.
      const { ip } = host.switchToHttp().getRequest<{ ip?: string }>();
      const authFailures = this.authFailures;
      const refusal = authFailures.refusalFor(ip);
      if (refusal) {
        this.send(reply, refusal);
        return;
      }
      void authFailures
        .recordFailure(ip)
        .catch(() => null)
        .then((limited) => this.send(reply, limited ?? exception));
      return;
    }
    this.send(reply, exception);
  }

  private send(reply: FastifyReply, exception: unknown): void {
    const { body, retryAfterSeconds } = this.toBody(exception);
    if (retryAfterSeconds !== undefined)
      reply.header('Retry-After', String(Math.max(1, Math.ceil(retryAfterSeconds))));
    void reply.status(body.statusCode).send(body);
  }

  private toBody(exception: unknown): { body: ErrorBody; retryAfterSeconds?: number } {
    if (exception instanceof DomainException) {
      const { details, extra, retryAfterSeconds } = exception.options;
      return {
        body: {
          statusCode: exception.statusCode,
          code: exception.code,
          message: exception.message,
          ...(extra ?? {}),
          ...(details ? { details } : {}),
        },
        retryAfterSeconds,
      };
    }
    if (exception instanceof ThrottlerException) {
      return {
        body: { statusCode: 429, code: ErrorCode.RATE_LIMITED, message: 'Too many requests' },
        retryAfterSeconds: 60,
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code =
        CODE_BY_STATUS[status] ??
        (status >= 500 ? ErrorCode.INTERNAL_ERROR : ErrorCode.VALIDATION_FAILED);
      const message =
        status === 404 ? 'Route not found' : status >= 500 ? 'Internal error' : exception.message;
      return { body: { statusCode: status, code, message } };
    }
    const fastifyError = exception as { statusCode?: number; code?: string; message?: string };
    if (
      typeof fastifyError?.statusCode === 'number' &&
      fastifyError.statusCode >= 400 &&
      fastifyError.statusCode < 500
    ) {
      // Errors raised by Fastify itself before our handlers run (body too large, malformed JSON, bad media type).
      if (fastifyError.statusCode === 413 || fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        return {
          body: {
            statusCode: 413,
            code: ErrorCode.PAYLOAD_TOO_LARGE,
            message: 'Request body is too large',
          },
        };
      }
      return {
        body: {
          statusCode: 400,
          code: ErrorCode.VALIDATION_FAILED,
          message:
            fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
              ? 'Unsupported content type'
              : 'Malformed request body',
        },
      };
    }
    if (isDatabaseUnavailable(exception)) {
      this.databaseDown.warn(
        `Database unavailable, answering 503 (${exception instanceof Error ? exception.message : 'unknown error'})`,
      );
      return {
        body: {
          statusCode: 503,
          code: ErrorCode.SERVICE_UNAVAILABLE,
          message: 'The service is temporarily unavailable, retry later',
        },
        retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
      };
    }
    this.logger.error(
      exception instanceof Error ? `${exception.name}: ${exception.message}` : 'Unknown error',
      exception instanceof Error ? exception.stack : undefined,
    );
    return { body: { statusCode: 500, code: ErrorCode.INTERNAL_ERROR, message: 'Internal error' } };
  }
}
