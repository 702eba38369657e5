import { samePhone } from '../common/phone-match';
import { Verification } from '../verification/entities/verification.entity';
import { Flow, InboundReply, VerificationStatus } from '../verification/verification.types';

/** Who wrote in: a phone in E.164, or only a WhatsApp business-scoped user id (phone hidden). */
export interface InboundSenderIdentity {
  phone: string | null;
  waUserId: string | null;
}

/**
 * What an inbound message carrying a known token does to its verification:
 * - `not_pending`: approved, canceled, … already: reply "expired or already used".
 * - `expired`: pending but past its expiry: expire it, reply "expired".
 * - `phone_hidden`: we cannot see the sender's phone (WhatsApp shows only their user id, and no
 *   earlier message paired it with a phone), but the verification needs it (a required phone, or a
 *   code to send): stays pending, the app hears of the mismatch, the sender is asked for the number.
 * - `mismatch`: the token belongs to another phone: stays pending, polite refusal.
 * - `confirm` / `code`: the sender is the right person: approve, or send a code.
 */
export type InboundOutcome =
  | { kind: 'not_pending'; status: VerificationStatus }
  | { kind: 'expired' }
  | { kind: 'phone_hidden' }
  | { kind: 'mismatch' }
  | { kind: 'confirm' }
  | { kind: 'code' };

/** Pure decision: the effects (conditional updates, replies) are the handler's. */
export function decideInboundOutcome(
  verification: Verification,
  sender: InboundSenderIdentity,
  now: number,
): InboundOutcome {
  if (verification.flow !== Flow.INBOUND || verification.status !== VerificationStatus.PENDING) {
    return { kind: 'not_pending', status: verification.status };
  }
  if (verification.expiresAt <= now) return { kind: 'expired' };
  const wantsCode = verification.inboundReply === InboundReply.CODE;
  if (sender.phone === null) {
    return verification.phone !== null || wantsCode
      ? { kind: 'phone_hidden' }
      : { kind: 'confirm' };
  }
  if (verification.phone !== null && !samePhone(verification.phone, sender.phone))
    return { kind: 'mismatch' };
  return wantsCode ? { kind: 'code' } : { kind: 'confirm' };
}
