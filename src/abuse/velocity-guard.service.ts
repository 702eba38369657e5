import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { App } from '../apps/entities/app.entity';
import { SYSTEM_ACTOR } from '../auth/auth.types';
import { AuditService } from '../audit/audit.service';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Clock } from '../common/clock';
import { PeriodicTask } from '../common/periodic-task';
import { BackgroundFailureLog } from '../database/database-unavailable';
import { DomainException, ErrorCode } from '../common/errors';
import { newId } from '../common/ids';
import { NormalisedPhone } from '../common/phone';
import { MetricsService } from '../metrics/metrics.service';
import { CountryBlock, CountryBlockKind } from './entities/country-block.entity';
import {
  baselinePerHour,
  baselineRange,
  exceedsVelocity,
  HOUR_MS,
  hourStart,
  lastHourCount,
  velocityThreshold,
} from './velocity';
import { VelocityRepository } from './velocity.repository';

/** How long an instance trusts its answer to "is this code blocked?" (a new block elsewhere shows within this). */
const BLOCK_CACHE_MS = 5_000;
/** How long an instance trusts the shared hourly counts it read (its own creations are added locally). */
const COUNTS_CACHE_MS = 1_000;
/** How often an instance writes the creations it counted to the shared counters. */
const FLUSH_INTERVAL_MS = 1_000;
const CACHE_MAX_ENTRIES = 10_000;

/**
 * Velocity guard against SMS/WhatsApp pumping: when an app's creations towards one country calling
 * code in the last hour exceed max(floor, multiplier × the usual hourly rate), that code is blocked
 * for VELOCITY_BLOCK_DURATION (a `country_blocks` row, shown on GET /v1/apps/:id) and creations to it
 * answer 403 `country_not_allowed`. See velocity.ts for the arithmetic.
 *
 * Hot path: no statement per creation. Each instance counts its creations in memory and adds them
 * to the shared hourly counters every second (and on shutdown); it reads the shared counts of a
 * code at most once a second and adds its own creations since. The block lookup is cached for a
 * few seconds, the baseline per hour bucket (it only changes when the hour does).
 */
@Injectable()
export class VelocityGuard implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('VelocityGuard');
  private readonly blockCache = new Map<
    string,
    { until: number | null; kind: CountryBlockKind; checkedAt: number }
  >();
  private readonly baselineCache = new Map<string, number>();
  /** Creations counted here and not yet written, per `app:code:hour`. */
  private readonly unflushed = new Map<
    string,
    { appId: string; callingCode: string; hourStart: number; count: number }
  >();
  /** Shared counts as last read, plus this instance's creations since, per `app:code`. */
  private readonly recent = new Map<
    string,
    { readAt: number; hourStart: number; current: number; previous: number }
  >();
  private readonly flushFailures = new BackgroundFailureLog(this.logger);
  private readonly flusher = new PeriodicTask(
    'Velocity counter flush',
    FLUSH_INTERVAL_MS,
    () => this.flush(),
    this.logger,
  );
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly repository: VelocityRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    if (this.enabled) this.flusher.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.flusher.stop();
    await this.flush();
  }

  get enabled(): boolean {
    return this.config.fraud.velocityGuardEnabled;
  }

  /**
   * Throws 403 while the phone's calling code is blocked for the app, by this guard or by the
   * conversion guard (when it enforces).
   */
  async assertNotBlocked(app: App, phone: NormalisedPhone): Promise<void> {
    if (!this.enabled && this.config.fraud.conversion.mode !== 'enforce') return;
    const now = this.clock.now();
    const block = await this.activeBlock(app.id, phone.callingCode, now);
    if (!block) return;
    this.metrics.fraudBlocked(block.kind);
    throw blocked(phone.callingCode, block.until, block.kind);
  }

  /** Drops this instance's cached answer for the code (after a block was set or lifted here). */
  forgetBlock(appId: string, callingCode: string): void {
    this.blockCache.delete(`${appId}:${callingCode}`);
  }

  /** Counts the creation; blocks the code (and refuses this creation) when the velocity is abnormal. */
  async recordCreation(app: App, phone: NormalisedPhone): Promise<void> {
    if (!this.enabled) return;
    const now = this.clock.now();
    const code = phone.callingCode;
    const current = hourStart(now);
    const counts = await this.recentCounts(app.id, code, current, now);
    counts.current += 1;
    const bucket = `${app.id}:${code}:${current}`;
    const pending = this.unflushed.get(bucket) ?? {
      appId: app.id,
      callingCode: code,
      hourStart: current,
      count: 0,
    };
    pending.count += 1;
    this.unflushed.set(bucket, pending);
    const count = lastHourCount(counts.current, counts.previous, now);
    const { velocityMultiplier: multiplier, velocityFloorPerHour: floor } = this.config.fraud;
    if (count <= floor) return; // cannot exceed: skip the baseline
    const baseline = await this.baseline(app.id, code, now);
    if (!exceedsVelocity(count, baseline, multiplier, floor)) return;

    const threshold = velocityThreshold(baseline, multiplier, floor);
    const until = now + this.config.fraud.velocityBlockMs;
    const block = Object.assign(new CountryBlock(), {
      id: newId(),
      appId: app.id,
      callingCode: code,
      blockedUntil: until,
      kind: 'velocity',
      reason:
        `velocity: ${Math.round(count)} verifications in the last hour, over ${Math.round(threshold)}`.slice(
          0,
          255,
        ),
      createdAt: now,
    } satisfies CountryBlock);
    if (await this.repository.insertBlockUnlessActive(block, now)) {
      this.logger.warn(
        `Blocked +${code} for app ${app.id} until ${new Date(until).toISOString()} (${block.reason})`,
      );
      await this.audit.record({
        type: 'fraud.country_blocked',
        appId: app.id,
        actor: SYSTEM_ACTOR,
        data: {
          callingCode: code,
          country: phone.country,
          lastHourCount: Math.round(count),
          baselinePerHour: round2(baseline),
          threshold: Math.round(threshold),
          blockedUntil: new Date(until).toISOString(),
        },
      });
    }
    const active = (await this.repository.activeBlock(app.id, code, now)) ?? {
      until,
      kind: 'velocity' as const,
    };
    this.cache(this.blockCache, `${app.id}:${code}`, { ...active, checkedAt: now });
    this.metrics.fraudBlocked(active.kind);
    throw blocked(code, active.until, active.kind);
  }

  /** Writes the creations counted here to the shared counters (one upsert per bucket). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const batch = [...this.unflushed.values()];
      this.unflushed.clear();
      for (const bucket of batch) {
        try {
          await this.repository.increment(
            bucket.appId,
            bucket.callingCode,
            bucket.hourStart,
            bucket.count,
          );
        } catch (error) {
          const key = `${bucket.appId}:${bucket.callingCode}:${bucket.hourStart}`;
          const again = this.unflushed.get(key);
          this.unflushed.set(key, again ? { ...again, count: again.count + bucket.count } : bucket);
          this.flushFailures.report(
            `Could not write velocity counters: ${error instanceof Error ? error.message : 'unknown error'}`,
            error,
          );
          return;
        }
      }
    });
    return this.flushing;
  }

  /** Shared counts of this hour and the previous one, read at most once a second, with local creations added. */
  private async recentCounts(
    appId: string,
    code: string,
    current: number,
    now: number,
  ): Promise<{ current: number; previous: number }> {
    const key = `${appId}:${code}`;
    const cached = this.recent.get(key);
    if (cached && cached.hourStart === current && now - cached.readAt < COUNTS_CACHE_MS)
      return cached;
    await this.flush();
    const counts = await this.repository.countsAt(appId, code, [current, current - HOUR_MS]);
    const fresh = {
      readAt: now,
      hourStart: current,
      current: counts.get(current) ?? 0,
      previous: counts.get(current - HOUR_MS) ?? 0,
    };
    this.cache(this.recent, key, fresh);
    return fresh;
  }

  private async activeBlock(
    appId: string,
    code: string,
    now: number,
  ): Promise<{ until: number; kind: CountryBlockKind } | null> {
    const key = `${appId}:${code}`;
    const cached = this.blockCache.get(key);
    if (cached && now - cached.checkedAt < BLOCK_CACHE_MS)
      return cached.until !== null && cached.until > now
        ? { until: cached.until, kind: cached.kind }
        : null;
    const block = await this.repository.activeBlock(appId, code, now);
    this.cache(this.blockCache, key, {
      until: block?.until ?? null,
      kind: block?.kind ?? 'velocity',
      checkedAt: now,
    });
    return block;
  }

  private async baseline(appId: string, code: string, now: number): Promise<number> {
    const { from, to } = baselineRange(now);
    const key = `${appId}:${code}:${to}`;
    const cached = this.baselineCache.get(key);
    if (cached !== undefined) return cached;
    const baseline = baselinePerHour(await this.repository.totalBetween(appId, code, from, to));
    this.cache(this.baselineCache, key, baseline);
    return baseline;
  }

  private cache<V>(map: Map<string, V>, key: string, value: V): void {
    if (map.size >= CACHE_MAX_ENTRIES) map.clear();
    map.set(key, value);
  }
}

function blocked(callingCode: string, until: number, kind: CountryBlockKind): DomainException {
  const why = kind === 'low_conversion' ? 'too few verifications completed' : 'unusual volume';
  const message = `Phone numbers with calling code +${callingCode} are temporarily blocked for this app (${why}) until ${new Date(until).toISOString()}`;
  return new DomainException(ErrorCode.COUNTRY_NOT_ALLOWED, message, {
    details: [{ reason: kind, message }],
  });
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
