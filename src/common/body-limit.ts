import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';

/** Request bodies every route accepts unless it says otherwise (413 `payload_too_large` beyond). */
export const DEFAULT_BODY_LIMIT_BYTES = 100 * 1024;

/** Provider webhooks: Meta batches notifications, so one POST may carry many messages and statuses. */
export const PROVIDER_WEBHOOK_BODY_LIMIT_BYTES = 5 * 1024 * 1024;

interface BodyLimitRouteConfig {
  bodyLimit?: number;
}

/**
 * Raises (or lowers) the body limit of one route. Nest passes route config, not route options, to
 * Fastify, so {@link applyRouteBodyLimits} turns the config into the route's `bodyLimit`, which
 * Fastify applies before the content-type parser runs (the raw bytes stay available for signatures).
 */
export const BodyLimit = (bytes: number): MethodDecorator =>
  RouteConfig({ bodyLimit: bytes } satisfies BodyLimitRouteConfig);

/** Registers the hook behind {@link BodyLimit}; call before the routes are registered (`app.init()`). */
export function applyRouteBodyLimits(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (route) => {
    const limit = (route.config as BodyLimitRouteConfig | undefined)?.bodyLimit;
    if (limit) route.bodyLimit = limit;
  });
}
