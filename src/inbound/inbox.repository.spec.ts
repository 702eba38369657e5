import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../database/data-source-options';
import { InboundEvent, InboundEventStatus } from './entities/inbound-event.entity';
import { InboxRepository } from './inbox.repository';

/** The inbox lease on a real (in-memory SQLite) database built by the migrations. */
describe('InboxRepository leases', () => {
  let db: DataSource;
  let inbox: InboxRepository;
  const t0 = Date.UTC(2026, 0, 1);
  const LEASE = 1_000;

  beforeAll(async () => {
    db = new DataSource(dataSourceOptions({ type: 'sqlite', file: ':memory:' }));
    await db.initialize();
    await db.runMigrations();
    inbox = new InboxRepository(db);
  });
  afterAll(async () => db.destroy());

  async function newEvent(id: string): Promise<void> {
    const event: InboundEvent = {
      id,
      provider: 'meta',
      kind: 'message',
      dedupeKey: `meta:message:${id}`,
      payload: '{"event":{"text":"secret"}}',
      status: InboundEventStatus.PENDING,
      attempts: 0,
      nextAttemptAt: t0,
      lockedUntil: null,
      leaseToken: null,
      lastError: null,
      createdAt: t0,
      processedAt: null,
    };
    expect(await inbox.insertIfNew(event)).toBe(true);
  }

  it('gives a lease to one claimant at a time', async () => {
    await newEvent('e-one');
    expect(await inbox.claim('e-one', t0, LEASE, 'token-a')).toBe(1);
    expect(await inbox.claim('e-one', t0 + LEASE - 1, LEASE, 'token-b')).toBe(0);
    expect((await inbox.findById('e-one'))!.leaseToken).toBe('token-a');
  });

  it('lets a worker whose lease expired write nothing over the new holder, which then completes', async () => {
    await newEvent('e-two');
    expect(await inbox.claim('e-two', t0, LEASE, 'slow-worker')).toBe(1);
    // The slow worker overran its lease; another one takes the event over.
    expect(await inbox.claim('e-two', t0 + LEASE + 1, LEASE, 'new-holder')).toBe(1);

    expect(await inbox.markProcessed('e-two', 'slow-worker', '{}', t0 + LEASE + 2)).toBe(0);
    expect(await inbox.recordFailure('e-two', 'slow-worker', 1, 'boom', t0 + 9_999, '{}')).toBe(0);
    expect(await inbox.recordFailure('e-two', 'slow-worker', 1, 'boom', null, '{}')).toBe(0);
    const held = (await inbox.findById('e-two'))!;
    expect(held).toMatchObject({
      status: InboundEventStatus.PENDING,
      attempts: 0,
      leaseToken: 'new-holder',
      lockedUntil: t0 + 2 * LEASE + 1,
      payload: '{"event":{"text":"secret"}}',
    });
    // Still leased: nobody else can take it while the new holder works.
    expect(await inbox.claim('e-two', t0 + LEASE + 3, LEASE, 'third')).toBe(0);

    expect(await inbox.markProcessed('e-two', 'new-holder', '{}', t0 + LEASE + 4)).toBe(1);
    expect(await inbox.findById('e-two')).toMatchObject({
      status: InboundEventStatus.PROCESSED,
      leaseToken: null,
      lockedUntil: null,
      payload: '{}',
    });
  });

  it('hands a failed attempt back for a retry only under the lease that made it', async () => {
    await newEvent('e-three');
    expect(await inbox.claim('e-three', t0, LEASE, 'worker')).toBe(1);
    expect(await inbox.recordFailure('e-three', 'worker', 1, 'boom', t0 + 5_000, '{}')).toBe(1);
    expect(await inbox.findById('e-three')).toMatchObject({
      status: InboundEventStatus.PENDING,
      attempts: 1,
      leaseToken: null,
      lockedUntil: null,
      nextAttemptAt: t0 + 5_000,
    });
    expect(await inbox.markProcessed('e-three', 'worker', '{}', t0 + 1)).toBe(0);
    expect(await inbox.claim('e-three', t0 + 5_000, LEASE, 'retry')).toBe(1);
  });
});
