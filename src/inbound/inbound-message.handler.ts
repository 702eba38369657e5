import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  ConversionCounters,
  SettledTransition,
  settledAs,
} from '../analytics/conversion-counters.service';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CreationGuard } from '../abuse/creation-guard.service';
import { App } from '../apps/entities/app.entity';
import { AuditEntry, AuditService } from '../audit/audit.service';
import { Actor } from '../auth/auth.types';
import { Clock } from '../common/clock';
import { DomainException, ErrorCode } from '../common/errors';
import { normalisePhone } from '../common/phone';
import { maskPhone } from '../common/phone-mask';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { InboundMessageEvent } from '../providers/messaging-provider';
import { AllChannelsFailedError, ProviderRegistry } from '../providers/provider-registry';
import { CodeHasher } from '../verification/code-hasher';
import { CodeSender } from '../verification/code-sender.service';
import { MessagePurpose } from '../verification/entities/verification-message.entity';
import { Verification } from '../verification/entities/verification.entity';
import { findTokenInText, hashToken } from '../verification/inbound-token';
import { renderMessage } from '../verification/messages';
import { OtpGenerator } from '../verification/otp-generator';
import {
  APPROVED_IN_PACKET,
  InboundSender,
  VerificationRepository,
} from '../verification/verification.repository';
import {
  Channel,
  RESEND_COOLDOWN_MS,
  VerificationStatus,
} from '../verification/verification.types';
import { WebhookEventType } from '../webhooks/webhook-events';
import { WebhookOutbox } from '../webhooks/webhook-outbox.service';
import { InboxRepository } from './inbox.repository';
import { decideInboundOutcome, InboundOutcome, InboundSenderIdentity } from './inbound-outcome';
import { InboundSenderRepository } from './inbound-sender.repository';
import { WaUserPhoneRepository } from './wa-user-phone.repository';
import { Statement } from '../database/pipelined-transactions';

const RATE_WINDOW_MS = 60_000;

/** Why the sender of a message for a phone-less verification may not complete it. */
type InboundRefusalReason =
  | 'country_not_allowed'
  | 'country_blocked'
  | 'country_unknown'
  | 'number_type'
  | 'phone_rate_limited'
  | 'invalid_phone'
  | 'phone_required';
const HELP_INTERVAL_MS = 60 * 60_000;

interface Matched {
  app: App;
  verification: Verification;
  event: InboundMessageEvent;
  sender: InboundSenderIdentity;
  actor: Actor;
}

/** The write that marks the message's inbox event processed, and whether the handler made it. */
export interface InboxCompletion {
  write: () => Statement;
  written: boolean;
}

/**
 * What a person's message to the business number does. The token in the text names the
 * verification; the sender is matched against its phone; every effect is a conditional update
 * committed together with its audit entries and client-webhook events, so processing the same
 * message again changes nothing twice. Replies go out after the commit.
 *
 * A repeated message for a `code` verification issues a fresh code under the same limits as
 * `/resend` (at most `maxSends` codes, none within the 30 s cooldown); otherwise no new code and no
 * reply (audited as `inbound.code_throttled`).
 */
@Injectable()
export class InboundMessageHandler {
  private readonly logger = new Logger(InboundMessageHandler.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly verifications: VerificationRepository,
    private readonly inbox: InboxRepository,
    private readonly senders: InboundSenderRepository,
    private readonly codeSender: CodeSender,
    private readonly registry: ProviderRegistry,
    private readonly hasher: CodeHasher,
    private readonly otp: OtpGenerator,
    private readonly audit: AuditService,
    private readonly outbox: WebhookOutbox,
    private readonly clock: Clock,
    private readonly creationGuard: CreationGuard,
    private readonly metrics: MetricsService,
    private readonly conversion: ConversionCounters,
    private readonly userPhones: WaUserPhoneRepository,
  ) {}

  /**
   * `firstAttempt`: count the message against the sender's rate and audit its arrival only once.
   * `completion`: the inbox's write marking the event processed; a confirmation makes it in the
   * transaction that records its reply (one round trip less) and sets `written`, otherwise the inbox
   * makes it after this returns.
   */
  async handle(
    event: InboundMessageEvent,
    actor: Actor,
    firstAttempt: boolean,
    completion?: InboxCompletion,
  ): Promise<void> {
    // WhatsApp showed both identifiers: keep the pair, so a later message with the phone hidden
    // (user id only) is known to come from this phone.
    if (event.from !== null && event.waUserId !== null)
      await this.userPhones.remember(event.waUserId, event.from, event.timestamp);
    const knownPhone =
      event.from === null && event.waUserId !== null
        ? await this.userPhones.phoneOf(event.waUserId)
        : null;
    const sender: InboundSenderIdentity = {
      phone: event.from ?? knownPhone,
      waUserId: event.waUserId,
    };
    // A sandbox message counts only within the app that injected it (one app cannot throttle another's senders).
    const scope = event.appId === undefined ? event.provider : `${event.provider}:${event.appId}`;
    const senderKey = `${scope}:${event.from ?? `user:${event.waUserId ?? 'unknown'}`}`;
    const basics = {
      provider: event.provider,
      channel: event.channel,
      from: maskPhone(event.from),
      phoneHidden: event.from === null,
      ...(knownPhone !== null ? { phoneFromUserId: true } : {}),
      messageId: event.messageId,
    };
    const now = this.clock.now();

    if (event.channel !== Channel.WHATSAPP) {
      if (firstAttempt)
        await this.audit.record({
          type: 'inbound.ignored',
          appId: null,
          actor,
          data: { ...basics, reason: 'not_whatsapp' },
        });
      return;
    }
    const token = event.text ? findTokenInText(event.text) : null;
    const { withinRate, found } = await this.countAndLookUp(
      senderKey,
      now,
      token === null ? null : hashToken(token),
      firstAttempt,
    );
    if (!withinRate) {
      await this.audit.record({
        type: 'inbound.dropped',
        appId: null,
        actor,
        data: { ...basics, reason: 'sender_rate_limited' },
      });
      return;
    }

    // A sandbox message is scoped to the app that injected it: another app's token is unknown to it.
    const known = found && event.appId !== undefined && found.app.id !== event.appId ? null : found;
    const verification = known?.verification ?? null;
    const app = known?.app ?? null;
    const received: AuditEntry | null = firstAttempt
      ? {
          type: 'inbound.received',
          appId: app?.id ?? null,
          verificationId: verification?.id ?? null,
          actor,
          data: { ...basics, hasToken: token !== null },
        }
      : null;
    const outcome = verification ? decideInboundOutcome(verification, sender, now) : null;
    if (app && verification && verification.phone !== null && outcome?.kind === 'confirm') {
      // The common case: the arrival is recorded in the transaction that approves.
      await this.confirm({ app, verification, event, sender, actor }, false, received, completion);
      return;
    }
    if (received) await this.audit.record(received);
    if (!verification || !app || !outcome) {
      await this.unmatched(
        event,
        sender,
        senderKey,
        token === null ? 'no_token' : 'unknown_token',
        actor,
        basics,
      );
      return;
    }
    const matched: Matched = { app, verification, event, sender, actor };
    if ((outcome.kind === 'confirm' || outcome.kind === 'code') && verification.phone === null) {
      const refusal = await this.senderRefusal(app, sender, actor);
      if (refusal) return this.refuseSender(matched, refusal);
    }
    await this.resolve(matched, outcome, false);
  }

  /**
   * Counts the message against its sender's rate (on its first attempt only) and looks the token up
   * (when there is one). On MySQL a first attempt with a token does both in one round trip (the
   * look-up is then made even for a message over the limit, and not used).
   */
  private async countAndLookUp(
    senderKey: string,
    now: number,
    tokenHash: string | null,
    firstAttempt: boolean,
  ): Promise<{ withinRate: boolean; found: { verification: Verification; app: App } | null }> {
    const limit = this.config.rateLimits.inboundSenderPerMinute;
    if (firstAttempt && tokenHash !== null && this.inbox.looksUpInOnePacket) {
      const { counted, found } = await this.inbox.findByTokenHashWithAppCounting(
        tokenHash,
        this.senders.countMessageStatements(senderKey, now, RATE_WINDOW_MS, limit),
      );
      return { withinRate: counted, found };
    }
    if (firstAttempt && !(await this.senders.countMessage(senderKey, now, RATE_WINDOW_MS, limit)))
      return { withinRate: false, found: null };
    return {
      withinRate: true,
      found: tokenHash === null ? null : await this.inbox.findByTokenHashWithApp(tokenHash),
    };
  }

  /**
   * A verification created without a phone takes the sender's number: it must pass the checks a
   * creation with that number would (the app's allowed countries, the refused number types, the
   * velocity guard and the per-phone limits, counted here as that creation). Null when it does.
   * A sender whose phone stays hidden (user id only) is accepted only by an app that allows
   * username-only approvals and does not limit countries.
   */
  private async senderRefusal(
    app: App,
    sender: InboundSenderIdentity,
    actor: Actor,
  ): Promise<InboundRefusalReason | null> {
    if (sender.phone === null) {
      if (!app.allowUsernameOnly) return 'phone_required';
      return app.allowedCountries?.length ? 'country_unknown' : null;
    }
    const phone = normalisePhone(sender.phone);
    if (!phone) return 'invalid_phone';
    try {
      await this.creationGuard.assertAllowed(app, phone, actor);
      return null;
    } catch (error) {
      if (!(error instanceof DomainException)) throw error;
      switch (error.code) {
        case ErrorCode.COUNTRY_NOT_ALLOWED:
          return phone.country && (app.allowedCountries ?? [phone.country]).includes(phone.country)
            ? 'country_blocked'
            : 'country_not_allowed';
        case ErrorCode.INVALID_PHONE:
          return 'number_type';
        case ErrorCode.RATE_LIMITED:
          return 'phone_rate_limited';
        default:
          throw error;
      }
    }
  }

  /** The verification stays pending; the refusal is audited and the sender gets a polite reply. */
  private async refuseSender(m: Matched, reason: InboundRefusalReason): Promise<void> {
    const { app, verification, sender, actor, event } = m;
    await this.audit.record({
      type: 'verification.inbound_refused',
      appId: app.id,
      verificationId: verification.id,
      actor,
      data: { messageId: event.messageId, from: maskPhone(sender.phone), reason },
    });
    await this.reply(
      m,
      verification,
      reason === 'phone_required' ? 'inboundSharePhone' : 'inboundRefused',
      MessagePurpose.REFUSAL,
    );
  }

  private async resolve(m: Matched, outcome: InboundOutcome, isRetry: boolean): Promise<void> {
    switch (outcome.kind) {
      case 'confirm':
        return this.confirm(m, isRetry);
      case 'code':
        return this.issueCode(m, isRetry);
      case 'mismatch':
      case 'phone_hidden':
        return this.mismatch(m, outcome.kind);
      case 'expired':
        return this.expire(m);
      case 'not_pending':
        return this.refuseNotPending(m, outcome.status);
    }
  }

  /** A conditional update lost: someone changed the verification meanwhile. Decide once more on fresh state. */
  private async afterLostRace(m: Matched, lost: 'confirm' | 'code'): Promise<void> {
    const fresh = await this.verifications.findById(m.verification.id);
    if (!fresh) return;
    const outcome = decideInboundOutcome(fresh, m.sender, this.clock.now());
    if (outcome.kind === lost) {
      // Still looks right, so the refusal was the send limit or the cooldown (only `code` gets here).
      await this.audit.record({
        type: 'inbound.code_throttled',
        appId: m.app.id,
        verificationId: fresh.id,
        actor: m.actor,
        data: {
          messageId: m.event.messageId,
          reason: fresh.sends >= fresh.maxSends ? 'max_sends_reached' : 'resend_too_soon',
        },
      });
      return;
    }
    await this.resolve({ ...m, verification: fresh }, outcome, true);
  }

  /**
   * Approves outright, with its counter, `inbound.matched` and the `verification.approved` webhook
   * in the same transaction (on MySQL one packet, each guarded by the approval). `received`: the
   * message's arrival event, recorded in that transaction whether or not it approves.
   */
  private async confirm(
    m: Matched,
    isRetry: boolean,
    received: AuditEntry | null = null,
    completion?: InboxCompletion,
  ): Promise<void> {
    const { app, verification, sender, actor, event } = m;
    const now = this.clock.now();
    const countryCode = sender.phone ? (normalisePhone(sender.phone)?.callingCode ?? null) : null;
    const recorded: InboundSender = { phone: sender.phone, countryCode, waUserId: sender.waUserId };
    const settled = settledAs(verification, VerificationStatus.APPROVED);
    const result: Verification = {
      ...verification,
      status: VerificationStatus.APPROVED,
      approvedAt: now,
      updatedAt: now,
      phone: verification.phone ?? sender.phone,
      countryCode: verification.countryCode ?? countryCode,
      waUserId: sender.waUserId ?? verification.waUserId,
    };
    const arrival = received ? [received] : [];
    const matched: AuditEntry = {
      type: 'inbound.matched',
      appId: app.id,
      verificationId: verification.id,
      actor,
      data: { messageId: event.messageId, from: maskPhone(sender.phone), reply: 'confirm' },
    };
    let approved: Verification | null;
    try {
      approved = await this.approveInbound(m, recorded, now, settled, result, arrival, matched);
    } catch (error) {
      // The arrival went down with the transaction, and a retry is no longer the first attempt
      // (it records no arrival): recorded on its own now. Unreachable database: this fails too,
      // but then the attempt is not spent and the retry records it.
      if (received) await this.audit.record(received).catch(() => undefined);
      throw error;
    }
    if (!approved) {
      if (!isRetry) await this.afterLostRace(m, 'confirm');
      return;
    }
    // Counted with the country known at creation (ZZ without a phone), as the created series was.
    this.metrics.verificationCompleted(verification, VerificationStatus.APPROVED);
    await this.reply(m, approved, 'inboundConfirmed', MessagePurpose.CONFIRMATION, completion);
  }

  /** The transaction of {@link confirm}: the verification as approved, or null when the conditional UPDATE matched nothing. */
  private async approveInbound(
    { app, verification }: Matched,
    recorded: InboundSender,
    now: number,
    settled: SettledTransition,
    result: Verification,
    arrival: AuditEntry[],
    matched: AuditEntry,
  ): Promise<Verification | null> {
    if (this.verifications.transitionsInOnePacket) {
      const approved = await this.verifications.approveInboundInOnePacket(
        verification.id,
        recorded,
        now,
        this.audit.inserts(arrival),
        [
          ...this.conversion.settledWhere(verification.id, settled, APPROVED_IN_PACKET),
          ...this.audit.insertsWhere([matched], APPROVED_IN_PACKET),
          ...this.outbox.enqueueWhere(app, WebhookEventType.APPROVED, result, APPROVED_IN_PACKET),
        ],
      );
      return approved ? result : null;
    }
    return this.dataSource.transaction(async (manager) => {
      await this.audit.record(arrival, manager);
      if ((await this.verifications.approveInbound(manager, verification.id, recorded, now)) !== 1)
        return null;
      await this.conversion.settled(manager, verification.id, settled);
      await this.audit.record(matched, manager);
      await this.outbox.enqueue(manager, app, WebhookEventType.APPROVED, result);
      return result;
    });
  }

  private async issueCode(m: Matched, isRetry: boolean): Promise<void> {
    const { app, verification, sender, actor, event } = m;
    const phone = sender.phone!;
    const now = this.clock.now();
    const code = this.otp.generate(verification.codeLength);
    const codeHash = await this.hasher.hash(verification.id, code);
    const countryCode = normalisePhone(phone)?.callingCode ?? null;
    const issued = await this.dataSource.transaction(async (manager) => {
      const claimed = await this.verifications.issueInboundCode(
        manager,
        verification.id,
        codeHash,
        verification.phone,
        { phone, countryCode, waUserId: sender.waUserId },
        now,
        RESEND_COOLDOWN_MS,
      );
      if (claimed !== 1) return false;
      await this.audit.record(
        {
          type: 'inbound.matched',
          appId: app.id,
          verificationId: verification.id,
          actor,
          data: {
            messageId: event.messageId,
            from: maskPhone(phone),
            reply: 'code',
            send: verification.sends + 1,
          },
        },
        manager,
      );
      return true;
    });
    if (!issued) {
      if (!isRetry) await this.afterLostRace(m, 'code');
      return;
    }
    const fresh = (await this.verifications.findById(verification.id)) ?? verification;
    const minutes = Math.max(1, Math.ceil((fresh.expiresAt - this.clock.now()) / 60_000));
    const text = renderMessage(fresh.locale, 'inboundCode', {
      brand: app.brandName,
      code,
      minutes,
    });
    await this.codeSender.sendText(app, fresh, phone, text, MessagePurpose.CODE, actor, { code });
  }

  private async mismatch(m: Matched, reason: 'mismatch' | 'phone_hidden'): Promise<void> {
    const { app, verification, sender, actor, event } = m;
    await this.dataSource.transaction(async (manager) => {
      await this.audit.record(
        {
          type: 'inbound.mismatch',
          appId: app.id,
          verificationId: verification.id,
          actor,
          data: {
            messageId: event.messageId,
            from: maskPhone(sender.phone),
            reason: reason === 'mismatch' ? 'other_phone' : 'phone_hidden',
          },
        },
        manager,
      );
      await this.outbox.enqueue(manager, app, WebhookEventType.INBOUND_MISMATCH, verification);
    });
    // A hidden phone is asked for; a different phone is told this verification is not theirs.
    await this.reply(
      m,
      verification,
      reason === 'mismatch' ? 'inboundMismatch' : 'inboundSharePhone',
      MessagePurpose.REFUSAL,
    );
  }

  private async expire(m: Matched): Promise<void> {
    const { app, verification, actor, event } = m;
    const now = this.clock.now();
    const expired = await this.dataSource.transaction(async (manager) => {
      const moved = (await this.verifications.expireIfDue(manager, verification.id, now)) === 1;
      if (moved) {
        await this.conversion.settled(
          manager,
          verification.id,
          settledAs(verification, VerificationStatus.EXPIRED),
        );
        await this.audit.record(
          { type: 'verification.expired', appId: app.id, verificationId: verification.id, actor },
          manager,
        );
        await this.outbox.enqueue(manager, app, WebhookEventType.EXPIRED, {
          ...verification,
          status: VerificationStatus.EXPIRED,
          updatedAt: now,
        });
      }
      await this.audit.record(
        {
          type: 'inbound.expired',
          appId: app.id,
          verificationId: verification.id,
          actor,
          data: { messageId: event.messageId, status: VerificationStatus.EXPIRED },
        },
        manager,
      );
      return moved;
    });
    if (expired) this.metrics.verificationCompleted(verification, VerificationStatus.EXPIRED);
    await this.reply(m, verification, 'inboundExpired', MessagePurpose.REFUSAL);
  }

  private async refuseNotPending(m: Matched, status: VerificationStatus): Promise<void> {
    const { app, verification, actor, event } = m;
    await this.audit.record({
      type: 'inbound.expired',
      appId: app.id,
      verificationId: verification.id,
      actor,
      data: { messageId: event.messageId, status },
    });
    await this.reply(m, verification, 'inboundExpired', MessagePurpose.REFUSAL);
  }

  private async reply(
    m: Matched,
    verification: Verification,
    key:
      | 'inboundConfirmed'
      | 'inboundMismatch'
      | 'inboundExpired'
      | 'inboundRefused'
      | 'inboundSharePhone',
    purpose: MessagePurpose,
    completion?: InboxCompletion,
  ): Promise<void> {
    const to = replyAddress(m.sender);
    if (to === null) return;
    const text = renderMessage(verification.locale, key, { brand: m.app.brandName });
    await this.codeSender.sendText(m.app, verification, to, text, purpose, m.actor, {
      alsoWrite: completion?.write,
    });
    if (completion) completion.written = true;
  }

  /** No token, or one we do not know: a help reply at most once an hour per sender (no app, so neutral wording). */
  private async unmatched(
    event: InboundMessageEvent,
    sender: InboundSenderIdentity,
    senderKey: string,
    reason: 'no_token' | 'unknown_token',
    actor: Actor,
    basics: Record<string, unknown>,
  ): Promise<void> {
    const now = this.clock.now();
    const to = replyAddress(sender);
    const helpSent =
      to !== null && (await this.senders.claimHelp(senderKey, now, HELP_INTERVAL_MS));
    await this.audit.record({
      type: 'inbound.unmatched',
      appId: null,
      actor,
      data: { ...basics, reason, helpSent },
    });
    if (!helpSent || to === null) return;
    // A user id starts with the person's country (`ID.…`), like a phone's calling code tells it.
    const country =
      typeof to === 'string' ? normalisePhone(to)?.country : to.waUserId.split('.')[0];
    const locale = country === 'ID' ? 'id' : 'en';
    try {
      await this.registry.sendFirstAvailable(
        {
          kind: 'text',
          ...(typeof to === 'string' ? { to } : { to: null, toUserId: to.waUserId }),
          text: renderMessage(locale, 'inboundHelp', {}),
          locale,
          appId: event.appId ?? null,
        },
        [Channel.WHATSAPP],
      );
    } catch (error) {
      if (!(error instanceof AllChannelsFailedError)) throw error;
      this.logger.warn(
        `Help reply for inbound message ${event.messageId} failed: ${error.failures.map((f) => f.error).join('; ')}`,
      );
    }
  }
}

/** Where a reply goes: the sender's phone, else (phone hidden) their WhatsApp user id. */
function replyAddress(sender: InboundSenderIdentity): string | { waUserId: string } | null {
  if (sender.phone !== null) return sender.phone;
  return sender.waUserId !== null ? { waUserId: sender.waUserId } : null;
}
