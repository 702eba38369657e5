import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import type { FastifyInstance } from 'fastify';

/**
 * Gives the HTTP server span its route pattern (`POST /v1/verifications/:id/check`, never the raw
 * URL): the http instrumentation reads the route from the RPC metadata it put in the context and
 * then names the span and sets `http.route`. Registered only when tracing is on.
 */
export function registerRequestTracing(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const metadata = getRPCMetadata(context.active());
    const route = request.routeOptions.url;
    if (metadata?.type === RPCType.HTTP && route) metadata.route = route;
    done();
  });
}
