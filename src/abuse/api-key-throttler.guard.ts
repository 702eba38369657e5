import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  ThrottlerModuleOptions,
  ThrottlerStorage,
} from '@nestjs/throttler';
import { AuthenticatedRequest } from '../auth/auth.types';
import { DomainException, ErrorCode } from '../common/errors';
import { LimitHitAuditor } from './limit-hit-auditor';
import { RateLimiter, rateLimitKeys } from './rate-limits';

/**
 * Global guard registered AFTER ApiAuthGuard: requests per app API key (the `api-key` throttler,
 * RATE_LIMIT_API_KEY_PER_MINUTE), tracked by the key id that ApiAuthGuard put in `request.auth` and
 * counted across every route. Admin and unauthenticated routes are not counted here.
 */
@Injectable()
export class ApiKeyThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly auditor: LimitHitAuditor,
  ) {
    super(options, storage, reflector);
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    return context.switchToHttp().getRequest<AuthenticatedRequest>().auth?.kind !== 'app';
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const auth = (req as unknown as AuthenticatedRequest).auth;
    return auth?.kind === 'app' ? auth.apiKeyId : 'none';
  }

  /** One counter per key for the whole API (the default key would count per route). */
  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    _name: string,
  ): string {
    return rateLimitKeys.apiKey(tracker);
  }

  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const retryAfterSeconds = Math.max(1, detail.timeToBlockExpire);
    if (request.auth?.kind === 'app') {
      await this.auditor.record({
        limiter: RateLimiter.API_KEY,
        key: detail.key,
        appId: request.auth.app.id,
        actor: { type: 'api_key', id: request.auth.apiKeyId, ip: request.ip ?? null },
        retryAfterSeconds,
        data: { apiKeyId: request.auth.apiKeyId, limit: detail.limit },
      });
    }
    throw new DomainException(
      ErrorCode.RATE_LIMITED,
      `Too many requests for this API key (at most ${detail.limit} per minute)`,
      { retryAfterSeconds },
    );
  }
}
