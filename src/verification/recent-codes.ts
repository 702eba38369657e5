import { Injectable } from '@nestjs/common';
import { safeEqual } from '../common/crypto';
import { Verification } from './entities/verification.entity';

/** What a check needs of a verification to approve it without reading it first. */
export type RecentCode = Pick<
  Verification,
  | 'id'
  | 'appId'
  | 'codeHash'
  | 'countryCode'
  | 'phone'
  | 'flow'
  | 'channel'
  | 'isTest'
  | 'expiresAt'
>;

/** Verifications remembered at most; beyond, the oldest go first (about 3 MB at the bound). */
export const RECENT_CODES_MAX = 10_000;

/**
 * The code hashes of the outbound verifications this instance sent a code for, so that a check
 * whose typed code hashes to the one sent tries the approval first (on MySQL the right code is then
 * one round trip instead of two: no speculative wrong-code packet, no read).
 *
 * A hint, never the decision: the approval is the conditional UPDATE on the stored hash, so an
 * entry made stale elsewhere (a resend on another instance, an expiry, a lock-out) only sends the
 * check down the usual path, which counts a wrong code as ever. Only hashes live here (no codes),
 * in this process's memory; an instance that did not send the code has no entry.
 */
@Injectable()
export class RecentCodes {
  private readonly entries = new Map<string, RecentCode>();

  /** After the code of `verification` went out (its `codeHash` the one stored). */
  remember(verification: RecentCode): void {
    if (verification.isTest || !verification.codeHash) return;
    const { id, appId, codeHash, countryCode, phone, flow, channel, isTest, expiresAt } =
      verification;
    this.entries.delete(id);
    this.entries.set(id, {
      id,
      appId,
      codeHash,
      countryCode,
      phone,
      flow,
      channel,
      isTest,
      expiresAt,
    });
    if (this.entries.size > RECENT_CODES_MAX) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  /** The code of `id` was replaced or used up. */
  forget(id: string): void {
    this.entries.delete(id);
  }

  /**
   * The remembered verification `id` of `appId` when `candidateHash` (the hash of the code typed)
   * is the one sent and it has not expired yet; undefined otherwise.
   */
  matching(appId: string, id: string, candidateHash: string, now: number): RecentCode | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(id);
      return undefined;
    }
    if (entry.appId !== appId || !safeEqual(entry.codeHash!, candidateHash)) return undefined;
    return entry;
  }

  get size(): number {
    return this.entries.size;
  }
}
