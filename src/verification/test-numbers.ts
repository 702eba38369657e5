import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { App } from '../apps/entities/app.entity';
import { Actor } from '../auth/auth.types';
import { AuditEntry, AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { NormalisedPhone } from '../common/phone';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { CodeHasher } from './code-hasher';
import { MessagePurpose } from './entities/verification-message.entity';
import { Verification } from './entities/verification.entity';
import { VerificationRepository } from './verification.repository';
import { Channel, DeliveryStatus, Flow, RESEND_COOLDOWN_MS } from './verification.types';

/** A test number as stored on the app: the phone in E.164 and the hash of its fixed code (never the code). */
export interface StoredTestNumber {
  phone: string;
  codeHash: string;
}

/** A test number as an admin gives it (phone already normalised to E.164). */
export interface TestNumberInput {
  phone: string;
  code: string;
}

export const MAX_TEST_NUMBERS = 10;

/** A creation for an active test number: the fixed code's hash, and how the creation guard treats it. */
export interface TestNumberMatch {
  codeHash: string;
  /**
   * Whether the per-phone limits still count (production only). Every creation gives five more
   * guesses at the same fixed code, so in production those limits are what keeps it from being
   * guessed (20 a day × 5 attempts); in CI they would only get in the way.
   */
  countPerPhone: boolean;
}

/**
 * What a test number's code hash is bound to. An ordinary code hash is bound to its verification id;
 * a fixed code is hashed once, when the admin sets it, so it is bound to the app and the phone.
 */
export function testNumberBinding(appId: string, phone: string): string {
  return `test-number:${appId}:${phone}`;
}

/** What the stored code hash of `verification` is bound to (for {@link CodeHasher.verify}). */
export function codeBinding(
  verification: Pick<Verification, 'id' | 'appId' | 'phone' | 'isTest'>,
): string {
  return verification.isTest && verification.phone
    ? testNumberBinding(verification.appId, verification.phone)
    : verification.id;
}

/** Audit data of a test-number verification says so; nothing is added for a real one. */
export function testNumberMark(verification: Pick<Verification, 'isTest'>): { testNumber?: true } {
  return verification.isTest ? { testNumber: true } : {};
}

/**
 * Test numbers: per app, phones with a fixed code for CI and app-store review. A verification for
 * one (outbound flow only) sends nothing, accepts the fixed code, skips the creation guard
 * (velocity, country and number-type checks; per-phone limits too, except in production) and is
 * marked `isTest`. Outside production they are always honoured; in production only when the app
 * sets `testNumbersInProduction`, otherwise the number is treated like any other (a real message,
 * every limit).
 *
 * This class is the one place that decides "is this a test number?" and what happens instead of a send.
 */
@Injectable()
export class TestNumbers {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly verifications: VerificationRepository,
    private readonly hasher: CodeHasher,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Whether the app's test numbers are honoured in this environment. */
  activeFor(app: Pick<App, 'testNumbersInProduction'>): boolean {
    return !this.config.isProduction || app.testNumbersInProduction;
  }

  /**
   * A match when `phone` is an active test number of `app` and the flow is outbound; null for every
   * other case (a normal number).
   */
  match(
    app: Pick<App, 'testNumbers' | 'testNumbersInProduction'>,
    flow: Flow,
    phone: NormalisedPhone | null,
  ): TestNumberMatch | null {
    if (!phone || flow !== Flow.OUTBOUND || !app.testNumbers || !this.activeFor(app)) return null;
    const entry = app.testNumbers.find((candidate) => candidate.phone === phone.e164);
    return entry ? { codeHash: entry.codeHash, countPerPhone: this.config.isProduction } : null;
  }

  /** Hashes the admin's entries for storage; an empty list stores nothing (null). */
  async hashForStorage(
    appId: string,
    entries: TestNumberInput[] | null | undefined,
  ): Promise<StoredTestNumber[] | null> {
    if (!entries || entries.length === 0) return null;
    return Promise.all(
      entries.map(async ({ phone, code }) => ({
        phone,
        codeHash: await this.hasher.hash(testNumberBinding(appId, phone), code),
      })),
    );
  }

  /**
   * Makes a new (not yet stored) verification a test-number one, as if its code had gone out: no
   * provider call, no message row; delivery `{ channel, status: sent, messageId: null }`. Returns
   * the `message.skipped` audit entry to store with it (creation stores both in one transaction).
   */
  prepare(verification: Verification, codeHash: string, actor: Actor): AuditEntry {
    Object.assign(verification, {
      isTest: true,
      codeHash,
      sends: 1,
      lastSentAt: this.clock.now(),
      deliveryChannel: verification.channel,
      deliveryStatus: DeliveryStatus.SENT,
      deliveryMessageId: null,
    });
    return this.skipped(verification, verification.channel, actor);
  }

  /**
   * A resend of a test-number verification: limited like any resend (cooldown, max sends), sends
   * nothing and keeps the fixed code. Null when the resend was refused (the caller says why).
   */
  async resend(
    verification: Verification,
    channel: Channel,
    actor: Actor,
  ): Promise<Verification | null> {
    const now = this.clock.now();
    const resent = await this.dataSource.transaction(async (manager) => {
      const claimed = await this.verifications.claimSend(
        manager,
        verification.id,
        verification.codeHash!,
        now,
        RESEND_COOLDOWN_MS,
      );
      if (claimed !== 1) return false;
      await this.verifications.recordDelivery(
        manager,
        verification.id,
        verification.codeHash!,
        { channel, status: DeliveryStatus.SENT, messageId: null, error: null, errorCode: null },
        now,
      );
      await this.audit.record(
        [
          {
            type: 'verification.resend',
            appId: verification.appId,
            verificationId: verification.id,
            actor,
            data: { channel, send: verification.sends + 1, testNumber: true },
          },
          this.skipped(verification, channel, actor),
        ],
        manager,
      );
      return true;
    });
    if (!resent) return null;
    return this.verifications.findForApp(verification.appId, verification.id);
  }

  private skipped(verification: Verification, channel: Channel, actor: Actor): AuditEntry {
    return {
      type: 'message.skipped',
      appId: verification.appId,
      verificationId: verification.id,
      actor,
      data: { channel, purpose: MessagePurpose.CODE, reason: 'test_number', testNumber: true },
    };
  }
}
