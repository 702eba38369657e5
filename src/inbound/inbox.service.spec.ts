import { Channel, DeliveryStatus } from '../verification/verification.types';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { DeliveryStatusHandler } from './delivery-status.handler';
import { InboundMessageHandler } from './inbound-message.handler';
import { InboxRepository } from './inbox.repository';
import { dedupeKeyOf, inboxBackoffMs, InboxService, MAX_INBOX_ATTEMPTS } from './inbox.service';

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

describe('InboxService during a database outage', () => {
  function serviceWith(handlerError: Error) {
    const recordFailure = jest.fn(() => Promise.resolve(1));
    // The lease the service claims is the one the row then carries (the owner token).
    let leaseToken: string | null = null;
    const inbox = {
      findDueIds: () => Promise.resolve(['ev1']),
      claim: (_id: string, _now: number, _leaseMs: number, token: string) => {
        leaseToken = token;
        return Promise.resolve(1);
      },
      findById: () =>
        Promise.resolve({
          id: 'ev1',
          kind: 'status',
          leaseToken,
          attempts: MAX_INBOX_ATTEMPTS - 1,
          payload: JSON.stringify({ event: { kind: 'status' }, actor: {} }),
        }),
      markProcessed: () => Promise.resolve(1),
      recordFailure,
    } as unknown as InboxRepository;
    const failing = { handle: () => Promise.reject(handlerError) };
    const service = new InboxService(
      { inboundRetryIntervalMs: 1000 } as AppConfig,
      inbox,
      failing as unknown as InboundMessageHandler,
      failing as unknown as DeliveryStatusHandler,
      { now: () => 1 } as Clock,
    );
    return { service, recordFailure, lease: () => leaseToken };
  }

  it('spends no attempt when the database is unreachable (the event is retried, never given up)', async () => {
    const lost = Object.assign(new Error('Connection lost'), { code: 'PROTOCOL_CONNECTION_LOST' });
    const { service, recordFailure } = serviceWith(lost);
    await service.pollOnce();
    expect(recordFailure).not.toHaveBeenCalled();
  });

  it('still counts an attempt for any other failure', async () => {
    const { service, recordFailure, lease } = serviceWith(new TypeError('bad event'));
    await service.pollOnce();
    expect(lease()).toEqual(expect.any(String));
    expect(recordFailure).toHaveBeenCalledWith(
      'ev1',
      lease(),
      MAX_INBOX_ATTEMPTS,
      'TypeError while processing',
      null,
      expect.any(String),
    );
  });
});
