import { Channel, DeliveryStatus } from '../verification/verification.types';
import { Clock } from '../common/clock';
import { currentRequestId, runInRequestContext } from '../logging/request-context';
import { AppConfig } from '../config/app-config';
import { DeliveryStatusHandler } from './delivery-status.handler';
import { InboundMessageHandler } from './inbound-message.handler';
import { InboxRepository } from './inbox.repository';
import {
  dedupeKeyOf,
  INBOX_QUEUE_MAX,
  inboxWorkers,
  inboxBackoffMs,
  InboxService,
  MAX_INBOX_ATTEMPTS,
  BORN_LEASE_GRACE_MS,
} from './inbox.service';
import { INBOX_LEASE_MS } from '../config/timeouts';

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
      claimAndRead: (_id: string, _now: number, _leaseMs: number, token: string) => {
        leaseToken = token;
        return Promise.resolve({
          id: 'ev1',
          kind: 'status',
          leaseToken,
          attempts: MAX_INBOX_ATTEMPTS - 1,
          payload: JSON.stringify({ event: { kind: 'status' }, actor: {} }),
        });
      },
      markProcessed: () => Promise.resolve(1),
      recordFailure,
    } as unknown as InboxRepository;
    const failing = { handle: () => Promise.reject(handlerError) };
    const service = new InboxService(
      { inboundRetryIntervalMs: 1000, database: { type: 'sqlite', file: ':memory:' } } as AppConfig,
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

describe('InboxService under a burst of webhooks', () => {
  /** An inbox table in memory with the repository's semantics (due, unleased, lease by token). */
  function memoryInbox() {
    const rows = new Map<string, Record<string, unknown>>();
    const unleased = (row: Record<string, unknown>, now: number) =>
      row.leaseToken === null || (row.lockedUntil as number) < now;
    const claims: { id: string; heldToken: string | null }[] = [];
    const repository = {
      insertIfNew: (row: Record<string, unknown>) => {
        rows.set(row.id as string, { ...row });
        return Promise.resolve(true);
      },
      findDueIds: (now: number, limit: number) =>
        Promise.resolve(
          [...rows.values()]
            .filter((row) => row.status === 'pending' && unleased(row, now))
            .slice(0, limit)
            .map((row) => row.id as string),
        ),
      claimAndRead: (
        id: string,
        now: number,
        leaseMs: number,
        token: string,
        heldToken: string | null = null,
      ) => {
        claims.push({ id, heldToken });
        const row = rows.get(id)!;
        if (row.status !== 'pending' || !(unleased(row, now) || row.leaseToken === heldToken))
          return Promise.resolve(null);
        Object.assign(row, { leaseToken: token, lockedUntil: now + leaseMs });
        return Promise.resolve({ ...row });
      },
      releaseLeases: (leases: { id: string; token: string }[]) => {
        for (const { id, token } of leases) {
          const row = rows.get(id)!;
          if (row.status === 'pending' && row.leaseToken === token)
            Object.assign(row, { leaseToken: null, lockedUntil: null });
        }
        return Promise.resolve();
      },
      markProcessed: (id: string, token: string) => {
        const row = rows.get(id)!;
        if (row.leaseToken !== token) return Promise.resolve(0);
        Object.assign(row, { status: 'processed', leaseToken: null });
        return Promise.resolve(1);
      },
      recordFailure: () => Promise.resolve(1),
    };
    const processed = () => [...rows.values()].filter((row) => row.status === 'processed').length;
    return { repository: repository as unknown as InboxRepository, processed, rows, claims };
  }

  function burstService(database: 'mysql' | 'sqlite') {
    const inbox = memoryInbox();
    let running = 0;
    let maxRunning = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handler = {
      handle: async () => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await gate;
        running -= 1;
      },
    };
    const service = new InboxService(
      { inboundRetryIntervalMs: 1000, database: { type: database, poolSize: 20 } } as AppConfig,
      inbox.repository,
      handler as unknown as InboundMessageHandler,
      handler as unknown as DeliveryStatusHandler,
      { now: () => 1 } as Clock,
    );
    return { service, inbox, release, maxRunning: () => maxRunning };
  }

  const events = (count: number) =>
    Array.from({ length: count }, (_, i) => ({
      kind: 'status' as const,
      provider: 'meta' as const,
      messageId: `wamid.${i}`,
      status: DeliveryStatus.READ,
      error: null,
      timestamp: 1,
    }));
  const actor = { type: 'provider', id: 'meta', ip: null } as never;

  it('runs half the MySQL pool as workers (at least one), one on SQLite', () => {
    const mysql = { type: 'mysql', url: '', host: '', port: 3306, database: 'wa' } as const;
    expect(inboxWorkers({ ...mysql, poolSize: 32 })).toBe(16);
    expect(inboxWorkers({ ...mysql, poolSize: 5 })).toBe(2);
    expect(inboxWorkers({ ...mysql, poolSize: 2 })).toBe(1);
    expect(inboxWorkers({ type: 'sqlite', file: ':memory:' })).toBe(1);
  });

  it('processes a few events at a time, queues a bounded number and takes the rest from the table later', async () => {
    const { service, inbox, release, maxRunning } = burstService('mysql');
    const burst = INBOX_QUEUE_MAX + 300;
    for (let i = 0; i < burst; i += 100)
      await service.accept(events(burst).slice(i, i + 100), actor);
    await new Promise((resolve) => setImmediate(resolve));
    // Unbounded, every accepted event started its own handler at once.
    expect(maxRunning()).toBe(10);
    expect(service.backlog.workers).toBe(10);
    expect(service.backlog.queued).toBeLessThanOrEqual(INBOX_QUEUE_MAX);
    release();
    for (let i = 0; i < 200 && inbox.processed() < burst; i++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(inbox.processed()).toBe(burst);
    expect(service.backlog).toEqual({ queued: 0, workers: 0 });
    await service.onModuleDestroy();
  });

  it('processes each event under the id of the request that accepted it', async () => {
    const inbox = memoryInbox();
    const seen: (string | undefined)[] = [];
    const handler = {
      handle: async () => {
        seen.push(currentRequestId());
        await new Promise((resolve) => setImmediate(resolve));
      },
    };
    const service = new InboxService(
      { inboundRetryIntervalMs: 1000, database: { type: 'sqlite' } } as AppConfig,
      inbox.repository,
      handler as unknown as InboundMessageHandler,
      handler as unknown as DeliveryStatusHandler,
      { now: () => 1 } as Clock,
    );
    // One worker (SQLite), started by the first request, serves the second request's event too.
    await runInRequestContext({ reqId: 'req-a' }, () => service.accept(events(2), actor));
    await runInRequestContext({ reqId: 'req-b' }, () => service.accept(events(3).slice(2), actor));
    for (let i = 0; i < 100 && inbox.processed() < 3; i++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(seen).toEqual(['req-a', 'req-a', 'req-b']);
    await service.onModuleDestroy();
  });

  /** One worker (SQLite) whose handler waits for `release`, on a clock the test moves. */
  function gatedService() {
    const inbox = memoryInbox();
    const clock = { now: 1_000 };
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handler = { handle: () => gate };
    const service = new InboxService(
      { inboundRetryIntervalMs: 1000, database: { type: 'sqlite' } } as AppConfig,
      inbox.repository,
      handler as unknown as InboundMessageHandler,
      handler as unknown as DeliveryStatusHandler,
      { now: () => clock.now } as Clock,
    );
    const settle = async (done: () => boolean) => {
      for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setImmediate(r));
    };
    return { service, inbox, clock, release, settle };
  }

  it('inserts what it queues already leased to itself and processes it without a claim', async () => {
    const { service, inbox, clock, release, settle } = gatedService();
    await service.accept(events(2), actor);
    const rows = [...inbox.rows.values()];
    expect(rows.map((row) => row.lockedUntil)).toEqual(
      rows.map(() => clock.now + INBOX_LEASE_MS + BORN_LEASE_GRACE_MS),
    );
    expect(rows.every((row) => typeof row.leaseToken === 'string')).toBe(true);
    // Not due for any poll while the lease holds.
    expect(await inbox.repository.findDueIds(clock.now, 10)).toEqual([]);
    release();
    await settle(() => inbox.processed() === 2);
    expect(inbox.processed()).toBe(2);
    expect(inbox.claims).toEqual([]);
    await service.onModuleDestroy();
  });

  it('claims an event that waited in the queue past the grace, renewing its own lease', async () => {
    const { service, inbox, clock, release, settle } = gatedService();
    await service.accept(events(2), actor);
    const second = [...inbox.rows.values()][1];
    const born = second.leaseToken;
    // The first event holds the only worker past the second one's grace.
    clock.now += BORN_LEASE_GRACE_MS + 1;
    release();
    await settle(() => inbox.processed() === 2);
    expect(inbox.processed()).toBe(2);
    expect(inbox.claims).toEqual([{ id: second.id, heldToken: born }]);
    await service.onModuleDestroy();
  });

  it('hands back at shutdown the leases of events it had not started', async () => {
    const { service, inbox, clock, release, settle } = gatedService();
    await service.accept(events(3), actor);
    await settle(() => service.backlog.queued === 2);
    const stopped = service.onModuleDestroy();
    release();
    await stopped;
    const rows = [...inbox.rows.values()];
    expect(rows.map((row) => row.status)).toEqual(['processed', 'pending', 'pending']);
    // Due at once for another instance's poll, not when the lease would have run out.
    expect(await inbox.repository.findDueIds(clock.now, 10)).toEqual([rows[1].id, rows[2].id]);
  });

  it('never interleaves two events on SQLite (one connection)', async () => {
    const { service, inbox, release, maxRunning } = burstService('sqlite');
    await service.accept(events(50), actor);
    await new Promise((resolve) => setImmediate(resolve));
    expect(maxRunning()).toBe(1);
    release();
    for (let i = 0; i < 200 && inbox.processed() < 50; i++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(inbox.processed()).toBe(50);
    await service.onModuleDestroy();
  });
});
