import { Injectable } from '@nestjs/common';
import { ConversionCounters } from '../analytics/conversion-counters.service';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { App } from '../apps/entities/app.entity';
import { AuditService } from '../audit/audit.service';
import { Actor } from '../auth/auth.types';
import { Clock } from '../common/clock';
import { MetricsService } from '../metrics/metrics.service';
import { StatusEvent } from '../providers/messaging-provider';
import { CodeHasher } from '../verification/code-hasher';
import { CodeSender } from '../verification/code-sender.service';
import {
  MessagePurpose,
  VerificationMessage,
} from '../verification/entities/verification-message.entity';
import { Verification } from '../verification/entities/verification.entity';
import { OtpGenerator } from '../verification/otp-generator';
import { VerificationRepository } from '../verification/verification.repository';
import {
  Channel,
  DeliveryStatus,
  Flow,
  VerificationStatus,
} from '../verification/verification.types';
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
 * transaction. A WhatsApp code that failed to deliver falls back to SMS when the verification asked.
 */
@Injectable()
export class DeliveryStatusHandler {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly verifications: VerificationRepository,
    private readonly inbox: InboxRepository,
    private readonly codeSender: CodeSender,
    private readonly hasher: CodeHasher,
    private readonly otp: OtpGenerator,
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
          },
        },
        manager,
      );
      if (!deliveryMoved) return true;
      const verification = await this.verifications.findById(message.verificationId, manager);
      if (verification)
        await this.outbox.enqueue(manager, app, WebhookEventType.DELIVERY_UPDATED, verification);
      return true;
    });
    if (advanced) this.metrics.deliveryStatus(message.channel, event.status);
    if (event.status === DeliveryStatus.FAILED) await this.fallBackToSms(app, message, actor);
  }

  /**
   * A failed WhatsApp code of a pending verification that lists `sms` as a fallback: a new code by
   * SMS. Only while the failed message is still the current delivery (the claim clears it, so a
   * redelivered or reprocessed `failed` does not send twice). The cooldown does not apply.
   */
  private async fallBackToSms(app: App, message: VerificationMessage, actor: Actor): Promise<void> {
    if (message.purpose !== MessagePurpose.CODE || message.channel !== Channel.WHATSAPP) return;
    const verification = await this.verifications.findById(message.verificationId);
    const now = this.clock.now();
    if (!verification || !DeliveryStatusHandler.wantsSmsFallback(verification, message, now))
      return;
    const code = this.otp.generate(verification.codeLength);
    const codeHash = await this.hasher.hash(verification.id, code);
    const claimed = await this.dataSource.transaction(async (manager) => {
      if ((await this.verifications.claimSend(manager, verification.id, codeHash, now, 0)) !== 1)
        return false;
      await this.audit.record(
        {
          type: 'verification.fallback',
          appId: app.id,
          verificationId: verification.id,
          actor,
          data: {
            from: Channel.WHATSAPP,
            to: Channel.SMS,
            reason: 'delivery_failed',
            send: verification.sends + 1,
          },
        },
        manager,
      );
      return true;
    });
    if (!claimed) return;
    const fresh: Verification =
      (await this.verifications.findById(verification.id)) ?? verification;
    await this.codeSender.sendCode(app, fresh, code, [Channel.SMS], actor, {
      failVerificationOnError: fresh.flow === Flow.OUTBOUND,
    });
  }

  private static wantsSmsFallback(
    verification: Verification,
    message: VerificationMessage,
    now: number,
  ): boolean {
    return (
      verification.status === VerificationStatus.PENDING &&
      verification.expiresAt > now &&
      verification.phone !== null &&
      verification.fallbackChannels.includes(Channel.SMS) &&
      verification.deliveryChannel === Channel.WHATSAPP &&
      verification.deliveryMessageId === message.providerMessageId
    );
  }
}
