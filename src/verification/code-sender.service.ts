import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { App } from '../apps/entities/app.entity';
import { Actor } from '../auth/auth.types';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { OutboundMessage, ProviderName } from '../providers/messaging-provider';
import { AllChannelsFailedError, ProviderRegistry } from '../providers/provider-registry';
import { WebhookEventType } from '../webhooks/webhook-events';
import { WebhookOutbox } from '../webhooks/webhook-outbox.service';
import { MessagePurpose, VerificationMessage } from './entities/verification-message.entity';
import { Verification } from './entities/verification.entity';
import { renderMessage } from './messages';
import { VerificationRepository } from './verification.repository';
import { Channel, DeliveryStatus, VerificationStatus } from './verification.types';

export type SendOutcome =
  | { ok: true; channel: Channel; provider: ProviderName; messageId: string; status: DeliveryStatus }
  | { ok: false; error: string };

/**
 * Sends messages for a verification through the provider registry (which owns the fallback order),
 * records which channel carried each one, and audits it. Used by both flows.
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
  ) {}

  /** Sends a one-time code on `channels` in order (first = preferred, rest = fallbacks). */
  async sendCode(app: App, verification: Verification, code: string, channels: Channel[], actor: Actor, options: { failVerificationOnError: boolean }): Promise<SendOutcome> {
    const text = renderMessage(verification.locale, 'otpCode', { code, brand: app.brandName });
    return this.send(app, verification, { kind: 'code', code, text }, channels, MessagePurpose.CODE, actor, options.failVerificationOnError);
  }

  /** Sends a free-form reply (inbound flow, inside the 24-hour window); never falls back to SMS. */
  async sendText(app: App, verification: Verification, to: string, text: string, purpose: MessagePurpose, actor: Actor): Promise<SendOutcome> {
    return this.send(app, { ...verification, phone: to }, { kind: 'text', text }, [Channel.WHATSAPP], purpose, actor, false);
  }

  private async send(
    app: App,
    verification: Verification,
    content: Pick<OutboundMessage, 'kind' | 'code' | 'text'>,
    channels: Channel[],
    purpose: MessagePurpose,
    actor: Actor,
    failVerificationOnError: boolean,
  ): Promise<SendOutcome> {
    const to = verification.phone!;
    try {
      const sent = await this.registry.sendFirstAvailable({ ...content, to, locale: verification.locale }, channels);
      const now = this.clock.now();
      await this.dataSource.transaction(async (manager) => {
        if (purpose === MessagePurpose.CODE) {
          await this.verifications.recordDelivery(manager, verification.id, sent.channel, sent.result.status, sent.result.messageId, null, now);
        }
        await this.insertMessage(manager, verification, sent.channel, sent.provider, purpose, sent.result.messageId, sent.result.status, null, now);
        await this.audit.record(
          [
            ...sent.failures.map((failure) => ({
              type: 'message.failed',
              appId: app.id,
              verificationId: verification.id,
              actor,
              data: { channel: failure.channel, provider: failure.provider, purpose, error: failure.error },
            })),
            {
              type: 'message.sent',
              appId: app.id,
              verificationId: verification.id,
              actor,
              data: { channel: sent.channel, provider: sent.provider, purpose, providerMessageId: sent.result.messageId, fallback: sent.failures.length > 0 },
            },
          ],
          manager,
        );
      });
      return { ok: true, channel: sent.channel, provider: sent.provider, messageId: sent.result.messageId, status: sent.result.status };
    } catch (error) {
      if (!(error instanceof AllChannelsFailedError)) throw error;
      const summary = error.failures.map((failure) => `${failure.channel}: ${failure.error}`).join('; ').slice(0, 255);
      this.logger.warn(`Delivery failed for verification ${verification.id}: ${summary}`);
      const now = this.clock.now();
      await this.dataSource.transaction(async (manager) => {
        const last = error.failures[error.failures.length - 1];
        await this.insertMessage(manager, verification, last?.channel ?? channels[0], last?.provider ?? 'none', purpose, null, DeliveryStatus.FAILED, summary, now);
        await this.audit.record(
          error.failures.map((failure) => ({
            type: 'message.failed',
            appId: app.id,
            verificationId: verification.id,
            actor,
            data: { channel: failure.channel, provider: failure.provider, purpose, error: failure.error },
          })),
          manager,
        );
        if (purpose !== MessagePurpose.CODE) return;
        if (failVerificationOnError && (await this.verifications.failIfPending(manager, verification.id, summary, now)) === 1) {
          const failed: Verification = { ...verification, status: VerificationStatus.FAILED, deliveryStatus: DeliveryStatus.FAILED, deliveryChannel: last?.channel ?? channels[0], deliveryError: summary, updatedAt: now };
          await this.audit.record({ type: 'verification.failed', appId: app.id, verificationId: verification.id, actor, data: { reason: 'delivery_failed' } }, manager);
          await this.outbox.enqueue(manager, app, WebhookEventType.FAILED, failed);
        } else {
          await this.verifications.recordDelivery(manager, verification.id, last?.channel ?? channels[0], DeliveryStatus.FAILED, null, summary, now);
        }
      });
      return { ok: false, error: summary };
    }
  }

  private insertMessage(
    manager: EntityManager,
    verification: Verification,
    channel: Channel,
    provider: ProviderName | 'none',
    purpose: MessagePurpose,
    providerMessageId: string | null,
    status: DeliveryStatus,
    error: string | null,
    now: number,
  ): Promise<unknown> {
    const message: VerificationMessage = {
      id: newId(),
      verificationId: verification.id,
      appId: verification.appId,
      channel,
      provider,
      purpose,
      providerMessageId,
      status,
      error,
      createdAt: now,
      updatedAt: now,
    };
    return manager.insert(VerificationMessage, message);
  }
}
