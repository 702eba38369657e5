import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { EntityManager } from 'typeorm';
import { countryOfE164 } from '../common/phone';
import { Statement } from '../database/pipelined-transactions';
import { StatusEvent } from '../providers/messaging-provider';
import { Verification } from '../verification/entities/verification.entity';
import { DeliveryStatus, VerificationStatus } from '../verification/verification.types';
import { ConversionGuard } from './conversion-guard.service';
import { ConversionFlag, ConversionRepository, CounterName } from './conversion.repository';
import { ConversionMark } from './entities/conversion-mark.entity';

export const DAY_MS = 86_400_000;
export const UNKNOWN_COUNTRY = 'ZZ';

/** What {@link ConversionCounters.settled} is told of a transition: the status set, and the app and calling code of the verification as read before it (those its mark was made with). */
export interface SettledTransition {
  status: string;
  appId: string;
  callingCode: string | null;
}

export function settledAs(
  verification: Pick<Verification, 'appId' | 'countryCode'>,
  status: VerificationStatus,
): SettledTransition {
  return { status, appId: verification.appId, callingCode: verification.countryCode };
}

/**
 * The flag of each terminal status, and the counter it adds to. `max_attempts_reached` did not
 * convert: `failed`.
 */
const SETTLED_AS: Partial<Record<string, [ConversionFlag, CounterName]>> = {
  [VerificationStatus.APPROVED]: [ConversionFlag.APPROVED, 'approved'],
  [VerificationStatus.EXPIRED]: [ConversionFlag.EXPIRED, 'expired'],
  [VerificationStatus.FAILED]: [ConversionFlag.FAILED, 'failed'],
  [VerificationStatus.MAX_ATTEMPTS_REACHED]: [ConversionFlag.FAILED, 'failed'],
  [VerificationStatus.CANCELED]: [ConversionFlag.CANCELED, 'canceled'],
};

/** Delivery statuses a status webhook may report, and the funnel steps each one proves. */
const DELIVERY_STEPS: Partial<Record<DeliveryStatus, ConversionFlag[]>> = {
  [DeliveryStatus.SENT]: [ConversionFlag.SENT],
  [DeliveryStatus.DELIVERED]: [ConversionFlag.SENT, ConversionFlag.DELIVERED],
  [DeliveryStatus.READ]: [ConversionFlag.SENT, ConversionFlag.DELIVERED, ConversionFlag.READ],
};

/**
 * Keeps the conversion counters as things happen: each method is called inside the transaction of
 * the state change it counts (pass its manager), so an outcome is recorded exactly when the change
 * commits. Every outcome is claimed once on the verification's mark (a bit in
 * `conversion_marks.flags`, set by a conditional UPDATE), so repeated status webhooks, retries and
 * racing instances count once. The counters themselves are moved by the fold (ConversionFolder):
 * every second, and before every report, it adds the marks' new flags in batches, so a transition
 * writes one row it owns instead of upserting a counter row every transition of the app shares.
 * A billable status adds its cost with its count at once (the fold knows no prices).
 * Verifications of test numbers get no mark and are never counted.
 *
 * Counts belong to the verification's creation: its UTC day, the country of the phone known then
 * (`ZZ` when none, e.g. an inbound verification without a phone) and its first channel and flow.
 */
@Injectable()
export class ConversionCounters {
  constructor(
    private readonly repository: ConversionRepository,
    private readonly guard: ConversionGuard,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Price of a billable message to the mark's country (CONVERSION_PRICE_TABLE), or null when unknown. */
  private priceOf(mark: ConversionMark): number | null {
    const prices = this.config.fraud.conversion.priceMicros;
    return prices[mark.country] ?? prices['*'] ?? null;
  }

  /** A verification was stored. */
  async created(manager: EntityManager, verification: Verification): Promise<void> {
    if (verification.isTest) return;
    const mark: ConversionMark = {
      verificationId: verification.id,
      appId: verification.appId,
      day: Math.floor(verification.createdAt / DAY_MS),
      country: countryOfE164(verification.phone) ?? UNKNOWN_COUNTRY,
      callingCode: verification.countryCode,
      channel: verification.channel,
      flow: verification.flow,
      flags: ConversionFlag.CREATED,
      counted: 0,
      unfolded: 1,
      createdAt: verification.createdAt,
      expiresAt: verification.expiresAt,
    };
    await this.repository.insertMark(manager, mark);
    if (mark.callingCode) this.guard.noteActivity(mark.appId, mark.callingCode);
  }

  /** A message of the verification was accepted by a provider (counted once per verification). */
  async sent(manager: EntityManager, verificationId: string): Promise<void> {
    await this.repository.markOnce(manager, verificationId, ConversionFlag.SENT);
  }

  /** A provider status webhook moved one of the verification's messages (first time only). */
  async deliveryStatus(
    manager: EntityManager,
    verificationId: string,
    event: Pick<StatusEvent, 'status' | 'pricing'>,
  ): Promise<void> {
    for (const flag of DELIVERY_STEPS[event.status] ?? []) {
      await this.repository.markOnce(manager, verificationId, flag);
    }
    if (event.pricing?.billable) {
      const mark = await this.repository.claimFlag(manager, verificationId, ConversionFlag.BILLED);
      if (mark) await this.repository.increment(manager, mark, ['billed'], this.priceOf(mark));
    }
  }

  /**
   * The verification may have left `pending` (call after any transition; a still pending one is
   * left alone): counts its terminal status once. `known`: the status the caller's transition
   * set, with the app and calling code the verification had at creation (those of its mark), which
   * spares reading the status and the mark again; without it both are read.
   */
  async settled(
    manager: EntityManager,
    verificationId: string,
    known?: SettledTransition,
  ): Promise<void> {
    const status = known
      ? known.status
      : await this.repository.verificationStatus(manager, verificationId);
    if (!status) return;
    const settledAs = SETTLED_AS[status];
    if (!settledAs) return;
    const [statusFlag, counter] = settledAs;
    const flag = ConversionFlag.SETTLED | statusFlag;
    if (known) {
      await this.repository.markOnce(manager, verificationId, flag);
      // Noted whether or not this call counted it (the guard only re-reads the code's counters).
      if (known.callingCode) this.guard.noteActivity(known.appId, known.callingCode);
      return;
    }
    const mark = await this.repository.claimFlag(manager, verificationId, flag);
    if (!mark) return;
    await this.repository.increment(manager, mark, [counter]);
    if (mark.callingCode) this.guard.noteActivity(mark.appId, mark.callingCode);
  }

  /**
   * MySQL, a transition sent as one packet (runTransactionInOnePacket): the statements of
   * {@link settled} for a known transition, counting only when `condition` (SQL, no values, e.g.
   * "the transition's UPDATE matched") holds.
   */
  settledWhere(verificationId: string, known: SettledTransition, condition: string): Statement[] {
    const settledAs = SETTLED_AS[known.status];
    if (!settledAs) return [];
    if (known.callingCode) this.guard.noteActivity(known.appId, known.callingCode);
    return [
      this.repository.markOnceStatement(
        verificationId,
        ConversionFlag.SETTLED | settledAs[0],
        condition,
      ),
    ];
  }
}
