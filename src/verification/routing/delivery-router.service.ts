import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { App } from '../../apps/entities/app.entity';
import { Actor, SYSTEM_ACTOR } from '../../auth/auth.types';
import { AuditService } from '../../audit/audit.service';
import { Clock } from '../../common/clock';
import { iso } from '../../common/columns';
import { PeriodicTask } from '../../common/periodic-task';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { DELIVERY_STEP_LEASE_MS } from '../../config/timeouts';
import { DeliveryRoute, routeForError, sentAs } from '../../providers/delivery-routing';
import { StatusEvent } from '../../providers/messaging-provider';
import { CodeHasher } from '../code-hasher';
import { CodeSender } from '../code-sender.service';
import { MessagePurpose, VerificationMessage } from '../entities/verification-message.entity';
import { Verification } from '../entities/verification.entity';
import { OtpGenerator } from '../otp-generator';
import { VerificationRepository } from '../verification.repository';
import { Channel, DeliveryStatus, Flow, VerificationStatus } from '../verification.types';
import { CodeSealer } from './code-sealer';
import { DeliveryStep, DeliveryStepReason } from './delivery-step.entity';
import { DeliveryStepRepository } from './delivery-step.repository';
import { DeliveryPlan, planFrom, retryDueAt, stepsOf } from './delivery-plan';

const BATCH = 50;

/**
 * Routes a code that did not get through: runs the scheduled steps when they fall due (workflow
 * timeouts and throttled retries, from a periodic poll on every instance; a step is claimed by one
 * of them with a conditional UPDATE) and decides what a `failed` delivery status leads to, by the
 * provider's error code: the next channel at once, the same channel after a pause, or — for a code
 * sent as free-form text outside WhatsApp's window — the authentication template.
 */
@Injectable()
export class DeliveryRouter implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeliveryRouter.name);
  private readonly task: PeriodicTask<number>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly verifications: VerificationRepository,
    private readonly steps: DeliveryStepRepository,
    private readonly sealer: CodeSealer,
    private readonly sender: CodeSender,
    private readonly hasher: CodeHasher,
    private readonly otp: OtpGenerator,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {
    this.task = new PeriodicTask(
      'Delivery steps',
      config.deliveryStepIntervalMs,
      () => this.runDue(),
      this.logger,
    );
  }

  onApplicationBootstrap(): void {
    if (this.config.backgroundJobs) this.task.start();
  }

  /** Stops the poll and waits for a run in progress, before the database closes. */
  onModuleDestroy(): Promise<void> {
    return this.task.stop();
  }

  private async runDue(): Promise<number> {
    let sent = 0;
    for (const id of await this.steps.findDueIds(this.clock.now(), BATCH)) {
      if (this.task.isStopped) break;
      if (await this.runStep(id, false)) sent += 1;
    }
    return sent;
  }

  /**
   * Claims the verification's scheduled step and sends it, unless it no longer applies (the
   * verification moved on, the code was replaced, or — for a timeout — the message was delivered).
   */
  private async runStep(
    verificationId: string,
    evenIfNotDue: boolean,
    reason?: string,
  ): Promise<boolean> {
    const token = randomBytes(16).toString('hex');
    const now = this.clock.now();
    if (
      (await this.steps.claim(verificationId, now, DELIVERY_STEP_LEASE_MS, token, evenIfNotDue)) !==
      1
    )
      return false;
    const step = await this.steps.find(verificationId);
    if (!step || step.leaseToken !== token) return false;
    const verification = await this.verifications.findById(verificationId);
    const app = verification
      ? await this.dataSource.manager.findOneBy(App, { id: verification.appId })
      : null;
    const code = this.sealer.open(verificationId, step.sealedCode);
    if (!verification || !app || code === null || !this.stillApplies(step, verification, now)) {
      await this.steps.release(this.dataSource.manager, verificationId, token);
      return false;
    }
    const plan: DeliveryPlan = planFrom(verification, step.nextStep, step.retries);
    await this.sender.sendCode(app, verification, code, plan, SYSTEM_ACTOR, {
      failVerificationOnError: verification.flow === Flow.OUTBOUND,
      announce: true,
      reason: reason ?? step.reason,
      leaseToken: token,
    });
    return true;
  }

  private stillApplies(step: DeliveryStep, verification: Verification, now: number): boolean {
    const delivered =
      verification.deliveryStatus === DeliveryStatus.DELIVERED ||
      verification.deliveryStatus === DeliveryStatus.READ;
    return (
      verification.status === VerificationStatus.PENDING &&
      verification.expiresAt > now &&
      verification.phone !== null &&
      verification.codeHash === step.codeHash &&
      step.nextStep < stepsOf(verification).length &&
      !(step.reason === DeliveryStepReason.TIMEOUT && delivered)
    );
  }

  /**
   * A `failed` status for the verification's current code message: its error code decides. The
   * next channel sends at once (a scheduled workflow step runs now, with the same code; otherwise a
   * new code goes to the channel after the failed one), a throttled message is sent again after a
   * pause, and a code sent as free-form text outside WhatsApp's window goes as the template.
   */
  async afterFailedStatus(
    app: App,
    message: VerificationMessage,
    event: StatusEvent,
    actor: Actor,
  ): Promise<void> {
    if (message.purpose !== MessagePurpose.CODE) return;
    const verification = await this.verifications.findById(message.verificationId);
    const now = this.clock.now();
    if (
      !verification ||
      verification.status !== VerificationStatus.PENDING ||
      verification.expiresAt <= now ||
      verification.phone === null ||
      verification.deliveryMessageId !== message.providerMessageId
    )
      return;
    const errorCode = event.errorCode ?? null;
    const route = routeForError(
      message.provider as StatusEvent['provider'],
      errorCode,
      sentAs(message.provider as StatusEvent['provider'], message.kind ?? 'code'),
    );
    const steps = stepsOf(verification);
    const scheduled = await this.steps.find(verification.id);
    const step = scheduled && scheduled.codeHash === verification.codeHash ? scheduled : null;
    const current = step
      ? step.nextStep - (step.reason === DeliveryStepReason.TIMEOUT ? 1 : 0)
      : (message.planStep ??
        Math.max(
          0,
          steps.findIndex((s) => s.channel === message.channel),
        ));

    if (route === DeliveryRoute.AS_TEMPLATE) {
      await this.sendNewCode(
        app,
        verification,
        { steps: [{ channel: Channel.WHATSAPP }], from: 0, retries: 0 },
        actor,
        {
          from: message.channel,
          to: Channel.WHATSAPP,
          reason: 'outside_window',
          errorCode,
        },
      );
      return;
    }
    if (route === DeliveryRoute.RETRY_LATER) {
      const retries = step?.reason === DeliveryStepReason.RETRY ? step.retries : 0;
      const retryAt = retryDueAt(verification, retries, now);
      if (retryAt !== null) {
        await this.scheduleRetry(
          app,
          verification,
          step,
          current,
          retries,
          retryAt,
          errorCode,
          actor,
        );
        return;
      }
    }
    if (step && step.reason === DeliveryStepReason.TIMEOUT) {
      // The workflow's next step, now instead of at its timeout, with the same code.
      await this.runStep(verification.id, true, 'failed');
      return;
    }
    if (current + 1 >= steps.length) return;
    await this.sendNewCode(app, verification, planFrom(verification, current + 1), actor, {
      from: message.channel,
      to: steps[current + 1].channel,
      reason: 'delivery_failed',
      errorCode,
    });
  }

  /**
   * A throttled message: the same step again after the pause. A scheduled step keeps its code;
   * otherwise a new code is issued now (the first one is not kept) and sealed for the retry.
   */
  private async scheduleRetry(
    app: App,
    verification: Verification,
    step: DeliveryStep | null,
    current: number,
    retries: number,
    retryAt: number,
    errorCode: string | null,
    actor: Actor,
  ): Promise<void> {
    const now = this.clock.now();
    const code = step
      ? this.sealer.open(verification.id, step.sealedCode)
      : this.otp.generate(verification.codeLength);
    if (code === null) return;
    const codeHash = step ? step.codeHash : await this.hasher.hash(verification.id, code);
    await this.dataSource.transaction(async (manager) => {
      if (
        !step &&
        (await this.verifications.claimSend(manager, verification.id, codeHash, now, 0)) !== 1
      )
        return;
      await this.verifications.recordDelivery(
        manager,
        verification.id,
        codeHash,
        {
          channel: verification.deliveryChannel ?? stepsOf(verification)[current].channel,
          status: DeliveryStatus.QUEUED,
          messageId: null,
          error: verification.deliveryError,
          errorCode,
        },
        now,
      );
      await this.steps.schedule(manager, {
        verificationId: verification.id,
        appId: verification.appId,
        nextStep: current,
        reason: DeliveryStepReason.RETRY,
        dueAt: retryAt,
        retries: retries + 1,
        codeHash,
        sealedCode: step ? step.sealedCode : this.sealer.seal(verification.id, code),
        leaseToken: null,
        createdAt: now,
      });
      await this.audit.record(
        {
          type: 'delivery.retry_scheduled',
          appId: app.id,
          verificationId: verification.id,
          actor,
          data: {
            channel: stepsOf(verification)[current].channel,
            errorCode,
            retryAt: iso(retryAt),
            retry: retries + 1,
          },
        },
        manager,
      );
    });
  }

  /**
   * A new code (the failed one is gone with its message) along `plan`: claimed like a resend but
   * without the cooldown, so a redelivered `failed` status — whose message is no longer the current
   * one — sends nothing twice.
   */
  private async sendNewCode(
    app: App,
    verification: Verification,
    plan: DeliveryPlan,
    actor: Actor,
    fallback: { from: Channel; to: Channel; reason: string; errorCode: string | null },
  ): Promise<void> {
    const now = this.clock.now();
    const code = this.otp.generate(verification.codeLength);
    const codeHash = await this.hasher.hash(verification.id, code);
    const claimed = await this.dataSource.transaction(async (manager) => {
      if ((await this.verifications.claimSend(manager, verification.id, codeHash, now, 0)) !== 1)
        return false;
      await this.steps.clear(manager, verification.id);
      await this.audit.record(
        {
          type: 'verification.fallback',
          appId: app.id,
          verificationId: verification.id,
          actor,
          data: { ...fallback, send: verification.sends + 1 },
        },
        manager,
      );
      return true;
    });
    if (!claimed) return;
    const fresh = (await this.verifications.findById(verification.id)) ?? verification;
    await this.sender.sendCode(app, fresh, code, plan, actor, {
      failVerificationOnError: fresh.flow === Flow.OUTBOUND,
      announce: true,
      reason: 'failed',
    });
  }
}
