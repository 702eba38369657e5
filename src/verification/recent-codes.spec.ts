import { RECENT_CODES_MAX, RecentCode, RecentCodes } from './recent-codes';
import { Channel, Flow } from './verification.types';

function sent(id: string, overrides: Partial<RecentCode> = {}): RecentCode {
  return {
    id,
    appId: 'app-1',
    codeHash: `hmac$${id}`,
    countryCode: '62',
    phone: '+6281200000000',
    flow: Flow.OUTBOUND,
    channel: Channel.WHATSAPP,
    isTest: false,
    expiresAt: 10_000,
    ...overrides,
  };
}

describe('RecentCodes', () => {
  it('matches only the same app, the same hash and before expiry', () => {
    const codes = new RecentCodes();
    codes.remember(sent('v1'));
    expect(codes.matching('app-1', 'v1', 'hmac$v1', 9_999)?.id).toBe('v1');
    expect(codes.matching('app-2', 'v1', 'hmac$v1', 9_999)).toBeUndefined();
    expect(codes.matching('app-1', 'v1', 'hmac$other', 9_999)).toBeUndefined();
    expect(codes.matching('app-1', 'v2', 'hmac$v1', 9_999)).toBeUndefined();
    expect(codes.matching('app-1', 'v1', 'hmac$v1', 10_000)).toBeUndefined();
    // An expired entry is dropped on sight.
    expect(codes.size).toBe(0);
  });

  it('keeps no test numbers and nothing without a code, and forgets on request', () => {
    const codes = new RecentCodes();
    codes.remember(sent('test', { isTest: true }));
    codes.remember(sent('none', { codeHash: null }));
    expect(codes.size).toBe(0);
    codes.remember(sent('v1'));
    codes.forget('v1');
    expect(codes.matching('app-1', 'v1', 'hmac$v1', 0)).toBeUndefined();
  });

  it('keeps a copy of what it needs, not the caller object', () => {
    const codes = new RecentCodes();
    const verification = { ...sent('v1'), metadata: { big: 'x'.repeat(1000) } };
    codes.remember(verification);
    verification.codeHash = 'hmac$changed';
    const kept = codes.matching('app-1', 'v1', 'hmac$v1', 0)!;
    expect(kept).not.toHaveProperty('metadata');
    expect(kept.codeHash).toBe('hmac$v1');
  });

  it('is bounded: beyond the limit the oldest entry goes first; a new code refreshes an entry', () => {
    const codes = new RecentCodes();
    for (let i = 0; i < RECENT_CODES_MAX; i++) codes.remember(sent(`v${i}`));
    codes.remember(sent('v0', { codeHash: 'hmac$resent' }));
    codes.remember(sent('extra'));
    expect(codes.size).toBe(RECENT_CODES_MAX);
    expect(codes.matching('app-1', 'v0', 'hmac$resent', 0)?.id).toBe('v0');
    expect(codes.matching('app-1', 'v1', 'hmac$v1', 0)).toBeUndefined();
    expect(codes.matching('app-1', 'v2', 'hmac$v2', 0)?.id).toBe('v2');
    expect(codes.matching('app-1', 'extra', 'hmac$extra', 0)?.id).toBe('extra');
  });
});
