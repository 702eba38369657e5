import { Verification } from '../entities/verification.entity';
import { WorkflowStep } from '../verification.types';
import { DeliveryStepReason } from './delivery-step.entity';

/** Where a send starts in a verification's plan, and how many throttled retries this code had. */
export interface DeliveryPlan {
  steps: WorkflowStep[];
  /** Index of the first step to try. */
  from: number;
  retries: number;
  /**
   * Steps chosen for this send only (a resend on a named channel), not the verification's plan:
   * tried in order, nothing scheduled after them, and their index says nothing about the plan.
   */
  adHoc?: boolean;
}

/**
 * Pauses before trying a throttled send again (Meta's pair rate limit allows about one message per
 * person every few seconds); after the last one the plan moves on to its next channel.
 */
export const RETRY_PAUSES_MS = [10_000, 30_000, 60_000];

/** The verification's steps: its workflow, or `channel` then `fallbackChannels` (no timeouts). */
export function stepsOf(verification: Verification): WorkflowStep[] {
  return (
    verification.workflow ??
    [verification.channel, ...verification.fallbackChannels].map((channel) => ({ channel }))
  );
}

export function planFrom(verification: Verification, from = 0, retries = 0): DeliveryPlan {
  return { steps: stepsOf(verification), from, retries };
}

/** When a throttled send may be tried again: after the next pause, if that is still inside the TTL. */
export function retryDueAt(
  verification: Verification,
  retries: number,
  now: number,
): number | null {
  const pause = RETRY_PAUSES_MS[retries];
  if (pause === undefined) return null;
  const dueAt = now + pause;
  return dueAt < verification.expiresAt ? dueAt : null;
}

/**
 * What to schedule after a send: the same step again when it was throttled (`retryAt`), the next
 * step when the step that carried it has a timeout and is not the last, else nothing.
 */
export function nextSchedule(
  plan: DeliveryPlan,
  sent: { step: number; retryAt?: number | null },
  now: number,
): { step: number; reason: DeliveryStepReason; dueAt: number } | null {
  if (plan.adHoc) return null;
  if (sent.retryAt !== undefined && sent.retryAt !== null)
    return { step: sent.step, reason: DeliveryStepReason.RETRY, dueAt: sent.retryAt };
  if (sent.retryAt === null) return null;
  const timeout = plan.steps[sent.step]?.timeoutSeconds;
  if (timeout === undefined || sent.step + 1 >= plan.steps.length) return null;
  return { step: sent.step + 1, reason: DeliveryStepReason.TIMEOUT, dueAt: now + timeout * 1000 };
}
