import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { ConversionCounters, settledAs } from '../analytics/conversion-counters.service';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { App } from '../apps/entities/app.entity';
import { SYSTEM_ACTOR } from '../auth/auth.types';
import { AuditService } from '../audit/audit.service';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Clock } from '../common/clock';
import { PeriodicTask } from '../common/periodic-task';
import { MetricsService } from '../metrics/metrics.service';
import { Verification } from '../verification/entities/verification.entity';
import { VerificationRepository } from '../verification/verification.repository';
import { VerificationStatus } from '../verification/verification.types';
import { WebhookEventType } from '../webhooks/webhook-events';
import { WebhookOutbox } from '../webhooks/webhook-outbox.service';
import { ExpiryRepository } from './expiry.repository';

export const EXPIRY_BATCH_SIZE = 200;
/** Batches per tick at most, so one tick stays short however large the backlog (the next tick continues). */
const MAX_BATCHES_PER_TICK = 10;

/**
 * Every EXPIRY_SWEEP_INTERVAL, moves pending verifications whose `expires_at` has passed to `expired`,
 * in batches. Each move is one conditional UPDATE (`status = 'pending' AND expires_at <= now`) checked
 * by affected rows, in the same transaction as its `verification.expired` audit event and client
 * webhook: with several instances sweeping, each verification expires (and is announced) once.
 */
@Injectable()
export class ExpirySweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly task: PeriodicTask<number>;
  private readonly backgroundJobs: boolean;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly verifications: VerificationRepository,
    private readonly audit: AuditService,
    private readonly outbox: WebhookOutbox,
    private readonly clock: Clock,
    private readonly repository: ExpiryRepository,
    private readonly metrics: MetricsService,
    private readonly conversion: ConversionCounters,
  ) {
    this.backgroundJobs = config.backgroundJobs;
    this.task = new PeriodicTask(
      'Expiry sweep',
      config.expirySweepIntervalMs,
      () => this.sweepBatches(),
      new Logger('ExpirySweeper'),
    );
  }

  onApplicationBootstrap(): void {
    if (this.backgroundJobs) this.task.start();
  }

  /** Stops the timer and waits for a sweep in progress, before the database closes. */
  onModuleDestroy(): Promise<void> {
    return this.task.stop();
  }

  /** Runs one sweep (at most one at a time per instance); returns how many verifications this instance expired. */
  sweep(): Promise<number> {
    return this.task.runOnce();
  }

  private async sweepBatches(): Promise<number> {
    let expired = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_TICK; batch++) {
      if (this.task.isStopped && batch > 0) break;
      const now = this.clock.now();
      const due = await this.repository.findDuePending(now, EXPIRY_BATCH_SIZE);
      if (due.length === 0) break;
      const apps = await this.repository.appsByIds([
        ...new Set(due.map((verification) => verification.appId)),
      ]);
      for (const verification of due) {
        const app = apps.get(verification.appId);
        if (!app || !(await this.expire(app, verification, now))) continue;
        expired += 1;
        this.metrics.verificationCompleted(verification, VerificationStatus.EXPIRED);
      }
      if (due.length < EXPIRY_BATCH_SIZE) break;
    }
    return expired;
  }

  private expire(app: App, verification: Verification, now: number): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      if ((await this.verifications.expireIfDue(manager, verification.id, now)) !== 1) return false;
      await this.conversion.settled(
        manager,
        verification.id,
        settledAs(verification, VerificationStatus.EXPIRED),
      );
      await this.audit.record(
        {
          type: 'verification.expired',
          appId: app.id,
          verificationId: verification.id,
          actor: SYSTEM_ACTOR,
        },
        manager,
      );
      await this.outbox.enqueue(manager, app, WebhookEventType.EXPIRED, {
        ...verification,
        status: VerificationStatus.EXPIRED,
        updatedAt: now,
      });
      return true;
    });
  }
}
