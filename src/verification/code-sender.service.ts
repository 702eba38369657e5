import { Injectable, Logger } from '@nestjs/common';
import { ConversionCounters } from '../analytics/conversion-counters.service';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { App } from '../apps/entities/app.entity';
import { Actor } from '../auth/auth.types';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { insertEntities } from '../database/entity-sql';
import { MetricsService } from '../metrics/metrics.service';
import { OutboundMessage, ProviderName } from '../providers/messaging-provider';
import {
  AllChannelsFailedError,
  ChannelFailure,
  ProviderRegistry,
} from '../providers/provider-registry';
import { WebhookEventType } from '../webhooks/webhook-events';
import { WebhookOutbox } from '../webhooks/webhook-outbox.service';
import { MessagePurpose, VerificationMessage } from './entities/verification-message.entity';
import { Verification } from './entities/verification.entity';
import { renderMessage } from './messages';
import { VerificationRepository } from './verification.repository';
import { Channel, DeliveryStatus, VerificationStatus } from './verification.types';

/** What a send did: the channel that carried it, or why every channel failed. Holds no message content. */
export type Delivery =
  | {
      ok: true;
      channel: Channel;
      provider: ProviderName;
      messageId: string;
      status: DeliveryStatus;
      failures: ChannelFailure[];
      purpose: MessagePurpose;
    }
  | {
      ok: false;
      channel: Channel;
      provider: ProviderName | 'none';
      error: string;
      failures: ChannelFailure[];
      purpose: MessagePurpose;
    };

export type SendOutcome =
  | {
      ok: true;
      channel: Channel;
      provider: ProviderName;
      messageId: string;
      status: DeliveryStatus;
    }
  | { ok: false; error: string };

/**
 * Sends messages for a verification through the provider registry (which owns the fallback order),
 * records which channel carried each one, and audits it. Used by both flows.
 *
 * The verification is always stored before anything is sent (creation stores it with delivery
 * `queued`; a resend claims the send first), so {@link sendCode} and {@link sendText} only ever
 * write an outcome onto an existing row: one transaction with the message row, its audit events and
 * one conditional UPDATE of the verification by primary key.
 */
@Injectable()
export class CodeSender {
  private readonly logger = new Logger('CodeSender');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: ProviderRegistry,
    private readonly verifications: VerificationRepository,
    private readonly audit: AuditService,
    private readonly outbox: WebhookOutbox,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
    private readonly conversion: ConversionCounters,
  ) {}

  /** Sends a one-time code to an existing verification and records the outcome. */
  async sendCode(
    app: App,
    verification: Verification,
    code: string,
    channels: Channel[],
    actor: Actor,
    options: { failVerificationOnError: boolean },
  ): Promise<SendOutcome> {
    const text = renderMessage(verification.locale, 'otpCode', { code, brand: app.brandName });
    const delivery = await this.deliver(
      verification,
      verification.phone!,
      { kind: 'code', code, text },
      channels,
      MessagePurpose.CODE,
    );
    const failed = await this.dataSource.transaction((manager) =>
      this.recordForExisting(
        manager,
        app,
        verification,
        delivery,
        actor,
        options.failVerificationOnError,
      ),
    );
    if (failed) this.metrics.verificationCompleted(verification, VerificationStatus.FAILED);
    return toOutcome(delivery);
  }

  /**
   * Sends a free-form reply (inbound flow, inside the 24-hour window); never falls back to SMS.
   * `to` is a phone in E.164, or the WhatsApp user id of a sender whose phone is hidden.
   */
  async sendText(
    app: App,
    verification: Verification,
    to: string | { waUserId: string },
    text: string,
    purpose: MessagePurpose,
    actor: Actor,
  ): Promise<SendOutcome> {
    const delivery = await this.deliver(
      verification,
      to,
      { kind: 'text', text },
      [Channel.WHATSAPP],
      purpose,
    );
    await this.dataSource.transaction((manager) =>
      this.recordForExisting(manager, app, verification, delivery, actor, false),
    );
    return toOutcome(delivery);
  }

  /** Writes the message row and its audit events (`message.failed` per failed channel, then `message.sent`). */
  private async recordMessage(
    manager: EntityManager,
    app: App,
    verification: Verification,
    delivery: Delivery,
    actor: Actor,
  ): Promise<void> {
    const now = this.clock.now();
    const message: VerificationMessage = {
      id: newId(),
      verificationId: verification.id,
      appId: verification.appId,
      channel: delivery.channel,
      provider: delivery.provider,
      purpose: delivery.purpose,
      providerMessageId: delivery.ok ? delivery.messageId : null,
      status: delivery.ok ? delivery.status : DeliveryStatus.FAILED,
      error: delivery.ok ? null : delivery.error,
      createdAt: now,
      updatedAt: now,
    };
    await insertEntities(manager, VerificationMessage, [message]);
    if (delivery.ok) await this.conversion.sent(manager, verification.id);
    const base = { appId: app.id, verificationId: verification.id, actor };
    await this.audit.record(
      [
        ...delivery.failures.map((failure) => ({
          ...base,
          type: 'message.failed',
          data: {
            channel: failure.channel,
            provider: failure.provider,
            purpose: delivery.purpose,
            error: failure.error,
          },
        })),
        ...(delivery.ok
          ? [
              {
                ...base,
                type: 'message.sent',
                data: {
                  channel: delivery.channel,
                  provider: delivery.provider,
                  purpose: delivery.purpose,
                  providerMessageId: delivery.messageId,
                  fallback: delivery.failures.length > 0,
                },
              },
            ]
          : []),
      ],
      manager,
    );
  }

  /**
   * A verification whose code could not be delivered at all: `failed`, audited, and
   * `verification.failed` queued for the app.
   */
  private async recordFailure(
    manager: EntityManager,
    app: App,
    verification: Verification,
    error: string,
    actor: Actor,
  ): Promise<void> {
    await this.conversion.settled(manager, verification.id);
    await this.audit.record(
      {
        type: 'verification.failed',
        appId: app.id,
        verificationId: verification.id,
        actor,
        data: { reason: 'delivery_failed' },
      },
      manager,
    );
    await this.outbox.enqueue(manager, app, WebhookEventType.FAILED, {
      ...verification,
      status: VerificationStatus.FAILED,
      deliveryStatus: DeliveryStatus.FAILED,
      deliveryError: error,
    });
  }

  /**
   * The outcome of a send, written after it: the message row and its audit events, then one
   * conditional UPDATE of the verification by primary key, fenced by the code hash that was sent
   * (a resend that replaced the code in the meantime owns the delivery fields now). True when
   * this made the verification `failed`.
   */
  private async recordForExisting(
    manager: EntityManager,
    app: App,
    verification: Verification,
    delivery: Delivery,
    actor: Actor,
    failVerificationOnError: boolean,
  ): Promise<boolean> {
    await this.recordMessage(manager, app, verification, delivery, actor);
    if (delivery.purpose !== MessagePurpose.CODE || !verification.codeHash) return false;
    const now = this.clock.now();
    if (delivery.ok) {
      await this.verifications.recordDelivery(
        manager,
        verification.id,
        verification.codeHash,
        delivery.channel,
        delivery.status,
        delivery.messageId,
        null,
        now,
      );
    } else if (
      failVerificationOnError &&
      (await this.verifications.failIfPending(
        manager,
        verification.id,
        verification.codeHash,
        delivery.channel,
        delivery.error,
        now,
      )) === 1
    ) {
      await this.recordFailure(
        manager,
        app,
        { ...verification, deliveryChannel: delivery.channel, updatedAt: now },
        delivery.error,
        actor,
      );
      return true;
    } else {
      await this.verifications.recordDelivery(
        manager,
        verification.id,
        verification.codeHash,
        delivery.channel,
        DeliveryStatus.FAILED,
        null,
        delivery.error,
        now,
      );
    }
    return false;
  }

  private async deliver(
    verification: Verification,
    to: string | { waUserId: string },
    content: Pick<OutboundMessage, 'kind' | 'code' | 'text'>,
    channels: Channel[],
    purpose: MessagePurpose,
  ): Promise<Delivery> {
    try {
      const sent = await this.registry.sendFirstAvailable(
        {
          ...content,
          ...(typeof to === 'string' ? { to } : { to: null, toUserId: to.waUserId }),
          locale: verification.locale,
          appId: verification.appId,
        },
        channels,
      );
      return {
        ok: true,
        channel: sent.channel,
        provider: sent.provider,
        messageId: sent.result.messageId,
        status: sent.result.status,
        failures: sent.failures,
        purpose,
      };
    } catch (error) {
      if (!(error instanceof AllChannelsFailedError)) throw error;
      const summary =
        error.failures
          .map((failure) => `${failure.channel}: ${failure.error}`)
          .join('; ')
          .slice(0, 255) || 'no channel to deliver on';
      this.logger.warn(`Delivery failed for verification ${verification.id}: ${summary}`);
      const last = error.failures[error.failures.length - 1];
      return {
        ok: false,
        channel: last?.channel ?? channels[0],
        provider: last?.provider ?? 'none',
        error: summary,
        failures: error.failures,
        purpose,
      };
    }
  }
}

function toOutcome(delivery: Delivery): SendOutcome {
  return delivery.ok
    ? {
        ok: true,
        channel: delivery.channel,
        provider: delivery.provider,
        messageId: delivery.messageId,
        status: delivery.status,
      }
    : { ok: false, error: delivery.error };
}
