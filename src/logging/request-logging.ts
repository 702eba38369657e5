import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AuthContext } from '../auth/auth.types';
import { runInRequestContext } from './request-context';
import { REQUEST_ID_HEADER } from './request-id';

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
    runInRequestContext({ reqId: request.id }, done);
  });
  // Body parsing resumes on the socket's events, outside the context entered above: enter it again
  // right before the handler (Nest's guards, pipes and controller run from here).
  fastify.addHook('preHandler', (request, _reply, done) => {
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
