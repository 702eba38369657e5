import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiKeysService } from '../apps/api-keys.service';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { safeEqual } from '../common/crypto';
import { DomainException, ErrorCode } from '../common/errors';
import { AUTH_MODE } from './auth.decorators';
import { AuthMode, AuthenticatedRequest } from './auth.types';

/** Global guard: `Authorization: Bearer <key>` is an app API key or the admin key, as the route asks. */
@Injectable()
export class ApiAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const mode =
      this.reflector.getAllAndOverride<AuthMode | undefined>(AUTH_MODE, [
        context.getHandler(),
        context.getClass(),
      ]) ?? 'app';
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (mode === 'none') {
      request.auth = { kind: 'none' };
      return true;
    }
    if (mode === 'metrics') return this.metricsTokenMatches(request);
    const key = bearerToken(request.headers.authorization);
    if (!key) throw unauthorized();
    if ((mode === 'admin' || mode === 'app-or-admin') && safeEqual(key, this.config.adminApiKey)) {
      request.auth = { kind: 'admin' };
      return true;
    }
    if (mode === 'app' || mode === 'app-or-admin') {
      const found = await this.apiKeys.authenticate(key);
      if (found) {
        request.auth = { kind: 'app', app: found.app, apiKeyId: found.apiKeyId };
        return true;
      }
    }
    throw unauthorized();
  }

  /** GET /metrics: open without METRICS_TOKEN; with it, exactly that bearer token (constant-time). */
  private metricsTokenMatches(request: AuthenticatedRequest): boolean {
    request.auth = { kind: 'none' };
    const expected = this.config.metricsToken;
    if (expected === null) return true;
    const token = bearerToken(request.headers.authorization);
    if (token !== null && safeEqual(token, expected)) return true;
    throw unauthorized();
  }
}

function bearerToken(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match && match[1].length <= 512 ? match[1] : null;
}

function unauthorized(): DomainException {
  return new DomainException(ErrorCode.UNAUTHORIZED, 'Missing or invalid credentials');
}
