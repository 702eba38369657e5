import { Injectable } from '@nestjs/common';
import { ConversionCounters } from '../analytics/conversion-counters.service';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Actor } from '../auth/auth.types';
import { Clock } from '../common/clock';
import { MetricsService } from '../metrics/metrics.service';
import { StatusEvent } from '../providers/messaging-provider';
import { DeliveryRouter } from '../verification/routing/delivery-router.service';
import { DeliveryStepRepository } from '../verification/routing/delivery-step.repository';
import { VerificationRepository } from '../verification/verification.repository';
import { DeliveryStatus } from '../verification/verification.types';
import { WebhookEventType } from '../webhooks/webhook-events';
import { WebhookOutbox } from '../webhooks/webhook-outbox.service';
import { InboxRepository } from './inbox.repository';

/** Thrown to have the inbox try the event again later (with backoff). */
export class RetryLaterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

/**
 * A status callback can overtake the send it is about (the provider answers our request after it
 * already called the webhook); an unknown message id is tried again this many times before the
 * event is dropped as not ours.
 */
const UNKNOWN_MESSAGE_ATTEMPTS = 3;

/**
 * Delivery statuses of messages we sent: the message row and (for the verification's current
 * delivery message) the verification move forward only, with audit and client webhook in the same
 * transaction. A `delivered` code cancels its workflow timeout; a `failed` one goes to the
 * DeliveryRouter, whose error-code routing decides what follows.
 */
@Injectable()
export class DeliveryStatusHandler {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly verifications: VerificationRepository,
    private readonly inbox: InboxRepository,
    private readonly router: DeliveryRouter,
    private readonly steps: DeliveryStepRepository,
    private readonly audit: AuditService,
    private readonly outbox: WebhookOutbox,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
    private readonly conversion: ConversionCounters,
  ) {}

  /** `previousAttempts`: how often this event was tried before. */
  async handle(event: StatusEvent, actor: Actor, previousAttempts: number): Promise<void> {
    const message = await this.verifications.findMessageByProviderId(
      event.provider,
      event.messageId,
    );
    if (!message) {
      if (previousAttempts + 1 < UNKNOWN_MESSAGE_ATTEMPTS)
        throw new RetryLaterError('status for a message not (yet) known');
      return;
    }
    const app = await this.inbox.findApp(message.appId);
    if (!app) return;
    const now = this.clock.now();
    const advanced = await this.dataSource.transaction(async (manager) => {
      if (
        (await this.verifications.advanceMessageStatus(
          manager,
          message.id,
          event.status,
          event.error,
          now,
        )) !== 1
      )
        return false;
      await this.conversion.deliveryStatus(manager, message.verificationId, event);
      const deliveryMoved =
        (await this.verifications.advanceDeliveryStatus(
          manager,
          message.verificationId,
          event.messageId,
          event.status,
          event.error,
          event.errorCode ?? null,
          now,
        )) === 1;
      await this.audit.record(
        {
          type: 'message.status',
          appId: app.id,
          verificationId: message.verificationId,
          actor,
          data: {
            provider: event.provider,
            channel: message.channel,
            purpose: message.purpose,
            providerMessageId: event.messageId,
            status: event.status,
            error: event.error,
            errorCode: event.errorCode ?? null,
          },
        },
        manager,
      );
      if (!deliveryMoved) return true;
      if (event.status === DeliveryStatus.DELIVERED || event.status === DeliveryStatus.READ)
        await this.steps.cancelTimeout(manager, message.verificationId);
      const verification = await this.verifications.findById(message.verificationId, manager);
      if (verification)
        await this.outbox.enqueue(manager, app, WebhookEventType.DELIVERY_UPDATED, verification);
      return true;
    });
    if (advanced) this.metrics.deliveryStatus(message.channel, event.status);
    if (event.status === DeliveryStatus.FAILED)
      await this.router.afterFailedStatus(app, message, event, actor);
  }
}
