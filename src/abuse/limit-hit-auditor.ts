import { Injectable, Logger } from '@nestjs/common';
import { Actor } from '../auth/auth.types';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { RateLimiterName } from './rate-limits';

export interface LimitHit {
  limiter: RateLimiterName;
  /** The storage key that is blocked (never written to the audit trail). */
  key: string;
  appId: string | null;
  actor: Actor;
  retryAfterSeconds: number;
  /** Masked phone, key id or IP, and the limit. */
  data: Record<string, unknown>;
}

/**
 * Writes `rate_limit.hit` once per block and instance: the first refused request of a block is
 * audited, the flood that follows is not (an attacker must not be able to fill the audit table).
 * A failing audit write never changes the answer.
 */
@Injectable()
export class LimitHitAuditor {
  private readonly logger = new Logger('RateLimit');
  private readonly auditedUntil = new Map<string, number>();

  constructor(
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async record(hit: LimitHit): Promise<void> {
    const now = this.clock.now();
    const mapKey = `${hit.limiter}|${hit.key}`;
    if ((this.auditedUntil.get(mapKey) ?? 0) > now) return;
    if (this.auditedUntil.size > 10_000) this.prune(now);
    this.auditedUntil.set(mapKey, now + hit.retryAfterSeconds * 1000);
    try {
      await this.audit.record({
        type: 'rate_limit.hit',
        appId: hit.appId,
        actor: hit.actor,
        data: { limiter: hit.limiter, retryAfterSeconds: hit.retryAfterSeconds, ...hit.data },
      });
    } catch (error) {
      this.logger.warn(
        `Could not audit a rate-limit hit: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  private prune(now: number): void {
    for (const [key, until] of this.auditedUntil) if (until <= now) this.auditedUntil.delete(key);
  }
}
