import { Channel, DeliveryStatus } from '../verification/verification.types';
import { dedupeKeyOf, inboxBackoffMs, MAX_INBOX_ATTEMPTS } from './inbox.service';

describe('inbox', () => {
  it('keys a message by provider and id, a status by provider, id and status', () => {
    const message = {
      kind: 'message',
      provider: 'meta',
      channel: Channel.WHATSAPP,
      messageId: 'wamid.A',
      from: '+6281212345678',
      waUserId: null,
      text: 'x',
      timestamp: 1,
    } as const;
    const status = {
      kind: 'status',
      provider: 'meta',
      messageId: 'wamid.A',
      status: DeliveryStatus.READ,
      error: null,
      timestamp: 1,
    } as const;
    expect(dedupeKeyOf(message)).toBe('meta:message:wamid.A');
    expect(dedupeKeyOf(status)).toBe('meta:status:wamid.A:read');
    expect(dedupeKeyOf({ ...message, messageId: 'x'.repeat(400) })).toHaveLength(191);
  });

  it('backs off exponentially from 5 s and never waits more than an hour', () => {
    expect([1, 2, 3, 4].map(inboxBackoffMs)).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(inboxBackoffMs(30)).toBe(3_600_000);
    const total = Array.from({ length: MAX_INBOX_ATTEMPTS - 1 }, (_, i) =>
      inboxBackoffMs(i + 1),
    ).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThan(24 * 3_600_000);
  });
});
