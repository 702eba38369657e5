import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { App } from '../apps/entities/app.entity';
import {
  findEntities,
  findEntityPairs,
  hydrateEntities,
  hydrateEntityPairs,
  insertEntities,
  selectEntitiesStatement,
  selectEntityPairsStatement,
} from '../database/entity-sql';
import {
  runTransactionInOnePacket,
  runTransactionInOnePacketReading,
  sendsPackets,
  Statement,
} from '../database/pipelined-transactions';
import { execute, isUniqueViolation } from '../database/sql';
import { Verification } from '../verification/entities/verification.entity';
import { InboundEvent, InboundEventStatus } from './entities/inbound-event.entity';

/**
 * The lease claim of {@link InboxRepository.claim}, also sent in a packet by claimAndRead: on an
 * unleased or expired lease, or on the lease `heldToken` the caller already holds (its row's
 * lease from the insert).
 */
function claimStatement(
  id: string,
  now: number,
  leaseMs: number,
  leaseToken: string,
  heldToken: string | null,
): Statement {
  return {
    sql: `UPDATE inbound_events SET locked_until = ?, lease_token = ?
       WHERE id = ? AND status = ? AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until < ? OR lease_token = ?)`,
    parameters: [now + leaseMs, leaseToken, id, InboundEventStatus.PENDING, now, now, heldToken],
  };
}

/**
 * The inbox of provider notifications. A row is inserted once per dedupe key (the unique index
 * decides, never a read first), then claimed with a lease by one worker at a time.
 */
@Injectable()
export class InboxRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Inserts the row; false when an event with the same dedupe key is already in the inbox. A row
   * inserted with a lease (`locked_until`, `lease_token`) belongs to its inserter until then.
   */
  async insertIfNew(event: InboundEvent): Promise<boolean> {
    try {
      // Plain INSERT: TypeORM's insert reads the row back on MariaDB, a round trip per webhook.
      await insertEntities(this.dataSource.manager, InboundEvent, [event]);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async findById(id: string): Promise<InboundEvent | null> {
    const [found] = await findEntities(this.dataSource.manager, InboundEvent, 'id = ?', [id]);
    return found ?? null;
  }

  /** Ids of pending events that are due and not leased, oldest first. */
  async findDueIds(now: number, limit: number): Promise<string[]> {
    const rows = await this.dataSource
      .getRepository(InboundEvent)
      .createQueryBuilder('e')
      .select('e.id', 'id')
      .where('e.status = :status', { status: InboundEventStatus.PENDING })
      .andWhere('e.next_attempt_at <= :now', { now })
      .andWhere('(e.locked_until IS NULL OR e.locked_until < :now)', { now })
      .orderBy('e.next_attempt_at', 'ASC')
      .limit(limit)
      .getRawMany<{ id: string }>();
    return rows.map((row) => row.id);
  }

  /**
   * Takes the lease on a pending, due, unleased event under `leaseToken` (random per claim); 1 when
   * this caller got it. Every later write of the attempt matches the token, so a worker whose lease
   * ran out (and was taken over) cannot overwrite the new holder's result.
   */
  claim(
    id: string,
    now: number,
    leaseMs: number,
    leaseToken: string,
    heldToken: string | null = null,
  ): Promise<number> {
    const claim = claimStatement(id, now, leaseMs, leaseToken, heldToken);
    return execute(this.dataSource.manager, claim.sql, claim.parameters);
  }

  /**
   * {@link claim}, then the event as claimed: null when another worker holds it (or it is done or
   * not due). On MySQL both statements go in one packet (one round trip); the read matches the
   * lease token, so it returns the row only to the claim that took it. `heldToken`: the lease the
   * caller holds already (taken at insert), renewed under the new token.
   */
  async claimAndRead(
    id: string,
    now: number,
    leaseMs: number,
    leaseToken: string,
    heldToken: string | null = null,
  ): Promise<InboundEvent | null> {
    const manager = this.dataSource.manager;
    const read = selectEntitiesStatement(
      manager,
      InboundEvent,
      { join: '', where: 't.id = ? AND t.lease_token = ?' },
      [id, leaseToken],
    );
    if (sendsPackets(this.dataSource)) {
      const claim = claimStatement(id, now, leaseMs, leaseToken, heldToken);
      const rows = await runTransactionInOnePacket(this.dataSource, [claim], read);
      return hydrateEntities(manager, InboundEvent, rows)[0]?.entity ?? null;
    }
    if ((await this.claim(id, now, leaseMs, leaseToken, heldToken)) !== 1) return null;
    return this.findById(id);
  }

  /**
   * Gives up leases still held under their tokens (taken at insert, the events not processed yet):
   * the events are due again for any instance's poll at once.
   */
  async releaseLeases(leases: { id: string; token: string }[]): Promise<void> {
    if (leases.length === 0) return;
    await execute(
      this.dataSource.manager,
      `UPDATE inbound_events SET locked_until = NULL, lease_token = NULL
       WHERE status = ? AND (${leases.map(() => '(id = ? AND lease_token = ?)').join(' OR ')})`,
      [InboundEventStatus.PENDING, ...leases.flatMap((lease) => [lease.id, lease.token])],
    );
  }

  /** Done, under the lease: the payload is replaced by its redacted form (no message text kept once processed). */
  markProcessed(
    id: string,
    leaseToken: string,
    redactedPayload: string,
    now: number,
  ): Promise<number> {
    const done = this.markProcessedStatement(id, leaseToken, redactedPayload, now);
    return execute(this.dataSource.manager, done.sql, done.parameters);
  }

  /** {@link markProcessed} as a statement, for a transaction of the event's handler (its last one). */
  markProcessedStatement(
    id: string,
    leaseToken: string,
    redactedPayload: string,
    now: number,
  ): Statement {
    return {
      sql: `UPDATE inbound_events SET status = ?, payload = ?, processed_at = ?, locked_until = NULL, lease_token = NULL, last_error = NULL
       WHERE id = ? AND status = ? AND lease_token = ?`,
      parameters: [
        InboundEventStatus.PROCESSED,
        redactedPayload,
        now,
        id,
        InboundEventStatus.PENDING,
        leaseToken,
      ],
    };
  }

  /** Failed attempt, under the lease: try again at `nextAttemptAt`, or give up (`failed`, payload redacted). */
  recordFailure(
    id: string,
    leaseToken: string,
    attempts: number,
    error: string,
    nextAttemptAt: number | null,
    redactedPayload: string,
  ): Promise<number> {
    const giveUp = nextAttemptAt === null;
    return execute(
      this.dataSource.manager,
      `UPDATE inbound_events SET attempts = ?, last_error = ?, locked_until = NULL, lease_token = NULL, status = ?, next_attempt_at = COALESCE(?, next_attempt_at)
         ${giveUp ? ', payload = ?' : ''}
       WHERE id = ? AND status = ? AND lease_token = ?`,
      [
        attempts,
        error.slice(0, 500),
        giveUp ? InboundEventStatus.FAILED : InboundEventStatus.PENDING,
        nextAttemptAt,
        ...(giveUp ? [redactedPayload] : []),
        id,
        InboundEventStatus.PENDING,
        leaseToken,
      ],
    );
  }

  /** The inbound matcher's look-up: the verification by the unique `token_hash` index, with its app, in one round trip. */
  async findByTokenHashWithApp(
    tokenHash: string,
  ): Promise<{ verification: Verification; app: App } | null> {
    const [found] = await findEntityPairs(
      this.dataSource.manager,
      Verification,
      App,
      { on: 'u.id = t.app_id', where: 't.token_hash = ?' },
      [tokenHash],
    );
    return found ? { verification: found[0], app: found[1] } : null;
  }

  /** True when {@link findByTokenHashWithAppCounting} applies (MySQL: statements travel in packets). */
  get looksUpInOnePacket(): boolean {
    return sendsPackets(this.dataSource);
  }

  /**
   * MySQL: `count`'s writes (InboundSenderRepository.countMessageStatements) and the look-up of
   * {@link findByTokenHashWithApp} in one transaction and one round trip: whether the sender's
   * message was counted within its limit, and the token's verification with its app.
   */
  async findByTokenHashWithAppCounting(
    tokenHash: string,
    count: { writes: Statement[]; counted: Statement },
  ): Promise<{ counted: boolean; found: { verification: Verification; app: App } | null }> {
    const manager = this.dataSource.manager;
    const [counted, rows] = await runTransactionInOnePacketReading(this.dataSource, count.writes, [
      count.counted,
      selectEntityPairsStatement(
        manager,
        Verification,
        App,
        { on: 'u.id = t.app_id', where: 't.token_hash = ?' },
        [tokenHash],
      ),
    ]);
    const [found] = hydrateEntityPairs(manager, Verification, App, rows);
    return {
      counted: Number(counted[0]?.counted) === 1,
      found: found ? { verification: found[0], app: found[1] } : null,
    };
  }

  async findApp(id: string): Promise<App | null> {
    const [found] = await findEntities(this.dataSource.manager, App, 'id = ?', [id]);
    return found ?? null;
  }
}
