import {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyRequest,
  FastifyServerOptions,
  LogController,
} from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';
import type { AuthContext } from '../auth/auth.types';
import { Logger, markBindsReqId } from './logger';
import { runInRequestContext } from './request-context';
import { REQUEST_ID_HEADER, requestIdFor } from './request-id';

/** Fastify's logging options: our pino logger, no per-request lines of its own, our request ids. */
export function fastifyLoggingOptions(
  logger: Logger,
): Pick<
  FastifyServerOptions,
  'loggerInstance' | 'logController' | 'requestIdHeader' | 'genReqId' | 'childLoggerFactory'
> {
  return {
    // Fastify's own lines ("Server listening at", per-request children) only from debug on: the
    // banner says where we listen and registerRequestLogging writes one line per request.
    loggerInstance: logger.child({}, { level: fastifyLevel(logger.level) }),
    // Its default two lines per request carry the raw URL (query strings can hold tokens).
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    // The header is read (and validated) by requestIdFor: Fastify's requestIdHeader would take
    // any value as it is.
    requestIdHeader: false,
    genReqId: requestIdFor,
    childLoggerFactory: (
      parent: FastifyBaseLogger,
      bindings: Bindings,
      childOptions: ChildLoggerOptions,
    ) => markBindsReqId(parent.child(bindings, childOptions) as Logger),
  };
}

function fastifyLevel(level: string): string {
  return ['debug', 'trace', 'silent'].includes(level) ? level : 'warn';
}

/**
 * One line per request (Fastify's own two are off: `disableRequestLogging`), with the route
 * pattern (never the raw URL: query strings can hold tokens, e.g. Meta's verify token), the
 * status, the time taken and the calling app; `X-Request-Id` on every response; and the request
 * id in the async context, so every line logged and every audit event written while serving the
 * request carries it.
 */
export function registerRequestLogging(fastify: FastifyInstance, logger: Logger): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    // Everything after this hook runs inside the context (Fastify carries it across body parsing
    // with an AsyncResource), Nest's guards, pipes, controller and services included.
    runInRequestContext({ reqId: request.id }, done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const line = {
      reqId: request.id,
      method: request.method,
      route: request.routeOptions.url ?? null,
      statusCode: reply.statusCode,
      responseTime: Math.round(reply.elapsedTime * 10) / 10,
      ...appOf(request),
    };
    if (reply.statusCode >= 500) logger.error(line, 'request failed');
    else logger.info(line, 'request completed');
    done();
  });
}

function appOf(request: FastifyRequest): { appId?: string } {
  const auth = (request as FastifyRequest & { auth?: AuthContext }).auth;
  return auth?.kind === 'app' ? { appId: auth.app.id } : {};
}
