import { Injectable, Logger } from '@nestjs/common';
import { ConversionCounters } from '../analytics/conversion-counters.service';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { App } from '../apps/entities/app.entity';
import { Actor } from '../auth/auth.types';
import { AuditEntry, AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { iso } from '../common/columns';
import { newId } from '../common/ids';
import { insertEntitiesDeferred } from '../database/entity-sql';
import { Statement } from '../database/pipelined-transactions';
import { executeDeferred } from '../database/sql';
import { MetricsService } from '../metrics/metrics.service';
import { DeliveryRoute, routeForError, sentAs } from '../providers/delivery-routing';
import { OutboundMessage, ProviderName } from '../providers/messaging-provider';
import { ChannelFailure, ProviderRegistry } from '../providers/provider-registry';
import { WebhookEventType } from '../webhooks/webhook-events';
import { WebhookOutbox } from '../webhooks/webhook-outbox.service';
import { MessagePurpose, VerificationMessage } from './entities/verification-message.entity';
import { Verification } from './entities/verification.entity';
import { renderMessage } from './messages';
import { CodeSealer } from './routing/code-sealer';
import { DeliveryStep, DeliveryStepReason } from './routing/delivery-step.entity';
import { DeliveryStepRepository } from './routing/delivery-step.repository';
import { DeliveryPlan, nextSchedule, planFrom, retryDueAt } from './routing/delivery-plan';
import { VerificationRepository } from './verification.repository';
import { Channel, DeliveryStatus, VerificationStatus } from './verification.types';

type MessageKind = OutboundMessage['kind'];

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
      kind: MessageKind;
      /** Index in the plan of the step that carried it. */
      step: number;
    }
  | {
      ok: false;
      channel: Channel;
      provider: ProviderName | 'none';
      error: string;
      failures: ChannelFailure[];
      purpose: MessagePurpose;
      kind: MessageKind;
      step: number;
      /** Set when the provider throttled the send: the same step is tried again then. */
      retryAt: number | null;
    };

export type SendOutcome =
  | {
      ok: true;
      channel: Channel;
      provider: ProviderName | 'none';
      /** Null while a throttled send waits for its retry (status `queued`). */
      messageId: string | null;
      status: DeliveryStatus;
      errorCode: string | null;
    }
  | { ok: false; error: string; errorCode: string | null };

export interface SendCodeOptions {
  /** No channel delivered (and nothing to retry): the verification becomes `failed`. */
  failVerificationOnError: boolean;
  /** Raise `verification.delivery_updated` for this send (every workflow step, background sends). */
  announce?: boolean;
  /** Why this step sends, for the audit trail: `start`, `timeout`, `failed` or `retry`. */
  reason?: string;
  /** The lease token of the claimed scheduled step this send runs (its row is released with the outcome). */
  leaseToken?: string;
}

/**
 * Sends messages for a verification through the provider registry, follows the verification's
 * delivery plan when a channel fails (the provider's error code decides: next channel at once, or
 * the same channel again after a pause), records which channel carried each message, schedules the
 * next step (workflow timeout or throttled retry), and audits it. Used by both flows.
 *
 * The verification is always stored before anything is sent (creation stores it with delivery
 * `queued`; a resend claims the send first), so {@link sendCode} and {@link sendText} only ever
 * write an outcome onto an existing row: one transaction with the message row, its audit events,
 * one conditional UPDATE of the verification fenced by the code hash, and its scheduled step.
 */
@Injectable()
export class CodeSender {
  private readonly logger = new Logger('CodeSender');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: ProviderRegistry,
    private readonly verifications: VerificationRepository,
    private readonly steps: DeliveryStepRepository,
    private readonly sealer: CodeSealer,
    private readonly audit: AuditService,
    private readonly outbox: WebhookOutbox,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
    private readonly conversion: ConversionCounters,
  ) {}

  /**
   * Sends a one-time code along `plan` from its step `from`, and records the outcome: the step that
   * carried it (with the next one scheduled when it has a timeout), a throttled step scheduled again,
   * or — no channel left — a failed delivery.
   */
  async sendCode(
    app: App,
    verification: Verification,
    code: string,
    plan: DeliveryPlan,
    actor: Actor,
    options: SendCodeOptions,
  ): Promise<SendOutcome> {
    const text = renderMessage(verification.locale, 'otpCode', { code, brand: app.brandName });
    const delivery = await this.deliverAlongPlan(verification, code, text, plan);
    const followUp = hasFollowUp(verification, plan, delivery, options, this.clock.now());
    const failed = await this.dataSource.transaction(async (manager) => {
      const result = await this.recordForExisting(
        manager,
        app,
        verification,
        delivery,
        actor,
        options.failVerificationOnError,
        plan.adHoc ? null : delivery.step,
        followUp,
      );
      if (result.current) {
        await this.scheduleNext(manager, verification, code, plan, delivery, options.leaseToken);
        await this.auditStep(manager, app, verification, plan, delivery, actor, options.reason);
        if (options.announce && !result.failed) await this.announce(manager, app, verification.id);
      }
      return result.failed;
    });
    if (failed) this.metrics.verificationCompleted(verification, VerificationStatus.FAILED);
    return toOutcome(delivery);
  }

  /**
   * In the creation transaction of a verification whose first step has a timeout: schedules the
   * next step now, so the timeout holds even if the process dies while the first one is sent.
   */
  async scheduleFirstTimeout(
    manager: EntityManager,
    verification: Verification,
    code: string,
  ): Promise<void> {
    if (!verification.workflow || !verification.codeHash) return;
    const next = nextSchedule(planFrom(verification), { step: 0 }, this.clock.now());
    if (next) await this.steps.insert(manager, this.stepRow(verification, code, next, 0));
  }

  /**
   * Sends a free-form reply (inbound flow, inside the 24-hour window); never falls back to SMS.
   * `to` is a phone in E.164, or the WhatsApp user id of a sender whose phone is hidden. A code
   * reply (`code` given) to a phone that WhatsApp refuses as outside the window (131047) goes as the
   * authentication template instead; a user id never gets an authentication template.
   * `alsoWrite`: a write of the caller's (e.g. its inbox event marked processed) made in the
   * transaction that records the reply, built when it runs; its result is not read.
   */
  async sendText(
    app: App,
    verification: Verification,
    to: string | { waUserId: string },
    text: string,
    purpose: MessagePurpose,
    actor: Actor,
    options: { code?: string; alsoWrite?: () => Statement } = {},
  ): Promise<SendOutcome> {
    const { code, alsoWrite } = options;
    const message = {
      ...(typeof to === 'string' ? { to } : { to: null, toUserId: to.waUserId }),
      text,
      locale: verification.locale,
      appId: verification.appId,
    };
    let delivery = await this.deliverOnce(
      { ...message, kind: 'text' },
      Channel.WHATSAPP,
      purpose,
      0,
      [],
    );
    const failure = delivery.ok ? null : delivery.failures[delivery.failures.length - 1];
    if (
      failure &&
      code !== undefined &&
      typeof to === 'string' &&
      routeForError(failure.provider, failure.errorCode, 'text') === DeliveryRoute.AS_TEMPLATE
    ) {
      delivery = await this.deliverOnce(
        { ...message, kind: 'code', code },
        Channel.WHATSAPP,
        purpose,
        0,
        delivery.failures,
      );
    }
    await this.dataSource.transaction(async (manager) => {
      await this.recordForExisting(manager, app, verification, delivery, actor, false, null, false);
      if (alsoWrite) {
        const write = alsoWrite();
        await executeDeferred(manager, write.sql, write.parameters);
      }
    });
    return toOutcome(delivery);
  }

  /**
   * Tries the plan's steps from `plan.from` in order. A failure moves on to the next step at once,
   * unless its error code says the provider throttled us and a pause still fits in the TTL: then the
   * send stops there, to be tried again at `retryAt`.
   */
  private async deliverAlongPlan(
    verification: Verification,
    code: string,
    text: string,
    plan: DeliveryPlan,
  ): Promise<Delivery> {
    const message = {
      kind: 'code' as const,
      code,
      text,
      to: verification.phone!,
      locale: verification.locale,
      appId: verification.appId,
    };
    const failures: ChannelFailure[] = [];
    let last: Delivery | null = null;
    for (let step = plan.from; step < plan.steps.length; step += 1) {
      last = await this.deliverOnce(
        message,
        plan.steps[step].channel,
        MessagePurpose.CODE,
        step,
        failures,
      );
      if (last.ok) return last;
      const failure = failures[failures.length - 1];
      const route = routeForError(
        failure.provider,
        failure.errorCode,
        sentAs(failure.provider, 'code'),
      );
      if (route === DeliveryRoute.RETRY_LATER && !plan.adHoc) {
        const retryAt = retryDueAt(verification, retriesAt(plan, step), this.clock.now());
        if (retryAt !== null) return { ...last, retryAt };
      }
    }
    if (last) {
      this.logger.warn(`Delivery failed for verification ${verification.id}: ${last.error}`);
      return last;
    }
    return {
      ok: false,
      channel: plan.steps[plan.steps.length - 1]?.channel ?? verification.channel,
      provider: 'none',
      error: 'no channel to deliver on',
      failures,
      purpose: MessagePurpose.CODE,
      kind: 'code',
      step: plan.from,
      retryAt: null,
    };
  }

  /** One send on one channel; a failure is appended to `failures` (shared along a plan). */
  private async deliverOnce(
    message: Omit<OutboundMessage, 'channel'>,
    channel: Channel,
    purpose: MessagePurpose,
    step: number,
    failures: ChannelFailure[],
  ): Promise<Delivery> {
    const sent = await this.registry.sendOn(channel, message);
    if (sent.ok) {
      return {
        ok: true,
        channel,
        provider: sent.provider,
        messageId: sent.result.messageId,
        status: sent.result.status,
        failures,
        purpose,
        kind: message.kind,
        step,
      };
    }
    failures.push(sent.failure);
    const error =
      failures
        .map((failure) => `${failure.channel}: ${failure.error}`)
        .join('; ')
        .slice(0, 255) || 'no channel to deliver on';
    return {
      ok: false,
      channel,
      provider: sent.failure.provider ?? 'none',
      error,
      failures,
      purpose,
      kind: message.kind,
      step,
      retryAt: null,
    };
  }

  /** Writes the message row and its audit events (`message.failed` per failed channel, then `message.sent`). */
  private async recordMessage(
    manager: EntityManager,
    app: App,
    verification: Verification,
    delivery: Delivery,
    actor: Actor,
    planStep: number | null,
  ): Promise<void> {
    const now = this.clock.now();
    const message: VerificationMessage = {
      id: newId(),
      verificationId: verification.id,
      appId: verification.appId,
      channel: delivery.channel,
      provider: delivery.provider,
      purpose: delivery.purpose,
      kind: delivery.kind,
      planStep,
      providerMessageId: delivery.ok ? delivery.messageId : null,
      status: delivery.ok ? delivery.status : DeliveryStatus.FAILED,
      error: delivery.ok ? null : delivery.error,
      createdAt: now,
      updatedAt: now,
    };
    await insertEntitiesDeferred(manager, VerificationMessage, [message]);
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
            errorCode: failure.errorCode,
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
                  kind: delivery.kind,
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
    errorCode: string | null,
    actor: Actor,
  ): Promise<void> {
    await this.conversion.settled(manager, verification.id);
    await this.audit.record(
      {
        type: 'verification.failed',
        appId: app.id,
        verificationId: verification.id,
        actor,
        data: { reason: 'delivery_failed', errorCode },
      },
      manager,
    );
    await this.outbox.enqueue(manager, app, WebhookEventType.FAILED, {
      ...verification,
      status: VerificationStatus.FAILED,
      deliveryStatus: DeliveryStatus.FAILED,
      deliveryMessageId: null,
      deliveryError: error,
      deliveryErrorCode: errorCode,
    });
  }

  /**
   * The outcome of a send, written after it: the message row and its audit events, then one
   * conditional UPDATE of the verification by primary key, fenced by the code hash that was sent
   * (a resend that replaced the code in the meantime owns the delivery fields now). `current`: the
   * fence held (this code is still the verification's); `failed`: this made the verification `failed`.
   * `followUp` false: the caller does nothing with `current` after a delivered code, so the UPDATE
   * of a delivered code need not be answered before COMMIT (on MySQL it travels with it: one round
   * trip per code sent instead of two) and `current` is then false.
   */
  private async recordForExisting(
    manager: EntityManager,
    app: App,
    verification: Verification,
    delivery: Delivery,
    actor: Actor,
    failVerificationOnError: boolean,
    planStep: number | null,
    followUp: boolean,
  ): Promise<{ current: boolean; failed: boolean }> {
    await this.recordMessage(manager, app, verification, delivery, actor, planStep);
    if (delivery.purpose !== MessagePurpose.CODE || !verification.codeHash)
      return { current: false, failed: false };
    const now = this.clock.now();
    const errorCode = latestErrorCode(delivery.failures);
    if (delivery.ok || delivery.retryAt !== null) {
      const written = await this.verifications.recordDelivery(
        manager,
        verification.id,
        verification.codeHash,
        delivery.ok
          ? {
              channel: delivery.channel,
              status: delivery.status,
              messageId: delivery.messageId,
              error: null,
              errorCode,
            }
          : {
              channel: delivery.channel,
              status: DeliveryStatus.QUEUED,
              messageId: null,
              error: delivery.error,
              errorCode,
            },
        now,
        followUp || !delivery.ok,
      );
      return { current: written === 1, failed: false };
    }
    if (
      failVerificationOnError &&
      (await this.verifications.failIfPending(
        manager,
        verification.id,
        verification.codeHash,
        delivery.channel,
        delivery.error,
        errorCode,
        now,
      )) === 1
    ) {
      await this.recordFailure(
        manager,
        app,
        { ...verification, deliveryChannel: delivery.channel, updatedAt: now },
        delivery.error,
        errorCode,
        actor,
      );
      return { current: true, failed: true };
    }
    const written = await this.verifications.recordDelivery(
      manager,
      verification.id,
      verification.codeHash,
      {
        channel: delivery.channel,
        status: DeliveryStatus.FAILED,
        messageId: null,
        error: delivery.error,
        errorCode,
      },
      now,
    );
    return { current: written === 1, failed: false };
  }

  /**
   * Replaces the verification's scheduled step with what follows this send: the next step when the
   * one that carried it has a timeout, the same step again when it was throttled, else nothing. A
   * send that ran a claimed step releases it first; a step that another worker has claimed meanwhile
   * is left to it (it schedules what follows). A plan without timeouts that needs no retry touches
   * nothing: an older step of another code is void anyway (fenced by the code hash).
   */
  private async scheduleNext(
    manager: EntityManager,
    verification: Verification,
    code: string,
    plan: DeliveryPlan,
    delivery: Delivery,
    leaseToken: string | undefined,
  ): Promise<void> {
    const next = nextSchedule(
      plan,
      delivery.ok ? { step: delivery.step } : delivery,
      this.clock.now(),
    );
    if (leaseToken !== undefined) {
      if ((await this.steps.release(manager, verification.id, leaseToken)) !== 1) return;
    } else if (next || verification.workflow) {
      if (!(await this.steps.clearUnclaimed(manager, verification.id))) return;
    }
    if (!next) return;
    const retries =
      next.reason === DeliveryStepReason.RETRY ? retriesAt(plan, delivery.step) + 1 : 0;
    await this.steps.insert(manager, this.stepRow(verification, code, next, retries));
  }

  private stepRow(
    verification: Verification,
    code: string,
    next: { step: number; reason: DeliveryStepReason; dueAt: number },
    retries: number,
  ): DeliveryStep {
    return {
      verificationId: verification.id,
      appId: verification.appId,
      nextStep: next.step,
      reason: next.reason,
      dueAt: next.dueAt,
      retries,
      codeHash: verification.codeHash!,
      sealedCode: this.sealer.seal(verification.id, code),
      leaseToken: null,
      createdAt: this.clock.now(),
    };
  }

  /** `delivery.step` for each step of a workflow, `delivery.retry_scheduled` for a throttled send. */
  private async auditStep(
    manager: EntityManager,
    app: App,
    verification: Verification,
    plan: DeliveryPlan,
    delivery: Delivery,
    actor: Actor,
    reason = 'start',
  ): Promise<void> {
    const base = { appId: app.id, verificationId: verification.id, actor };
    const entries: AuditEntry[] = [];
    if (delivery.ok && verification.workflow && !plan.adHoc) {
      entries.push({
        ...base,
        type: 'delivery.step',
        data: {
          step: delivery.step + 1,
          steps: plan.steps.length,
          channel: delivery.channel,
          reason: delivery.step > plan.from ? 'failed' : reason,
          timeoutSeconds: plan.steps[delivery.step].timeoutSeconds ?? null,
        },
      });
    }
    if (!delivery.ok && delivery.retryAt !== null) {
      entries.push({
        ...base,
        type: 'delivery.retry_scheduled',
        data: {
          channel: delivery.channel,
          errorCode: latestErrorCode(delivery.failures),
          retryAt: iso(delivery.retryAt),
          retry: retriesAt(plan, delivery.step) + 1,
        },
      });
    }
    if (entries.length > 0) await this.audit.record(entries, manager);
  }

  private async announce(manager: EntityManager, app: App, verificationId: string): Promise<void> {
    const fresh = await this.verifications.findById(verificationId, manager);
    if (fresh) await this.outbox.enqueue(manager, app, WebhookEventType.DELIVERY_UPDATED, fresh);
  }
}

/**
 * Whether anything follows a send's record that depends on its outcome (see `sendCode`): a lease to
 * release, a next step or a retry to schedule, a workflow step to audit, an announcement. A plain
 * code delivered with nothing scheduled has none.
 */
function hasFollowUp(
  verification: Verification,
  plan: DeliveryPlan,
  delivery: Delivery,
  options: SendCodeOptions,
  now: number,
): boolean {
  return (
    !delivery.ok ||
    verification.workflow !== null ||
    options.leaseToken !== undefined ||
    !!options.announce ||
    nextSchedule(plan, { step: delivery.step }, now) !== null
  );
}

/** Throttled retries already made at `step`: the plan's count applies to its first step only. */
function retriesAt(plan: DeliveryPlan, step: number): number {
  return step === plan.from ? plan.retries : 0;
}

/** The provider's error code of the latest failure that had one. */
function latestErrorCode(failures: ChannelFailure[]): string | null {
  for (let i = failures.length - 1; i >= 0; i -= 1) {
    if (failures[i].errorCode) return failures[i].errorCode;
  }
  return null;
}

function toOutcome(delivery: Delivery): SendOutcome {
  const errorCode = latestErrorCode(delivery.failures);
  if (delivery.ok)
    return {
      ok: true,
      channel: delivery.channel,
      provider: delivery.provider,
      messageId: delivery.messageId,
      status: delivery.status,
      errorCode,
    };
  if (delivery.retryAt !== null)
    return {
      ok: true,
      channel: delivery.channel,
      provider: delivery.provider,
      messageId: null,
      status: DeliveryStatus.QUEUED,
      errorCode,
    };
  return { ok: false, error: delivery.error, errorCode };
}
