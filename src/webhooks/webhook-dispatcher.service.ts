import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DataSource } from 'typeorm';
import { App } from '../apps/entities/app.entity';
import { AuditService } from '../audit/audit.service';
import { SYSTEM_ACTOR } from '../auth/auth.types';
import { Clock } from '../common/clock';
import { BackgroundFailureLog } from '../database/database-unavailable';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { outcomeAfterFailure } from './webhook-backoff';
import {
  AttemptRecord,
  LeasedDelivery,
  WebhookDeliveryRepository,
} from './webhook-delivery.repository';
import { WebhookHttpClient, WebhookPostResult } from './webhook-http-client';
import { signingSecrets, webhookHeaders } from './webhook-signer';

/** Deliveries in flight per instance; a dead or slow receiver holds at most this many slots. */
export const MAX_IN_FLIGHT = 8;
/** A lease outlives the attempt's timeout by this much before another instance may take the row over. */
const LEASE_MARGIN_MS = 30_000;

/**
 * Sends the client-webhook outbox, off the request path. Every `webhookDispatchIntervalMs` it leases due
 * deliveries (oldest first, at most {@link MAX_IN_FLIGHT} in flight), POSTs the stored payload signed per
 * Standard Webhooks to the app's current webhook URL, records the attempt, and either marks the delivery
 * succeeded, schedules a retry with jitter, or gives up after the last scheduled delay. Leases make it
 * safe to run several instances on one database; an expired lease makes a row due again after a crash.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('WebhookDispatcher');
  private readonly failures = new BackgroundFailureLog(this.logger);
  private readonly instanceId = `${hostname().slice(0, 24)}-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly shutdown = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private filling: Promise<void> | null = null;
  private stopped = true;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly http: WebhookHttpClient,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops polling, aborts requests in flight and hands their leases back, before the database closes. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.shutdown.abort();
    await this.filling;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Leases what is due and starts sending it; runs at most once at a time. */
  poll(): Promise<void> {
    this.filling ??= this.fill().finally(() => {
      this.filling = null;
    });
    return this.filling;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.poll().finally(() => this.schedule(this.config.webhookDispatchIntervalMs));
    }, delayMs);
    this.timer.unref();
  }

  private async fill(): Promise<void> {
    const free = MAX_IN_FLIGHT - this.inFlight.size;
    if (this.stopped || free <= 0) return;
    const now = this.clock.now();
    let leased: LeasedDelivery[];
    try {
      leased = await this.deliveries.leaseDue(
        now,
        free,
        now + this.config.webhookTimeoutMs + LEASE_MARGIN_MS,
        () => this.newLeaseToken(),
      );
    } catch (error) {
      this.failures.report(
        `Could not lease due webhooks: ${error instanceof Error ? error.message : String(error)}`,
        error,
      );
      return;
    }
    for (const lease of leased) {
      const id = lease.delivery.id;
      const run = this.deliver(lease)
        .catch((error: unknown) =>
          this.failures.report(
            `Webhook ${id} could not be processed: ${error instanceof Error ? error.message : String(error)}`,
            error,
            'error',
          ),
        )
        .finally(() => {
          this.inFlight.delete(id);
          if (!this.stopped && leased.length === free) void this.poll();
        });
      this.inFlight.set(id, run);
    }
  }

  private async deliver(lease: LeasedDelivery): Promise<void> {
    const { delivery } = lease;
    const app = await this.dataSource.getRepository(App).findOneBy({ id: delivery.appId });
    const sentAt = this.clock.now();
    const result: WebhookPostResult = app?.webhookUrl
      ? await this.http.post(
          app.webhookUrl,
          webhookHeaders(
            delivery.id,
            delivery.payload,
            signingSecrets(app, sentAt),
            new Date(sentAt),
          ),
          delivery.payload,
          this.config.webhookTimeoutMs,
          this.shutdown.signal,
        )
      : { statusCode: null, latencyMs: 0, error: 'the app has no webhook URL' };
    const at = this.clock.now();
    if (this.shutdown.signal.aborted && result.error !== null) {
      await this.deliveries.releaseLease(lease, at);
      return;
    }
    await this.record(lease, { ...result, at });
  }

  private async record(lease: LeasedDelivery, attempt: AttemptRecord): Promise<void> {
    const { delivery } = lease;
    const attempts = delivery.attempts + 1;
    const auditBase = {
      appId: delivery.appId,
      verificationId: delivery.verificationId,
      actor: SYSTEM_ACTOR,
    };
    const held = await this.dataSource.transaction(async (manager) => {
      if (attempt.error === null) {
        if (!(await this.deliveries.markSucceeded(manager, lease, attempt))) return false;
        await this.audit.record(
          {
            ...auditBase,
            type: 'webhook.delivered',
            data: {
              deliveryId: delivery.id,
              event: delivery.type,
              attempts,
              statusCode: attempt.statusCode,
            },
          },
          manager,
        );
        return true;
      }
      const outcome = outcomeAfterFailure(this.config.webhookRetryScheduleMs, attempts, attempt.at);
      if (outcome.status === 'pending')
        return this.deliveries.markRetry(manager, lease, attempt, outcome.nextAttemptAt);
      if (!(await this.deliveries.markFailed(manager, lease, attempt))) return false;
      await this.audit.record(
        {
          ...auditBase,
          type: 'webhook.failed',
          data: {
            deliveryId: delivery.id,
            event: delivery.type,
            attempts,
            lastStatusCode: attempt.statusCode,
            lastError: attempt.error,
          },
        },
        manager,
      );
      return true;
    });
    if (!held)
      this.logger.warn(
        `Lost the lease of webhook ${delivery.id} before recording attempt ${attempts}`,
      );
  }

  private newLeaseToken(): string {
    return `${this.instanceId}:${randomBytes(6).toString('hex')}`.slice(-64);
  }
}
