import { Injectable } from '@nestjs/common';
import { ConversionCounters, settledAs } from '../analytics/conversion-counters.service';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CreationGuard } from '../abuse/creation-guard.service';
import { App } from '../apps/entities/app.entity';
import { Actor } from '../auth/auth.types';
import { AuditEntry, AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { maskPhone } from '../common/phone-mask';
import { DomainException, ErrorCode, notFound } from '../common/errors';
import { newId } from '../common/ids';
import { MetricsService } from '../metrics/metrics.service';
import { normalisePhone, NormalisedPhone } from '../common/phone';
import { WebhookEventType } from '../webhooks/webhook-events';
import { WebhookOutbox } from '../webhooks/webhook-outbox.service';
import { CodeHasher } from './code-hasher';
import { CodeSender } from './code-sender.service';
import {
  CheckResultDto,
  VerificationPageDto,
  VerificationResponseDto,
} from './dto/verification-response.dto';
import { CreateVerificationDto } from './dto/create-verification.dto';
import { ListVerificationsQueryDto } from './dto/list-verifications.dto';
import { Verification } from './entities/verification.entity';
import { IdempotencyService } from './idempotency.service';
import { InboundLinkService } from './inbound-link.service';
import { OtpGenerator } from './otp-generator';
import { RecentCodes } from './recent-codes';
import { codeBinding, testNumberMark, TestNumbers } from './test-numbers';
import { DeliveryPlan, planFrom } from './routing/delivery-plan';
import {
  APPROVED_IN_PACKET,
  COUNTED_IN_PACKET,
  VerificationRepository,
} from './verification.repository';
import {
  Channel,
  DeliveryStatus,
  Flow,
  InboundReply,
  MAX_CHECK_ATTEMPTS,
  MAX_SENDS,
  RESEND_COOLDOWN_MS,
  VerificationStatus,
} from './verification.types';
import { traceVerification } from '../tracing/request-span';
import { toVerificationView } from './verification.view';

const METADATA_MAX_BYTES = 2048;

/** The verification lifecycle seen from the app's API: create, read, check, resend, cancel. */
@Injectable()
export class VerificationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly verifications: VerificationRepository,
    private readonly hasher: CodeHasher,
    private readonly otp: OtpGenerator,
    private readonly sender: CodeSender,
    private readonly inboundLinks: InboundLinkService,
    private readonly idempotency: IdempotencyService,
    private readonly creationGuard: CreationGuard,
    private readonly testNumbers: TestNumbers,
    private readonly audit: AuditService,
    private readonly outbox: WebhookOutbox,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
    private readonly conversion: ConversionCounters,
    private readonly recentCodes: RecentCodes,
  ) {}

  /**
   * Creates a verification. Store first, then send: the verification (delivery `queued`), its
   * `verification.created` audit event and the Idempotency-Key claim are written in one transaction
   * before any message goes out, so a crash mid-send leaves a visible verification that a same-key
   * retry returns (sending nothing); then the code is sent and its outcome recorded.
   */
  async create(
    app: App,
    dto: CreateVerificationDto,
    actor: Actor,
    idempotencyKey?: string,
  ): Promise<VerificationResponseDto> {
    const flow = dto.flow ?? Flow.OUTBOUND;
    const phone = this.parsePhone(dto.phone, flow);
    this.assertRequestShape(dto, flow);
    const replay = idempotencyKey ? await this.idempotency.find(app.id, idempotencyKey, dto) : null;
    if (replay) return this.view(app, replay);
    const testNumber = this.testNumbers.match(app, flow, phone);
    if (phone) await this.creationGuard.assertAllowed(app, phone, actor, testNumber);

    const now = this.clock.now();
    const verification = this.newVerification(app, dto, flow, phone, now);
    traceVerification(verification.id);
    let code: string | null = null;
    const extraAudit: AuditEntry[] = [];
    if (flow === Flow.INBOUND) {
      verification.tokenHash = this.inboundLinks.tokenHash(verification.id);
    } else if (testNumber) {
      extraAudit.push(this.testNumbers.prepare(verification, testNumber.codeHash, actor));
    } else {
      code = this.otp.generate(verification.codeLength);
      Object.assign(verification, {
        codeHash: await this.hasher.hash(verification.id, code),
        sends: 1,
        lastSentAt: now,
        deliveryChannel: verification.channel,
        deliveryStatus: DeliveryStatus.QUEUED,
      });
    }
    const stored = await this.store(
      app,
      verification,
      actor,
      now,
      idempotencyKey,
      dto,
      extraAudit,
      code,
    );
    if (!stored) {
      // A concurrent request with the same key stored its verification first: answer with it, send nothing.
      return this.view(app, await this.idempotency.awaitClaimed(app.id, idempotencyKey!, dto));
    }
    this.metrics.verificationCreated(verification);
    if (code === null) return this.view(app, verification);
    return this.sendFirstCode(app, verification, code, actor);
  }

  /**
   * One transaction: the Idempotency-Key claim (when given), the verification and its creation
   * audit event (with `extraAudit`). False when another request holds the key (nothing is written).
   */
  private async store(
    app: App,
    verification: Verification,
    actor: Actor,
    now: number,
    idempotencyKey: string | undefined,
    body: CreateVerificationDto,
    extraAudit: AuditEntry[],
    code: string | null,
  ): Promise<boolean> {
    const created: AuditEntry = {
      type: 'verification.created',
      appId: app.id,
      verificationId: verification.id,
      actor,
      data: {
        flow: verification.flow,
        channel: verification.channel,
        phone: maskPhone(verification.phone),
        fallbackChannels: verification.fallbackChannels,
        ...(verification.workflow ? { workflow: verification.workflow } : {}),
        ttlSeconds: Math.round((verification.expiresAt - now) / 1000),
        ...testNumberMark(verification),
      },
    };
    return this.dataSource.transaction(async (manager) => {
      if (
        idempotencyKey &&
        !(await this.idempotency.claim(manager, app.id, idempotencyKey, body, verification.id))
      )
        return false;
      await this.verifications.insert(manager, verification);
      // A workflow's first timeout is scheduled with the verification: it holds even if the
      // process dies while the first step is being sent.
      if (code !== null) await this.sender.scheduleFirstTimeout(manager, verification, code);
      await this.conversion.created(manager, verification);
      await this.audit.record([created, ...extraAudit], manager);
      return true;
    });
  }

  /**
   * Sends the code of a stored verification on its channel, then its fallbacks, and records the
   * outcome. No channel delivered: the verification is `failed` and the call answers 502.
   */
  private async sendFirstCode(
    app: App,
    verification: Verification,
    code: string,
    actor: Actor,
  ): Promise<VerificationResponseDto> {
    const outcome = await this.sender.sendCode(
      app,
      verification,
      code,
      planFrom(verification),
      actor,
      {
        failVerificationOnError: true,
        announce: verification.workflow !== null,
      },
    );
    if (!outcome.ok)
      throw new DomainException(ErrorCode.DELIVERY_FAILED, 'No channel could deliver the code', {
        extra: { id: verification.id },
      });
    if (this.approvesRecentCodes) this.recentCodes.remember(verification);
    return this.view(app, {
      ...verification,
      deliveryChannel: outcome.channel,
      deliveryStatus: outcome.status,
      deliveryMessageId: outcome.messageId,
      deliveryErrorCode: outcome.errorCode,
    });
  }

  async get(app: App, id: string): Promise<VerificationResponseDto> {
    return this.view(app, await this.findOrThrow(app, id));
  }

  async list(app: App, query: ListVerificationsQueryDto): Promise<VerificationPageDto> {
    const limit = query.limit ?? 20;
    const phone = query.phone ? this.parsePhone(query.phone, Flow.OUTBOUND)!.e164 : undefined;
    const rows = await this.verifications.listForApp(app.id, {
      phone,
      status: query.status,
      flow: query.flow,
      cursor: query.cursor,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    return {
      data: page.map((row) => toVerificationView(row)),
      nextCursor: rows.length > limit ? page[page.length - 1].id : null,
    };
  }

  async check(app: App, id: string, code: string, actor: Actor): Promise<CheckResultDto> {
    // The hash of the code typed, when the hasher is deterministic (HMAC) and `id` can be one.
    const candidateHash = id.length > 36 ? null : this.hasher.predictableHash(id, code.trim());
    const approved = candidateHash
      ? await this.approveRecentCode(app, id, candidateHash, actor)
      : null;
    if (approved) return this.metrics.countCheck(Promise.resolve(approved));
    const first = candidateHash
      ? await this.countWrongCodeFirst(app, id, candidateHash, actor)
      : null;
    if (first?.counted) return this.metrics.countCheck(Promise.resolve(first.counted));
    const verification =
      first?.verification === undefined ? await this.findOrThrow(app, id) : first.verification;
    if (!verification) throw notFound('Verification');
    return this.metrics.countCheck(this.checkVerification(app, verification, code, actor));
  }

  async checkByPhone(
    app: App,
    phoneInput: string,
    code: string,
    actor: Actor,
  ): Promise<CheckResultDto> {
    const phone = this.parsePhone(phoneInput, Flow.OUTBOUND)!;
    const verification = await this.verifications.findLatestPendingByPhone(app.id, phone.e164);
    if (!verification) throw notFound('Pending verification for this phone');
    return this.metrics.countCheck(this.checkVerification(app, verification, code, actor));
  }

  async resend(
    app: App,
    id: string,
    channel: Channel | undefined,
    actor: Actor,
  ): Promise<VerificationResponseDto> {
    const verification = await this.findOrThrow(app, id);
    if (verification.flow !== Flow.OUTBOUND && verification.inboundReply !== InboundReply.CODE) {
      throw new DomainException(
        ErrorCode.VALIDATION_FAILED,
        'An inbound confirmation has no code to resend',
      );
    }
    if (!verification.phone)
      throw new DomainException(
        ErrorCode.VALIDATION_FAILED,
        'Nobody has written in for this verification yet',
      );
    const now = this.clock.now();
    await this.expireIfDue(app, verification, now, actor);
    // A resend on a named channel is a one-off (that channel, then the fallbacks; nothing
    // scheduled after it); otherwise the verification's plan from its start.
    const plan: DeliveryPlan = channel
      ? {
          steps: [channel, ...verification.fallbackChannels.filter((c) => c !== channel)].map(
            (c) => ({ channel: c }),
          ),
          from: 0,
          retries: 0,
          adHoc: true,
        }
      : planFrom(verification);
    if (verification.isTest) {
      const resent = await this.testNumbers.resend(verification, plan.steps[0].channel, actor);
      if (!resent) throw await this.resendRefusal(app, verification.id, now);
      return this.view(app, resent);
    }
    const code = this.otp.generate(verification.codeLength);
    const codeHash = await this.hasher.hash(verification.id, code);
    const claimed = await this.dataSource.transaction(async (manager) => {
      if (
        (await this.verifications.claimSend(
          manager,
          verification.id,
          codeHash,
          now,
          RESEND_COOLDOWN_MS,
        )) !== 1
      )
        return false;
      await this.audit.record(
        {
          type: 'verification.resend',
          appId: app.id,
          verificationId: verification.id,
          actor,
          data: { channel: plan.steps[0].channel, send: verification.sends + 1 },
        },
        manager,
      );
      return true;
    });
    if (!claimed) throw await this.resendRefusal(app, verification.id, now);
    this.recentCodes.forget(verification.id);
    const fresh = (await this.verifications.findForApp(app.id, verification.id))!;
    const outcome = await this.sender.sendCode(app, fresh, code, plan, actor, {
      failVerificationOnError: false,
      announce: fresh.workflow !== null,
    });
    if (!outcome.ok)
      throw new DomainException(ErrorCode.DELIVERY_FAILED, 'No channel could deliver the code', {
        extra: { id: verification.id },
      });
    if (this.approvesRecentCodes) this.recentCodes.remember(fresh);
    return this.view(app, {
      ...fresh,
      deliveryChannel: outcome.channel,
      deliveryStatus: outcome.status,
      deliveryMessageId: outcome.messageId,
      deliveryErrorCode: outcome.errorCode,
    });
  }

  async cancel(app: App, id: string, actor: Actor): Promise<VerificationResponseDto> {
    const verification = await this.findOrThrow(app, id);
    const now = this.clock.now();
    const canceled = await this.dataSource.transaction(async (manager) => {
      if ((await this.verifications.cancelIfPending(manager, id, now)) !== 1) return false;
      await this.conversion.settled(
        manager,
        id,
        settledAs(verification, VerificationStatus.CANCELED),
      );
      await this.audit.record(
        { type: 'verification.canceled', appId: app.id, verificationId: id, actor },
        manager,
      );
      return true;
    });
    if (!canceled) throw notPending((await this.verifications.findForApp(app.id, id))!.status);
    this.metrics.verificationCompleted(verification, VerificationStatus.CANCELED);
    return this.view(app, { ...verification, status: VerificationStatus.CANCELED, updatedAt: now });
  }

  /**
   * Checks a code. Approval is one conditional UPDATE on the code hash that was compared, so a right
   * code approves exactly once however many requests race; wrong codes are counted atomically.
   */
  private async checkVerification(
    app: App,
    verification: Verification,
    code: string,
    actor: Actor,
  ): Promise<CheckResultDto> {
    const now = this.clock.now();
    if (verification.status !== VerificationStatus.PENDING) throw notPending(verification.status);
    await this.expireIfDue(app, verification, now, actor);
    if (!verification.codeHash)
      throw new DomainException(
        ErrorCode.VALIDATION_FAILED,
        'No code has been sent for this verification yet',
      );
    const normalised = code.trim();
    const matches =
      /^\d{4,10}$/.test(normalised) &&
      (await this.hasher.verify(codeBinding(verification), normalised, verification.codeHash));

    if (matches) {
      const approved = await this.approve(app, verification, now, actor);
      if (approved) {
        this.metrics.verificationCompleted(approved, approved.status);
        return { id: approved.id, status: approved.status, valid: true };
      }
      return this.afterLostRace(app, verification.id, actor);
    }

    const result = await this.dataSource.transaction(async (manager) => {
      const after = await this.verifications.recordFailedAttempt(manager, verification.id, now);
      if (!after) return null;
      // The row as this attempt left it tells whether the attempt locked the verification out.
      await this.conversion.settled(
        manager,
        verification.id,
        settledAs(verification, after.status),
      );
      const lockedOut = after.status === VerificationStatus.MAX_ATTEMPTS_REACHED;
      await this.audit.record(
        {
          type: lockedOut ? 'check.max_attempts' : 'check.failed',
          appId: app.id,
          verificationId: verification.id,
          actor,
          data: { attempt: after.attempts, ...testNumberMark(verification) },
        },
        manager,
      );
      if (lockedOut)
        await this.outbox.enqueue(manager, app, WebhookEventType.MAX_ATTEMPTS_REACHED, after);
      return after;
    });
    if (!result) return this.afterLostRace(app, verification.id, actor);
    this.metrics.verificationCompleted(result, result.status);
    return {
      id: result.id,
      status: result.status,
      valid: false,
      attemptsRemaining: Math.max(0, result.maxAttempts - result.attempts),
    };
  }

  /**
   * Approves on the code hash that was compared, with its counter, `check.succeeded` and the
   * `verification.approved` webhook in the same transaction (on MySQL one packet, each write
   * guarded by the approval). The verification as approved, or null when the conditional UPDATE
   * matched nothing (someone else moved it first, or a resend replaced the code).
   */
  private async approve(
    app: App,
    verification: Verification,
    now: number,
    actor: Actor,
  ): Promise<Verification | null> {
    const id = verification.id;
    const codeHash = verification.codeHash!;
    const settled = settledAs(verification, VerificationStatus.APPROVED);
    const result: Verification = {
      ...verification,
      status: VerificationStatus.APPROVED,
      approvedAt: now,
      updatedAt: now,
    };
    const entry: AuditEntry = {
      type: 'check.succeeded',
      appId: app.id,
      verificationId: id,
      actor,
      data: { attempt: verification.attempts + 1, ...testNumberMark(verification) },
    };
    if (this.verifications.transitionsInOnePacket) {
      const approved = await this.verifications.approveInOnePacket(id, codeHash, now, [
        ...this.conversion.settledWhere(id, settled, APPROVED_IN_PACKET),
        ...this.audit.insertsWhere([entry], APPROVED_IN_PACKET),
        ...this.outbox.enqueueWhere(app, WebhookEventType.APPROVED, result, APPROVED_IN_PACKET),
      ]);
      return approved ? result : null;
    }
    return this.dataSource.transaction(async (manager) => {
      if ((await this.verifications.approveIfCodeMatches(manager, id, codeHash, now)) !== 1)
        return null;
      await this.conversion.settled(manager, id, settled);
      await this.audit.record(entry, manager);
      await this.outbox.enqueue(manager, app, WebhookEventType.APPROVED, result);
      return result;
    });
  }

  /** Whether checks try {@link approveRecentCode} first (and sends remember their codes for it). */
  private get approvesRecentCodes(): boolean {
    return this.hasher.predictable;
  }

  /**
   * With the HMAC hasher the codes this instance sent are remembered (RecentCodes), so a check
   * whose code hashes to the one sent goes straight to the approval, with no speculative wrong-code
   * transaction and no read first: on MySQL one packet, one round trip for a right code; on SQLite
   * one transaction whose UPDATE returns the attempts for the audit event. The conditional UPDATE
   * decides as ever; when it matches nothing (a resend elsewhere, an expiry, a race) the check takes
   * the usual path, which counts a wrong code. An app with a webhook URL takes the usual path: the
   * `verification.approved` payload is built from the row read.
   */
  private async approveRecentCode(
    app: App,
    id: string,
    candidateHash: string,
    actor: Actor,
  ): Promise<CheckResultDto | null> {
    if (!this.approvesRecentCodes || app.webhookUrl) return null;
    const now = this.clock.now();
    const recent = this.recentCodes.matching(app.id, id, candidateHash, now);
    if (!recent) return null;
    const succeeded: AuditEntry = {
      type: 'check.succeeded',
      appId: app.id,
      verificationId: id,
      actor,
    };
    const settled = settledAs(recent, VerificationStatus.APPROVED);
    const approved = this.verifications.transitionsInOnePacket
      ? await this.verifications.approveInOnePacket(id, recent.codeHash!, now, [
          ...this.conversion.settledWhere(id, settled, APPROVED_IN_PACKET),
          ...this.audit.insertsWhere([succeeded], APPROVED_IN_PACKET, {
            key: 'attempt',
            value: this.verifications.attemptsOf(id, 1),
          }),
        ])
      : await this.dataSource.transaction(async (manager) => {
          const attempts = await this.verifications.approveIfCodeMatchesReturningAttempts(
            manager,
            id,
            recent.codeHash!,
            now,
          );
          if (attempts === null) return false;
          await this.conversion.settled(manager, id, settled);
          await this.audit.record({ ...succeeded, data: { attempt: attempts + 1 } }, manager);
          return true;
        });
    this.recentCodes.forget(id);
    if (!approved) return null;
    traceVerification(id);
    this.metrics.verificationCompleted(recent, VerificationStatus.APPROVED);
    return { id, status: VerificationStatus.APPROVED, valid: true };
  }

  /**
   * With a deterministic code hasher (the HMAC default), a check starts by counting a wrong code
   * that cannot lock the verification out (so no counter, no webhook), with its `check.failed`
   * event, without reading the row first: the hash of the typed code is compared in SQL. On MySQL
   * that is one packet that also reads the row (countWrongCodeAndRead); on SQLite an UPDATE that
   * returns the attempts it counted (in-process, nothing to save by reading along). `counted`: the
   * answer. Otherwise the row as read (null: not found; undefined on SQLite: not read) for the
   * general path, which decides everything else (a right code, the last attempt, expiry, not
   * pending). `candidateHash`: the hash of the code typed (see check).
   */
  private async countWrongCodeFirst(
    app: App,
    id: string,
    candidateHash: string,
    actor: Actor,
  ): Promise<{ counted: CheckResultDto | null; verification?: Verification | null }> {
    const now = this.clock.now();
    const failed = { type: 'check.failed', appId: app.id, verificationId: id, actor };
    let left: Pick<Verification, 'attempts' | 'maxAttempts'> | null;
    if (this.verifications.transitionsInOnePacket) {
      const first = await this.verifications.countWrongCodeAndRead(
        app.id,
        id,
        candidateHash,
        now,
        this.audit.insertsWhere([failed], COUNTED_IN_PACKET, {
          key: 'attempt',
          value: this.verifications.attemptsOf(id),
        }),
      );
      if ('read' in first) {
        if (first.read) traceVerification(id);
        return { counted: null, verification: first.read };
      }
      left = first.counted;
    } else {
      left = await this.dataSource.transaction(async (manager) => {
        const after = await this.verifications.countWrongCode(
          manager,
          app.id,
          id,
          candidateHash,
          now,
        );
        if (after)
          await this.audit.record({ ...failed, data: { attempt: after.attempts } }, manager);
        return after;
      });
      if (!left) return { counted: null };
    }
    traceVerification(id);
    return {
      counted: {
        id,
        status: VerificationStatus.PENDING,
        valid: false,
        attemptsRemaining: Math.max(0, left.maxAttempts - left.attempts),
      },
    };
  }

  /** The conditional update matched nothing: someone else moved the verification first (or a resend replaced the code). */
  private async afterLostRace(app: App, id: string, actor: Actor): Promise<CheckResultDto> {
    const current = (await this.verifications.findForApp(app.id, id))!;
    if (current.status !== VerificationStatus.PENDING) throw notPending(current.status);
    await this.expireIfDue(app, current, this.clock.now(), actor);
    return {
      id,
      status: current.status,
      valid: false,
      attemptsRemaining: Math.max(0, current.maxAttempts - current.attempts),
    };
  }

  /** Expiry is enforced whenever a verification is used: a due one becomes `expired` and answers 409. */
  private async expireIfDue(
    app: App,
    verification: Verification,
    now: number,
    actor: Actor,
  ): Promise<void> {
    if (verification.expiresAt > now) return;
    const expired = await this.dataSource.transaction(async (manager) => {
      if ((await this.verifications.expireIfDue(manager, verification.id, now)) !== 1) return false;
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
      return true;
    });
    if (expired) this.metrics.verificationCompleted(verification, VerificationStatus.EXPIRED);
    throw notPending(VerificationStatus.EXPIRED);
  }

  private async resendRefusal(app: App, id: string, now: number): Promise<DomainException> {
    const current = (await this.verifications.findForApp(app.id, id))!;
    if (current.status !== VerificationStatus.PENDING) return notPending(current.status);
    if (current.expiresAt <= now) return notPending(VerificationStatus.EXPIRED);
    if (current.sends >= current.maxSends) {
      return new DomainException(
        ErrorCode.MAX_SENDS_REACHED,
        `At most ${current.maxSends} sends per verification`,
        {
          retryAfterSeconds: Math.ceil((current.expiresAt - now) / 1000),
        },
      );
    }
    const wait = (current.lastSentAt ?? now) + RESEND_COOLDOWN_MS - now;
    return new DomainException(ErrorCode.RESEND_TOO_SOON, 'Wait before sending another code', {
      retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)),
    });
  }

  private async findOrThrow(app: App, id: string): Promise<Verification> {
    const verification = id.length <= 36 ? await this.verifications.findForApp(app.id, id) : null;
    if (!verification) throw notFound('Verification');
    traceVerification(verification.id);
    return verification;
  }

  private async view(app: App, verification: Verification): Promise<VerificationResponseDto> {
    traceVerification(verification.id);
    const link =
      verification.flow === Flow.INBOUND && verification.status === VerificationStatus.PENDING
        ? await this.inboundLinks.linkFor(app, verification)
        : null;
    return toVerificationView(verification, link);
  }

  private parsePhone(input: string | undefined, flow: Flow): NormalisedPhone | null {
    if (input === undefined || input === null) {
      if (flow === Flow.OUTBOUND) {
        throw new DomainException(
          ErrorCode.VALIDATION_FAILED,
          'phone is required for the outbound flow',
          { details: [{ field: 'phone', message: 'phone is required for the outbound flow' }] },
        );
      }
      return null;
    }
    const phone = normalisePhone(input);
    if (!phone)
      throw new DomainException(
        ErrorCode.INVALID_PHONE,
        'phone is not a valid international number (E.164, e.g. +6281212345678)',
      );
    return phone;
  }

  private assertRequestShape(dto: CreateVerificationDto, flow: Flow): void {
    if (
      dto.metadata !== undefined &&
      Buffer.byteLength(JSON.stringify(dto.metadata)) > METADATA_MAX_BYTES
    ) {
      throw new DomainException(
        ErrorCode.VALIDATION_FAILED,
        'metadata must be at most 2 KB of JSON',
        { details: [{ field: 'metadata', message: 'at most 2 KB' }] },
      );
    }
    if (flow === Flow.INBOUND && (dto.channel ?? Channel.WHATSAPP) !== Channel.WHATSAPP) {
      throw new DomainException(
        ErrorCode.VALIDATION_FAILED,
        'The inbound flow works on WhatsApp only',
        { details: [{ field: 'channel', message: 'must be whatsapp for inbound' }] },
      );
    }
    if (dto.workflow !== undefined) this.assertWorkflowShape(dto, flow);
    const channel = dto.channel ?? Channel.WHATSAPP;
    if ((dto.fallbackChannels ?? []).includes(channel)) {
      throw new DomainException(
        ErrorCode.VALIDATION_FAILED,
        'fallbackChannels must not repeat the channel',
        {
          details: [{ field: 'fallbackChannels', message: 'must not contain the primary channel' }],
        },
      );
    }
  }

  /** `workflow`: outbound only, never with `channel`/`fallbackChannels`, no timeout on the last step. */
  private assertWorkflowShape(dto: CreateVerificationDto, flow: Flow): void {
    const refuse = (field: string, message: string): never => {
      throw new DomainException(ErrorCode.VALIDATION_FAILED, message, {
        details: [{ field, message }],
      });
    };
    const steps = dto.workflow!;
    if (flow !== Flow.OUTBOUND) refuse('workflow', 'workflow is for the outbound flow only');
    if (dto.channel !== undefined || dto.fallbackChannels !== undefined)
      refuse('workflow', 'give either workflow or channel and fallbackChannels, not both');
    if (steps[steps.length - 1].timeoutSeconds !== undefined)
      refuse(
        `workflow.${steps.length - 1}.timeoutSeconds`,
        'the last step of a workflow has no timeout',
      );
  }

  private newVerification(
    app: App,
    dto: CreateVerificationDto,
    flow: Flow,
    phone: NormalisedPhone | null,
    now: number,
  ): Verification {
    return Object.assign(new Verification(), {
      id: newId(),
      appId: app.id,
      flow,
      phone: phone?.e164 ?? null,
      countryCode: phone?.callingCode ?? null,
      channel: dto.workflow?.[0].channel ?? dto.channel ?? Channel.WHATSAPP,
      fallbackChannels: [...new Set(dto.fallbackChannels ?? [])],
      workflow:
        dto.workflow?.map((step) =>
          step.timeoutSeconds === undefined
            ? { channel: step.channel }
            : { channel: step.channel, timeoutSeconds: step.timeoutSeconds },
        ) ?? null,
      locale: dto.locale ?? app.defaultLocale,
      codeLength: dto.codeLength ?? app.codeLength,
      status: VerificationStatus.PENDING,
      codeHash: null,
      attempts: 0,
      maxAttempts: MAX_CHECK_ATTEMPTS,
      sends: 0,
      maxSends: MAX_SENDS,
      lastSentAt: null,
      expiresAt: now + (dto.ttlSeconds ?? app.ttlSeconds) * 1000,
      createdAt: now,
      updatedAt: now,
      approvedAt: null,
      metadata: dto.metadata ?? null,
      waUserId: null,
      inboundReply: flow === Flow.INBOUND ? (dto.inboundReply ?? InboundReply.CONFIRM) : null,
      tokenHash: null,
      deliveryChannel: null,
      deliveryStatus: null,
      deliveryMessageId: null,
      deliveryError: null,
      deliveryErrorCode: null,
      isTest: false,
    } satisfies Verification);
  }
}

function notPending(status: VerificationStatus): DomainException {
  return new DomainException(
    ErrorCode.VERIFICATION_NOT_PENDING,
    `Verification is ${status}, not pending`,
    { extra: { status } },
  );
}
