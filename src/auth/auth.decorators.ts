import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { App } from '../apps/entities/app.entity';
import { DomainException, ErrorCode } from '../common/errors';
import { Actor, AuthContext, AuthMode, AuthenticatedRequest } from './auth.types';

export const AUTH_MODE = 'wa-verify:auth-mode';

/** Which credential a route takes; routes without it take an app API key. */
export const Auth = (mode: AuthMode) => SetMetadata(AUTH_MODE, mode);

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

/** The calling app, or null for the admin (routes with `app-or-admin`). */
export const CurrentAppOrAdmin = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): App | null => {
    const auth = authOf(ctx);
    return auth.kind === 'app' ? auth.app : null;
  },
);

export function actorOf(request: AuthenticatedRequest): Actor {
  const auth = request.auth ?? { kind: 'none' };
  if (auth.kind === 'app') return { type: 'api_key', id: auth.apiKeyId, ip: request.ip ?? null };
  if (auth.kind === 'admin') return { type: 'admin', id: null, ip: request.ip ?? null };
  return { type: 'provider', id: null, ip: request.ip ?? null };
}

/** Who is acting, for the audit trail. */
export const CurrentActor = createParamDecorator((_data: unknown, ctx: ExecutionContext): Actor =>
  actorOf(ctx.switchToHttp().getRequest<AuthenticatedRequest>()),
);
