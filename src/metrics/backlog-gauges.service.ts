import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { InboundEventStatus } from '../inbound/entities/inbound-event.entity';
import { WebhookDeliveryStatus } from '../webhooks/entities/webhook-delivery.entity';
import { Backlog, MetricsService } from './metrics.service';

/** A scrape storm (several Prometheus replicas, a dashboard refresh) reads the database at most this often. */
export const BACKLOG_CACHE_MS = 5_000;

/**
 * The backlog gauges, read from the database at scrape time (never on a request path): one COUNT/MIN
 * over the pending client webhooks (the `status` prefix of `idx_webhook_deliveries_due`) and one
 * COUNT over the pending inbox events (`idx_inbound_events_status_next`), cached for
 * {@link BACKLOG_CACHE_MS} and shared by concurrent scrapes. A failed read keeps the last values.
 */
@Injectable()
export class BacklogGauges {
  private readonly logger = new Logger('Metrics');
  private readAt = -Infinity;
  private reading: Promise<void> | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly metrics: MetricsService,
    private readonly clock: Clock,
  ) {}

  /** Brings the gauges up to date (at most one database read per {@link BACKLOG_CACHE_MS}). */
  refresh(): Promise<void> {
    if (this.clock.now() - this.readAt < BACKLOG_CACHE_MS) return Promise.resolve();
    this.reading ??= this.read().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  private async read(): Promise<void> {
    try {
      const now = this.clock.now();
      this.metrics.setBacklog(await this.query(now));
      this.readAt = now;
    } catch (error) {
      this.logger.warn(
        `Could not read the backlog gauges: ${error instanceof Error ? error.name : 'unknown error'}`,
      );
    }
  }

  private async query(now: number): Promise<Backlog> {
    const [webhooks] = await this.dataSource.query<{ pending: unknown; oldest: unknown }[]>(
      'SELECT COUNT(*) AS pending, MIN(created_at) AS oldest FROM webhook_deliveries WHERE status = ?',
      [WebhookDeliveryStatus.PENDING],
    );
    const [inbox] = await this.dataSource.query<{ pending: unknown }[]>(
      'SELECT COUNT(*) AS pending FROM inbound_events WHERE status = ?',
      [InboundEventStatus.PENDING],
    );
    const oldest =
      webhooks?.oldest === null || webhooks?.oldest === undefined ? null : Number(webhooks.oldest);
    return {
      clientWebhookPending: Number(webhooks?.pending ?? 0),
      clientWebhookOldestPendingSeconds: oldest === null ? 0 : Math.max(0, (now - oldest) / 1000),
      inboxPending: Number(inbox?.pending ?? 0),
    };
  }
}
