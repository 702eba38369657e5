import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  SetMetadata,
} from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';
import { App } from '../apps/entities/app.entity';
import { DomainException, ErrorCode } from '../common/errors';
import { Actor, AuthContext, AuthMode, AuthenticatedRequest } from './auth.types';

export const AUTH_MODE = 'wa-verify:auth-mode';

/** OpenAPI security scheme of app API keys (the name users see under Authorize in Swagger UI). */
export const APP_KEY_SCHEME = 'apiKey';
/** OpenAPI security scheme of ADMIN_API_KEY. */
export const ADMIN_KEY_SCHEME = 'admin';
/** OpenAPI security scheme of METRICS_TOKEN (GET /metrics). */
export const METRICS_TOKEN_SCHEME = 'metricsToken';

/**
 * Metadata key of @nestjs/swagger's ApiSecurity (`DECORATORS.API_SECURITY`, not exported): set to
 * an empty list it documents `security: []`. The OpenAPI e2e suite checks that public routes get it.
 */
const SWAGGER_SECURITY_METADATA = 'swagger/apiSecurity';

const SECURITY: Record<AuthMode, string[]> = {
  app: [APP_KEY_SCHEME],
  admin: [ADMIN_KEY_SCHEME],
  'app-or-admin': [APP_KEY_SCHEME, ADMIN_KEY_SCHEME],
  none: [],
  metrics: [METRICS_TOKEN_SCHEME],
};

/**
 * Which credential a route takes (routes without it take an app API key), and the same thing in
 * the OpenAPI document, so the two cannot drift: `security: [{ apiKey: [] }]`, `[{ admin: [] }]`,
 * either of them, `security: []` for public routes (health, provider webhooks), or for GET /metrics
 * `[{}, { metricsToken: [] }]` (open unless METRICS_TOKEN is set).
 */
export const Auth = (mode: AuthMode) =>
  applyDecorators(
    SetMetadata(AUTH_MODE, mode),
    mode === 'none'
      ? SetMetadata(SWAGGER_SECURITY_METADATA, [])
      : mode === 'metrics'
        ? // Optional: `{}` (no credential, METRICS_TOKEN unset) or the metrics token.
          SetMetadata(SWAGGER_SECURITY_METADATA, [{}, { [METRICS_TOKEN_SCHEME]: [] }])
        : applyDecorators(...SECURITY[mode].map((scheme) => ApiSecurity(scheme))),
  );

function authOf(ctx: ExecutionContext): AuthContext {
  return ctx.switchToHttp().getRequest<AuthenticatedRequest>().auth ?? { kind: 'none' };
}

/** The calling app (routes authenticated with an app API key). */
export const CurrentApp = createParamDecorator((_data: unknown, ctx: ExecutionContext): App => {
  const auth = authOf(ctx);
  if (auth.kind !== 'app')
    throw new DomainException(ErrorCode.UNAUTHORIZED, 'An app API key is required');
  return auth.app;
});

/** The raw `Idempotency-Key` header (documented with `@ApiHeader` on the route). */
export const IdempotencyKeyHeader = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): string | undefined => {
    const value = ctx.switchToHttp().getRequest<AuthenticatedRequest>().headers['idempotency-key'];
    return Array.isArray(value) ? value[0] : value;
  },
);

/** The calling app, or null for the admin (routes with `app-or-admin`). */
export const CurrentAppOrAdmin = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): App | null => {
    const auth = authOf(ctx);
    return auth.kind === 'app' ? auth.app : null;
  },
);

export function actorOf(request: AuthenticatedRequest): Actor {
  const auth = request.auth ?? { kind: 'none' };
  const seen = { ip: request.ip ?? null, ...(request.id ? { requestId: request.id } : {}) };
  if (auth.kind === 'app') return { type: 'api_key', id: auth.apiKeyId, ...seen };
  if (auth.kind === 'admin') return { type: 'admin', id: null, ...seen };
  return { type: 'provider', id: null, ...seen };
}

/** Who is acting, for the audit trail. */
export const CurrentActor = createParamDecorator((_data: unknown, ctx: ExecutionContext): Actor =>
  actorOf(ctx.switchToHttp().getRequest<AuthenticatedRequest>()),
);
