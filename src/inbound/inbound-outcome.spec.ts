import { Verification } from '../verification/entities/verification.entity';
import {
  Channel,
  Flow,
  InboundReply,
  VerificationStatus,
} from '../verification/verification.types';
import { decideInboundOutcome } from './inbound-outcome';

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);

function verification(overrides: Partial<Verification> = {}): Verification {
  return {
    id: '01937a5c-3f1e-7c2a-9b4d-2f6e8a1c0d3b',
    appId: 'app',
    flow: Flow.INBOUND,
    phone: '+6281212345678',
    countryCode: '62',
    channel: Channel.WHATSAPP,
    fallbackChannels: [],
    workflow: null,
    locale: 'en',
    codeLength: 6,
    status: VerificationStatus.PENDING,
    codeHash: null,
    attempts: 0,
    maxAttempts: 5,
    sends: 0,
    maxSends: 5,
    lastSentAt: null,
    expiresAt: NOW + 60_000,
    createdAt: NOW - 60_000,
    updatedAt: NOW - 60_000,
    approvedAt: null,
    metadata: null,
    waUserId: null,
    inboundReply: InboundReply.CONFIRM,
    tokenHash: 'hash',
    deliveryChannel: null,
    deliveryStatus: null,
    deliveryMessageId: null,
    deliveryError: null,
    deliveryErrorCode: null,
    isTest: false,
    ...overrides,
  };
}

const right = { phone: '+6281212345678', waUserId: null };

describe('decideInboundOutcome', () => {
  it('confirms or sends a code to the right sender', () => {
    expect(decideInboundOutcome(verification(), right, NOW)).toEqual({ kind: 'confirm' });
    expect(
      decideInboundOutcome(verification({ inboundReply: InboundReply.CODE }), right, NOW),
    ).toEqual({ kind: 'code' });
  });

  it('accepts the Brazilian number without its ninth digit as the same phone', () => {
    const v = verification({ phone: '+5511987654321' });
    expect(decideInboundOutcome(v, { phone: '+551187654321', waUserId: null }, NOW)).toEqual({
      kind: 'confirm',
    });
  });

  it('refuses another phone', () => {
    expect(
      decideInboundOutcome(verification(), { phone: '+6281299999999', waUserId: null }, NOW),
    ).toEqual({ kind: 'mismatch' });
  });

  it('accepts any sender when no phone was given', () => {
    expect(
      decideInboundOutcome(
        verification({ phone: null }),
        { phone: '+6281299999999', waUserId: null },
        NOW,
      ),
    ).toEqual({ kind: 'confirm' });
  });

  it('never approves a required phone for a sender whose phone is hidden', () => {
    const hidden = { phone: null, waUserId: 'US.13491208655302741918' };
    expect(decideInboundOutcome(verification(), hidden, NOW)).toEqual({ kind: 'phone_hidden' });
    expect(
      decideInboundOutcome(
        verification({ phone: null, inboundReply: InboundReply.CODE }),
        hidden,
        NOW,
      ),
    ).toEqual({ kind: 'phone_hidden' });
    expect(decideInboundOutcome(verification({ phone: null }), hidden, NOW)).toEqual({
      kind: 'confirm',
    });
  });

  it('expires a pending verification that is due, before looking at the sender', () => {
    expect(
      decideInboundOutcome(
        verification({ expiresAt: NOW }),
        { phone: '+6281299999999', waUserId: null },
        NOW,
      ),
    ).toEqual({ kind: 'expired' });
  });

  it.each([
    VerificationStatus.APPROVED,
    VerificationStatus.CANCELED,
    VerificationStatus.EXPIRED,
    VerificationStatus.MAX_ATTEMPTS_REACHED,
    VerificationStatus.FAILED,
  ])('reports a %s verification as not pending', (status) => {
    expect(decideInboundOutcome(verification({ status }), right, NOW)).toEqual({
      kind: 'not_pending',
      status,
    });
  });

  it('treats an outbound verification as not pending for inbound messages', () => {
    expect(decideInboundOutcome(verification({ flow: Flow.OUTBOUND }), right, NOW)).toEqual({
      kind: 'not_pending',
      status: VerificationStatus.PENDING,
    });
  });
});
