import { Injectable, Logger } from '@nestjs/common';
import { Actor } from '../auth/auth.types';
import { AuditEntry, AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { MetricsService } from '../metrics/metrics.service';
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
 * The same gate serves other floods an unauthenticated caller can cause ({@link recordAtMostOncePer},
 * e.g. `signature.rejected` once per IP and minute). A failing audit write never changes the answer.
 */
@Injectable()
export class LimitHitAuditor {
  private readonly logger = new Logger('RateLimit');
  private readonly auditedUntil = new Map<string, number>();

  constructor(
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
  ) {}

  /** Counts every refused request in the metrics; audits the first of each block. */
  async record(hit: LimitHit): Promise<void> {
    this.metrics.rateLimitedBy(hit.limiter);
    await this.recordAtMostOncePer(`${hit.limiter}|${hit.key}`, hit.retryAfterSeconds * 1000, {
      type: 'rate_limit.hit',
      appId: hit.appId,
      actor: hit.actor,
      data: { limiter: hit.limiter, retryAfterSeconds: hit.retryAfterSeconds, ...hit.data },
    });
  }

  /**
   * Writes `entry` unless an entry with the same `key` was written by this instance less than
   * `windowMs` ago. `key` is never written to the audit trail.
   */
  async recordAtMostOncePer(key: string, windowMs: number, entry: AuditEntry): Promise<void> {
    const now = this.clock.now();
    if ((this.auditedUntil.get(key) ?? 0) > now) return;
    if (this.auditedUntil.size > 10_000) this.prune(now);
    this.auditedUntil.set(key, now + windowMs);
    try {
      await this.audit.record(entry);
    } catch (error) {
      this.logger.warn(
        `Could not audit ${entry.type}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  private prune(now: number): void {
    for (const [key, until] of this.auditedUntil) if (until <= now) this.auditedUntil.delete(key);
  }
}
