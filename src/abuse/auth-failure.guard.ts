import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AUTH_MODE } from '../auth/auth.decorators';
import { AuthenticatedRequest, AuthMode } from '../auth/auth.types';
import { AuthFailureLimiter } from './auth-failure-limiter';

/**
 * Global guard registered BEFORE ApiAuthGuard: an IP that failed authentication too often gets 429
 * before its credentials are checked. Routes without API-key authentication (health, provider
 * webhooks, which check their signature themselves) are never refused here, so a provider webhook
 * with a valid signature is never throttled; a bad signature is counted by the error filter.
 */
@Injectable()
export class AuthFailureGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: AuthFailureLimiter,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const mode =
      this.reflector.getAllAndOverride<AuthMode | undefined>(AUTH_MODE, [
        context.getHandler(),
        context.getClass(),
      ]) ?? 'app';
    if (mode === 'none') return true;
    const refusal = this.limiter.refusalFor(
      context.switchToHttp().getRequest<AuthenticatedRequest>().ip,
    );
    if (refusal) throw refusal;
    return true;
  }
}
