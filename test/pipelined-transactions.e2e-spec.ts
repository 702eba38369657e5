import { DataSource } from 'typeorm';
import { QueryFailedError } from 'typeorm/error/QueryFailedError';
import { ConversionFlag, ConversionRepository } from '../src/analytics/conversion.repository';
import { AuditEvent } from '../src/audit/entities/audit-event.entity';
import { newId } from '../src/common/ids';
import { InboundEventStatus } from '../src/inbound/entities/inbound-event.entity';
import { InboxRepository } from '../src/inbound/inbox.repository';
import { findEntities, insertEntitiesDeferred } from '../src/database/entity-sql';
import { startApp, TestApp } from './support/harness';

/**
 * Deferred writes (pipelined-transactions.ts) keep the meaning of a transaction on every engine: a
 * later read in the transaction sees them, a rollback drops them, a failing one fails the
 * transaction (and says which statement, without its values), and a counter claimed in a packet
 * still moves once. On MySQL they travel in the packet of the next statement; on SQLite they run
 * at once.
 */
describe('Deferred writes in transactions', () => {
  let t: TestApp;
  let dataSource: DataSource;

  beforeAll(async () => {
    t = await startApp();
    dataSource = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  function event(type: string, id = newId()): AuditEvent {
    return {
      id,
      type,
      appId: null,
      verificationId: null,
      actorType: 'system',
      actorId: null,
      ip: null,
      data: { note: 'pipeline test' },
      createdAt: Date.now(),
    };
  }

  async function stored(id: string): Promise<AuditEvent[]> {
    return findEntities(dataSource.manager, AuditEvent, 'id = ?', [id]);
  }

  it('commits deferred writes, in order, visible to a later read of the same transaction', async () => {
    const first = event('pipeline.first');
    const second = event('pipeline.second');
    const seen = await dataSource.transaction(async (manager) => {
      await insertEntitiesDeferred(manager, AuditEvent, [first]);
      await insertEntitiesDeferred(manager, AuditEvent, [second]);
      return findEntities(manager, AuditEvent, 'id IN (?, ?) ORDER BY id', [first.id, second.id]);
    });
    expect(seen.map((row) => row.type)).toEqual(['pipeline.first', 'pipeline.second']);
    expect(await stored(first.id)).toHaveLength(1);
    expect((await stored(second.id))[0].data).toEqual({ note: 'pipeline test' });
  });

  it('keeps transactions started together apart: one rolling back takes none of the other with it', async () => {
    const kept = event('transactions.kept');
    const dropped = event('transactions.dropped');
    const outcomes = await Promise.allSettled([
      dataSource.transaction(async (manager) => {
        await insertEntitiesDeferred(manager, AuditEvent, [dropped]);
        await findEntities(manager, AuditEvent, 'id = ?', [dropped.id]);
        throw new Error('roll back');
      }),
      dataSource.transaction(async (manager) => {
        await insertEntitiesDeferred(manager, AuditEvent, [kept]);
        await findEntities(manager, AuditEvent, 'id = ?', [kept.id]);
      }),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'fulfilled']);
    expect(await stored(dropped.id)).toEqual([]);
    expect(await stored(kept.id)).toHaveLength(1);
  });

  it('claims an inbox event and reads it in one go, for one claimant only', async () => {
    const inbox = t.app.get(InboxRepository);
    // Due in an hour, so the service's own inbox worker (which takes what is due now) leaves it to
    // the claims below, made as of that hour.
    const now = Date.now() + 3_600_000;
    const id = newId();
    await inbox.insertIfNew({
      id,
      provider: 'meta',
      kind: 'message',
      dedupeKey: `test:claim:${id}`,
      payload: '{"event":{}}',
      status: InboundEventStatus.PENDING,
      attempts: 0,
      nextAttemptAt: now,
      lockedUntil: null,
      leaseToken: null,
      lastError: null,
      createdAt: now,
      processedAt: null,
    });
    const [first, second] = await Promise.all([
      inbox.claimAndRead(id, now, 60_000, 'lease-one'),
      inbox.claimAndRead(id, now, 60_000, 'lease-two'),
    ]);
    const winners = [first, second].filter((row) => row !== null);
    expect(winners).toHaveLength(1);
    expect(winners[0]).toMatchObject({ id, payload: '{"event":{}}', lockedUntil: now + 60_000 });
    expect(['lease-one', 'lease-two']).toContain(winners[0]!.leaseToken);
    expect(await inbox.claimAndRead(id, now + 1, 60_000, 'lease-three')).toBeNull();
    // The holder renews its own lease under a new token; an old token holds nothing any more.
    const holder = winners[0]!.leaseToken!;
    expect(await inbox.claimAndRead(id, now + 2, 60_000, 'lease-four', 'lease-old')).toBeNull();
    expect(await inbox.claimAndRead(id, now + 2, 60_000, 'lease-four', holder)).toMatchObject({
      id,
      leaseToken: 'lease-four',
      lockedUntil: now + 60_002,
    });
    expect(await inbox.claimAndRead(id, now + 3, 60_000, 'lease-five', holder)).toBeNull();
    // Given back (a shutdown with the event not started): anyone's claim takes it, with no token.
    await inbox.releaseLeases([{ id, token: holder }]);
    expect((await inbox.findById(id))!.leaseToken).toBe('lease-four');
    await inbox.releaseLeases([{ id, token: 'lease-four' }]);
    expect(await inbox.findById(id)).toMatchObject({ leaseToken: null, lockedUntil: null });
    expect(await inbox.claimAndRead(id, now + 4, 60_000, 'lease-six')).toMatchObject({
      leaseToken: 'lease-six',
    });
  });

  it('runs a transaction again when MySQL picks it as a deadlock victim', async () => {
    if (dataSource.options.type !== 'mysql') return; // SQLite runs one transaction at a time
    await dataSource.query('CREATE TABLE deadlock_probe (id INT PRIMARY KEY, n INT NOT NULL)');
    try {
      await dataSource.query('INSERT INTO deadlock_probe (id, n) VALUES (1, 0), (2, 0)');
      // Each transaction locks one row, waits until the other holds its row, then wants the
      // other's: InnoDB rolls one back (ER_LOCK_DEADLOCK), which must run again and succeed.
      let locked = 0;
      const bothLocked = async (): Promise<void> => {
        locked += 1;
        for (let i = 0; i < 200 && locked < 2; i++) await new Promise((r) => setTimeout(r, 5));
      };
      let runs = 0;
      const crossing = (first: number, second: number) =>
        dataSource.transaction(async (manager) => {
          runs += 1;
          await manager.query('UPDATE deadlock_probe SET n = n + 1 WHERE id = ?', [first]);
          await bothLocked();
          await manager.query('UPDATE deadlock_probe SET n = n + 1 WHERE id = ?', [second]);
        });
      await Promise.all([crossing(1, 2), crossing(2, 1)]);
      expect(runs).toBe(3);
      const rows: { id: number; n: number }[] = await dataSource.query(
        'SELECT id, n FROM deadlock_probe ORDER BY id',
      );
      expect(rows.map((row) => Number(row.n))).toEqual([2, 2]);
    } finally {
      await dataSource.query('DROP TABLE deadlock_probe');
    }
  });

  it('drops deferred writes when the transaction rolls back', async () => {
    const dropped = event('pipeline.dropped');
    const afterRead = event('pipeline.after-read');
    await expect(
      dataSource.transaction(async (manager) => {
        await insertEntitiesDeferred(manager, AuditEvent, [dropped]);
        await findEntities(manager, AuditEvent, 'id = ?', [dropped.id]); // sends it
        await insertEntitiesDeferred(manager, AuditEvent, [afterRead]); // never sent
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await stored(dropped.id)).toEqual([]);
    expect(await stored(afterRead.id)).toEqual([]);
  });

  it('fails the whole transaction when a deferred write fails, naming the statement without its values', async () => {
    const existing = event('pipeline.existing');
    await insertEntitiesDeferred(dataSource.manager, AuditEvent, [existing]); // outside: runs now
    const sibling = event('pipeline.sibling');
    const secret = 'phone +6281234567890';
    const failure = await dataSource
      .transaction(async (manager) => {
        await insertEntitiesDeferred(manager, AuditEvent, [sibling]);
        await insertEntitiesDeferred(manager, AuditEvent, [
          { ...event(secret), id: existing.id }, // duplicate primary key
        ]);
      })
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(QueryFailedError);
    const error = failure as QueryFailedError;
    expect(error.query).not.toContain(secret);
    // On MySQL the failing write travelled in COMMIT's packet: the error names COMMIT, no values.
    if (dataSource.options.type === 'mysql') {
      expect(error.query).toBe('COMMIT');
      expect(error.parameters ?? []).toEqual([]);
    }
    expect(error.message).not.toContain(secret);
    expect(await stored(sibling.id)).toEqual([]);
    expect((await stored(existing.id))[0].type).toBe('pipeline.existing');
  });

  it('counts each outcome once however many transactions mark it and however many folds run', async () => {
    const conversion = t.app.get(ConversionRepository);
    const verificationId = newId();
    const appId = newId();
    const day = 20_000 + Math.floor(Math.random() * 1000);
    await dataSource.transaction((manager) =>
      conversion.insertMark(manager, {
        verificationId,
        appId,
        day,
        country: 'ID',
        callingCode: '62',
        channel: 'whatsapp',
        flow: 'outbound',
        flags: ConversionFlag.CREATED,
        counted: 0,
        unfolded: 1,
        createdAt: Date.now(),
        expiresAt: Date.now() + 60_000,
      }),
    );
    const counters = async () => {
      const rows: Record<string, number | string>[] = await dataSource.query(
        'SELECT created_count, sent_count, approved_count, billed_count, cost_micros FROM conversion_counters WHERE app_id = ? AND day = ?',
        [appId, day],
      );
      return rows.map((row) => Object.values(row).map((value) => Number(value)));
    };
    const markOf = async () =>
      (
        await dataSource.query(
          'SELECT flags, counted, unfolded FROM conversion_marks WHERE verification_id = ?',
          [verificationId],
        )
      ).map((row: Record<string, number | string>) => Object.values(row).map(Number));
    // Three transitions race to mark the same outcome, while folds (this test's two, and the
    // instance's own periodic one) take whatever is committed.
    await Promise.all([
      ...[1, 2, 3].map(() =>
        dataSource.transaction((manager) =>
          conversion.markOnce(manager, verificationId, ConversionFlag.SENT),
        ),
      ),
      conversion.foldBatch(),
      conversion.foldBatch(true),
    ]);
    // Another verification's mark moves nothing of this one.
    await dataSource.transaction((manager) =>
      conversion.markOnce(manager, newId(), ConversionFlag.SENT),
    );
    await Promise.all([conversion.foldBatch(true), conversion.foldBatch(true)]);
    expect(await counters()).toEqual([[1, 1, 0, 0, 0]]);
    expect(await markOf()).toEqual([[65, 65, 0]]);

    // Approved in a packet guarded by a condition that failed: nothing; then one that held.
    const approved = ConversionFlag.SETTLED | ConversionFlag.APPROVED;
    if (dataSource.options.type === 'mysql') {
      for (const condition of ['1 = 0', '1 = 1']) {
        const statement = conversion.markOnceStatement(verificationId, approved, condition);
        await dataSource.transaction((manager) =>
          manager.query(statement.sql, statement.parameters),
        );
      }
    } else {
      await dataSource.transaction((manager) =>
        conversion.markOnce(manager, verificationId, approved),
      );
    }
    // Billed with its cost at once: the fold must not count it a second time.
    await dataSource.transaction(async (manager) => {
      const mark = await conversion.claimFlag(manager, verificationId, ConversionFlag.BILLED);
      await conversion.increment(manager, mark!, ['billed'], 1_500);
    });
    await conversion.foldBatch(true);
    expect(await counters()).toEqual([[1, 1, 1, 1, 1_500]]);
    expect(await markOf()).toEqual([[65 | approved | 8, 65 | approved | 8, 0]]);
    await conversion.foldBatch(true);
    expect(await counters()).toEqual([[1, 1, 1, 1, 1_500]]);
  });
});
