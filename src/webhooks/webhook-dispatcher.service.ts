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
import { DataSource, In } from 'typeorm';
import { App } from '../apps/entities/app.entity';
import { AuditService } from '../audit/audit.service';
import { SYSTEM_ACTOR } from '../auth/auth.types';
import { Clock } from '../common/clock';
import { BackgroundFailureLog } from '../database/database-unavailable';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { LEASE_MARGIN_MS } from '../config/timeouts';
import { MetricsService } from '../metrics/metrics.service';
import { outcomeAfterFailure } from './webhook-backoff';
import {
  AttemptRecord,
  LeasedDelivery,
  WebhookDeliveryRepository,
} from './webhook-delivery.repository';
import { WebhookHttpClient, WebhookPostResult } from './webhook-http-client';
import { ProbeClaim, WebhookCircuitBreaker } from './webhook-circuit-breaker';
import { signingSecrets, webhookHeaders } from './webhook-signer';

/** A leased delivery with the app it goes to, and the breaker probe it is, if it is one. */
interface Job {
  lease: LeasedDelivery;
  app: App | null;
  probe: ProbeClaim | null;
}

/**
 * Sends the client-webhook outbox, off the request path, fairly across apps. Every
 * `webhookDispatchIntervalMs` (and whenever a delivery finishes) it runs one round:
 *
 * 1. the apps with due deliveries (one covering index scan), rotated so the round starts after the
 *    app served last (round-robin);
 * 2. their circuit breakers (one query for the breakers that are not closed): a parked endpoint is
 *    skipped, a half-open one gets exactly one delivery as a probe once this instance claims it;
 * 3. the free slots (`WEBHOOK_MAX_IN_FLIGHT` per instance) are dealt one per app per pass, never more
 *    than `WEBHOOK_MAX_IN_FLIGHT_PER_APP` in flight for one app;
 * 4. the allotted deliveries are leased per app in due order (bounded picks, conditional UPDATEs).
 *
 * Each delivery POSTs the stored payload signed per Standard Webhooks to the app's URL, records the
 * attempt, and either marks the delivery succeeded, schedules a retry with jitter, or gives up after
 * the last scheduled delay; its outcome also feeds the endpoint's breaker. No database connection is
 * held while a request is out. Leases make it safe to run several instances on one database; an
 * expired lease makes a row due again after a crash. A parked endpoint's deliveries are neither
 * leased nor attempted, so the breaker never spends their retry budget.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('WebhookDispatcher');
  private readonly failures = new BackgroundFailureLog(this.logger);
  private readonly instanceId = `${hostname().slice(0, 24)}-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly inFlightPerApp = new Map<string, number>();
  private readonly shutdown = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private filling: Promise<void> | null = null;
  private stopped = true;
  /** The app served last; the next round starts after it. */
  private cursor = '';

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly breaker: WebhookCircuitBreaker,
    private readonly http: WebhookHttpClient,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.backgroundJobs) return;
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
    this.filling ??= this.fill()
      .catch((error: unknown) =>
        this.failures.report(
          `Could not lease due webhooks: ${error instanceof Error ? error.message : String(error)}`,
          error,
        ),
      )
      .finally(() => {
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
    const { maxInFlight, maxInFlightPerApp } = this.config.webhookDispatch;
    let free = maxInFlight - this.inFlight.size;
    if (this.stopped || free <= 0) return;
    const now = this.clock.now();
    const due = rotate(await this.deliveries.appsWithDueWork(now), this.cursor).filter(
      (appId) => (this.inFlightPerApp.get(appId) ?? 0) < maxInFlightPerApp,
    );
    if (due.length === 0) return;
    const open = await this.breaker.openEndpoints();
    // Apps whose breaker is not closed are few; the others are only read while slots remain for them.
    const wanted: string[] = [];
    let unparked = 0;
    for (const appId of due) {
      if (open.has(appId)) wanted.push(appId);
      else if (unparked < free) {
        wanted.push(appId);
        unparked += 1;
      }
    }
    const apps = await this.appsByIds(wanted);
    const leaseUntil = now + this.config.webhookTimeoutMs + LEASE_MARGIN_MS;

    // Deal the free slots one per app per pass; a half-open endpoint gets its one probe, if claimed.
    const room = new Map<string, number>();
    const probes = new Map<string, ProbeClaim>();
    for (const appId of wanted) {
      const app = apps.get(appId) ?? null;
      const state = this.breaker.stateOf(open.get(appId), app?.webhookUrl ?? null, now);
      if (state.kind === 'parked') continue;
      if (state.kind === 'half-open') {
        if (free <= 0) continue;
        const probe = await this.breaker.claimProbe(
          appId,
          app!.webhookUrl!,
          state.trips,
          leaseUntil,
          this.newLeaseToken(),
        );
        if (!probe) continue;
        probes.set(appId, probe);
        room.set(appId, 1);
        free -= 1;
        continue;
      }
      room.set(appId, maxInFlightPerApp - (this.inFlightPerApp.get(appId) ?? 0));
    }
    const allotments = new Map<string, number>();
    for (const [appId] of probes) allotments.set(appId, 1);
    for (let dealt = true; dealt && free > 0;) {
      dealt = false;
      for (const [appId, left] of room) {
        if (free <= 0) break;
        if (probes.has(appId) || (allotments.get(appId) ?? 0) >= left) continue;
        allotments.set(appId, (allotments.get(appId) ?? 0) + 1);
        free -= 1;
        dealt = true;
      }
    }
    if (allotments.size === 0) return;

    let leased: LeasedDelivery[] = [];
    try {
      leased = await this.deliveries.leaseDue(now, allotments, leaseUntil, () =>
        this.newLeaseToken(),
      );
    } finally {
      for (const [appId, probe] of probes) {
        if (!leased.some((lease) => lease.delivery.appId === appId))
          await this.breaker.releaseProbe(probe);
      }
    }
    for (const lease of leased) {
      const appId = lease.delivery.appId;
      this.cursor = appId;
      this.start({ lease, app: apps.get(appId) ?? null, probe: probes.get(appId) ?? null });
    }
  }

  private start(job: Job): void {
    const { id, appId } = job.lease.delivery;
    this.inFlightPerApp.set(appId, (this.inFlightPerApp.get(appId) ?? 0) + 1);
    const run = this.deliver(job)
      .catch((error: unknown) =>
        this.failures.report(
          `Webhook ${id} could not be processed: ${error instanceof Error ? error.message : String(error)}`,
          error,
          'error',
        ),
      )
      .finally(() => {
        this.inFlight.delete(id);
        const left = (this.inFlightPerApp.get(appId) ?? 1) - 1;
        if (left > 0) this.inFlightPerApp.set(appId, left);
        else this.inFlightPerApp.delete(appId);
        if (!this.stopped) void this.poll();
      });
    this.inFlight.set(id, run);
  }

  private async appsByIds(ids: string[]): Promise<Map<string, App>> {
    if (ids.length === 0) return new Map();
    const rows = await this.dataSource.getRepository(App).findBy({ id: In(ids) });
    return new Map(rows.map((app) => [app.id, app]));
  }

  private async deliver({ lease, app, probe }: Job): Promise<void> {
    const { delivery } = lease;
    const url = app?.webhookUrl ?? null;
    const sentAt = this.clock.now();
    const result: WebhookPostResult =
      app && url
        ? await this.http.post(
            url,
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
      if (probe) await this.breaker.releaseProbe(probe);
      return;
    }
    this.metrics.clientWebhookAttempt(result.error);
    await this.record(lease, { ...result, at });
    if (url) await this.feedBreaker(delivery.appId, url, result, probe);
  }

  /** The attempt's outcome moves the endpoint's breaker; it only steers sending, so a failure here is logged. */
  private async feedBreaker(
    appId: string,
    url: string,
    result: WebhookPostResult,
    probe: ProbeClaim | null,
  ): Promise<void> {
    try {
      if (result.error === null) {
        await this.breaker.recordSuccess(appId, url);
        return;
      }
      const parkedUntil = probe
        ? await this.breaker.recordProbeFailure(probe)
        : await this.breaker.recordFailure(appId, url);
      if (parkedUntil !== null)
        this.logger.warn(
          `Webhook endpoint of app ${appId} parked until ${new Date(parkedUntil).toISOString()} after repeated failures (${result.error})`,
        );
    } catch (error) {
      this.logger.warn(
        `Could not update the webhook breaker of app ${appId}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
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

/** The ids in order, starting after `cursor` and wrapping around (round-robin across rounds). */
function rotate(ids: string[], cursor: string): string[] {
  const from = ids.findIndex((id) => id > cursor);
  return from <= 0 ? ids : [...ids.slice(from), ...ids.slice(0, from)];
}
