import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { SYSTEM_ACTOR } from '../auth/auth.types';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { PeriodicTask } from '../common/periodic-task';
import { mainCountryOf } from '../common/phone';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { VelocityGuard } from '../abuse/velocity-guard.service';
import {
  ConversionBlockRepository,
  ConversionRepository,
  SHADOW_KIND,
} from './conversion.repository';
import { MetricsService } from '../metrics/metrics.service';

/** Calling codes evaluated per tick at most (the rest wait for the next tick). */
const MAX_EVALUATIONS_PER_TICK = 500;
const LOW_CONVERSION = 'low_conversion';
const VELOCITY = 'velocity';

export interface GuardDecision {
  appId: string;
  callingCode: string;
  settled: number;
  approved: number;
  conversionRate: number;
  action: 'none' | 'blocked' | 'would_block';
}

/**
 * Conversion guard against SMS/WhatsApp pumping (messages requested for numbers nobody verifies).
 * Per app and country calling code, over the last CONVERSION_GUARD_WINDOW: once at least
 * CONVERSION_GUARD_MIN_VOLUME outbound verifications are old enough to have been checked (their TTL
 * passed, or they are terminal), a conversion (approved / all of those, inbound approvals included)
 * under CONVERSION_GUARD_MIN_RATE blocks the code for CONVERSION_GUARD_BLOCK_DURATION (`enforce`: a
 * `country_blocks` row of kind `low_conversion`, refused by the creation guard's block check with
 * 403), or records `fraud.would_block` once per such period (`shadow`).
 *
 * Off the creation hot path: creations and terminal transitions only note the (app, code) in
 * memory; every CONVERSION_GUARD_EVALUATE_INTERVAL each instance evaluates the codes it noted with
 * one indexed query over `conversion_marks`. Evidence from before the end of the code's previous
 * low-conversion block (or its lift) is not reused, so a lifted code starts afresh.
 */
@Injectable()
export class ConversionGuard implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ConversionGuard');
  private readonly dirty = new Map<string, { appId: string; callingCode: string }>();
  private readonly task: PeriodicTask<GuardDecision[]>;

  constructor(
    private readonly marks: ConversionRepository,
    private readonly blocks: ConversionBlockRepository,
    private readonly velocity: VelocityGuard,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.task = new PeriodicTask(
      'Conversion guard',
      this.settings.evaluateIntervalMs,
      () => this.evaluateNoted(),
      this.logger,
    );
  }

  private get settings() {
    return this.config.fraud.conversion;
  }

  onModuleInit(): void {
    if (this.settings.mode !== 'off') this.task.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.task.stop();
  }

  /** Something happened to a verification of this code: evaluate it on the next tick. */
  noteActivity(appId: string, callingCode: string): void {
    if (this.settings.mode === 'off') return;
    this.dirty.set(`${appId}:${callingCode}`, { appId, callingCode });
  }

  /** Evaluates the noted codes now (joins a run in progress). */
  evaluateNow(): Promise<GuardDecision[]> {
    return this.task.runOnce();
  }

  private async evaluateNoted(): Promise<GuardDecision[]> {
    const batch = [...this.dirty.entries()].slice(0, MAX_EVALUATIONS_PER_TICK);
    const decisions: GuardDecision[] = [];
    for (const [key, { appId, callingCode }] of batch) {
      this.dirty.delete(key);
      try {
        const decision = await this.evaluate(appId, callingCode);
        if (decision) decisions.push(decision);
      } catch (error) {
        this.dirty.set(key, { appId, callingCode });
        throw error;
      }
    }
    return decisions;
  }

  /** One (app, calling code): null when there is nothing to decide (off, already blocked, too few). */
  async evaluate(appId: string, callingCode: string): Promise<GuardDecision | null> {
    const { mode, windowMs, minVolume, minRate, blockMs } = this.settings;
    if (mode === 'off') return null;
    const now = this.clock.now();
    const ends = await this.blocks.lastEnds(appId, callingCode);
    const ownKind = mode === 'enforce' ? LOW_CONVERSION : SHADOW_KIND;
    if ((ends.get(ownKind) ?? 0) > now) return null;
    if (mode === 'enforce' && (ends.get(VELOCITY) ?? 0) > now) return null;
    const since = Math.max(
      now - windowMs,
      ends.get(LOW_CONVERSION) ?? 0,
      ends.get(SHADOW_KIND) ?? 0,
    );
    const window = await this.marks.windowConversion(appId, callingCode, since, now);
    if (window.outboundSettled < minVolume) return null;
    const conversionRate = window.settled === 0 ? 0 : window.approved / window.settled;
    const decision: GuardDecision = {
      appId,
      callingCode,
      settled: window.settled,
      approved: window.approved,
      conversionRate: round4(conversionRate),
      action: 'none',
    };
    if (conversionRate >= minRate) return decision;

    const until = now + blockMs;
    const country = mainCountryOf(callingCode);
    const inserted = await this.blocks.insertUnlessActive(
      {
        id: newId(),
        appId,
        callingCode,
        blockedUntil: until,
        reason: `low_conversion: ${window.approved} of ${window.settled} approved (${percent(conversionRate)}), under ${percent(minRate)}`,
        kind: ownKind,
        createdAt: now,
      },
      mode === 'enforce' ? [LOW_CONVERSION, VELOCITY] : [SHADOW_KIND],
      now,
    );
    if (!inserted) return decision;
    decision.action = mode === 'enforce' ? 'blocked' : 'would_block';
    if (mode === 'enforce') this.velocity.forgetBlock(appId, callingCode);
    // Enforced blocks are counted per refused creation (VelocityGuard); a shadow decision refuses
    // nothing, so it counts once here, as the creation it would have started refusing.
    if (mode === 'shadow') this.metrics.fraudBlocked(LOW_CONVERSION);
    this.logger.warn(
      `${mode === 'enforce' ? 'Blocked' : 'Would block'} +${callingCode} for app ${appId} until ${new Date(until).toISOString()} (conversion ${percent(conversionRate)} of ${window.settled})`,
    );
    await this.audit.record({
      type: mode === 'enforce' ? 'fraud.blocked' : 'fraud.would_block',
      appId,
      actor: SYSTEM_ACTOR,
      data: {
        reason: LOW_CONVERSION,
        callingCode,
        country,
        settled: window.settled,
        approved: window.approved,
        conversionRate: round4(conversionRate),
        minRate,
        windowSeconds: Math.round(windowMs / 1000),
        blockedUntil: new Date(until).toISOString(),
      },
    });
    return decision;
  }
}

function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

function percent(value: number): string {
  return `${Math.round(value * 1000) / 10}%`;
}
