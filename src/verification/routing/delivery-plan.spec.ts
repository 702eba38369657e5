import { Verification } from '../entities/verification.entity';
import { Channel } from '../verification.types';
import { DeliveryStepReason } from './delivery-step.entity';
import { nextSchedule, RETRY_PAUSES_MS, retryDueAt, stepsOf } from './delivery-plan';

const NOW = 1_700_000_000_000;

function verification(overrides: Partial<Verification>): Verification {
  return {
    channel: Channel.WHATSAPP,
    fallbackChannels: [],
    workflow: null,
    expiresAt: NOW + 600_000,
    ...overrides,
  } as Verification;
}

describe('delivery plan', () => {
  const workflow = [
    { channel: Channel.WHATSAPP, timeoutSeconds: 30 },
    { channel: Channel.SMS, timeoutSeconds: 60 },
    { channel: Channel.WHATSAPP },
  ];
  const plan = { steps: workflow, from: 0, retries: 0 };

  it('uses the workflow, else channel then fallbacks without timeouts', () => {
    expect(stepsOf(verification({ workflow }))).toBe(workflow);
    expect(stepsOf(verification({ fallbackChannels: [Channel.SMS] }))).toEqual([
      { channel: Channel.WHATSAPP },
      { channel: Channel.SMS },
    ]);
  });

  it('schedules the next step at the timeout of the step that carried the code', () => {
    expect(nextSchedule(plan, { step: 0 }, NOW)).toEqual({
      step: 1,
      reason: DeliveryStepReason.TIMEOUT,
      dueAt: NOW + 30_000,
    });
    expect(nextSchedule(plan, { step: 1 }, NOW)).toEqual({
      step: 2,
      reason: DeliveryStepReason.TIMEOUT,
      dueAt: NOW + 60_000,
    });
    expect(nextSchedule(plan, { step: 2 }, NOW)).toBeNull();
  });

  it('schedules nothing after a step without a timeout, or after a failure with no retry', () => {
    const legacy = {
      steps: [{ channel: Channel.WHATSAPP }, { channel: Channel.SMS }],
      from: 0,
      retries: 0,
    };
    expect(nextSchedule(legacy, { step: 0 }, NOW)).toBeNull();
    expect(nextSchedule(plan, { step: 0, retryAt: null }, NOW)).toBeNull();
  });

  it('schedules nothing after a one-off plan (a resend on a named channel)', () => {
    const oneOff = { ...plan, adHoc: true };
    expect(nextSchedule(oneOff, { step: 0 }, NOW)).toBeNull();
    expect(nextSchedule(oneOff, { step: 0, retryAt: NOW + 10_000 }, NOW)).toBeNull();
  });

  it('schedules a throttled step again at its retry time', () => {
    expect(nextSchedule(plan, { step: 1, retryAt: NOW + 10_000 }, NOW)).toEqual({
      step: 1,
      reason: DeliveryStepReason.RETRY,
      dueAt: NOW + 10_000,
    });
  });

  it('pauses longer each retry, and not past the TTL or the last pause', () => {
    const v = verification({});
    expect(RETRY_PAUSES_MS.map((_, i) => retryDueAt(v, i, NOW))).toEqual(
      RETRY_PAUSES_MS.map((pause) => NOW + pause),
    );
    expect(retryDueAt(v, RETRY_PAUSES_MS.length, NOW)).toBeNull();
    expect(retryDueAt(verification({ expiresAt: NOW + RETRY_PAUSES_MS[0] }), 0, NOW)).toBeNull();
  });
});
