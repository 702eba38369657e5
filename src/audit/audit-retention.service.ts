import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { PeriodicTask } from '../common/periodic-task';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { execute } from '../database/sql';

/** Rows deleted per statement: short statements, short locks. */
export const PURGE_BATCH_SIZE = 1000;
/** At most this many batches per run; the next run (an hour later) continues. */
export const PURGE_MAX_BATCHES = 100;
const PURGE_INTERVAL_MS = 60 * 60 * 1000;
const FIRST_PURGE_DELAY_MS = 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The only code that deletes audit rows: once an hour, events older than AUDIT_RETENTION_DAYS go, in
 * batches of {@link PURGE_BATCH_SIZE} (ids chosen through the created_at index, then deleted by primary key).
 */
@Injectable()
export class AuditRetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AuditRetention');
  private readonly task = new PeriodicTask(
    'Audit purge',
    PURGE_INTERVAL_MS,
    () => this.purgeAndReport(),
    this.logger,
  );

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.backgroundJobs) return;
    this.task.start(FIRST_PURGE_DELAY_MS);
  }

  onModuleDestroy(): Promise<void> {
    return this.task.stop();
  }

  /** Deletes events older than the retention period; returns how many went. */
  async purge(): Promise<number> {
    const cutoff = this.clock.now() - this.config.auditRetentionDays * DAY_MS;
    let deleted = 0;
    for (let batch = 0; batch < PURGE_MAX_BATCHES; batch += 1) {
      const rows: { id: string }[] = await this.dataSource.query(
        `SELECT id FROM audit_events WHERE created_at < ? ORDER BY created_at LIMIT ${PURGE_BATCH_SIZE}`,
        [cutoff],
      );
      if (rows.length === 0) break;
      const ids = rows.map((row) => row.id);
      deleted += await execute(
        this.dataSource.manager,
        `DELETE FROM audit_events WHERE id IN (${ids.map(() => '?').join(', ')}) AND created_at < ?`,
        [...ids, cutoff],
      );
      if (rows.length < PURGE_BATCH_SIZE) break;
    }
    return deleted;
  }

  private async purgeAndReport(): Promise<number> {
    const deleted = await this.purge();
    if (deleted > 0)
      this.logger.log(
        `Purged ${deleted} audit events older than ${this.config.auditRetentionDays} days`,
      );
    return deleted;
  }
}
