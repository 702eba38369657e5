import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import {
  findEntities,
  findEntitiesJoined,
  hydrateEntities,
  insertEntitiesDeferred,
  selectEntitiesStatement,
} from '../database/entity-sql';
import {
  isPipelined,
  runTransactionInOnePacket,
  sendsPackets,
  Statement,
} from '../database/pipelined-transactions';
import { execute, executeDeferred } from '../database/sql';
import { VerificationMessage } from './entities/verification-message.entity';
import { Verification } from './entities/verification.entity';
import {
  Channel,
  DELIVERY_STATUS_RANK,
  DeliveryStatus,
  Flow,
  VerificationStatus,
} from './verification.types';

/** The SQL condition that holds, in {@link VerificationRepository.countWrongCodeAndRead}'s packet, once the attempt is counted. */
export const COUNTED_IN_PACKET = '@wv_counted = 1';

/** The SQL condition that holds, in {@link VerificationRepository.approveInOnePacket}'s packet, once approved. */
export const APPROVED_IN_PACKET = '@wv_approved = 1';

function approveIfCodeMatchesStatement(id: string, codeHash: string, now: number): Statement {
  return {
    sql: `UPDATE verifications SET status = ?, approved_at = ?, updated_at = ?
       WHERE id = ? AND status = ? AND code_hash = ? AND expires_at > ? AND attempts < max_attempts`,
    parameters: [
      VerificationStatus.APPROVED,
      now,
      now,
      id,
      VerificationStatus.PENDING,
      codeHash,
      now,
    ],
  };
}

/** Who confirmed an inbound verification: recorded where the verification had none yet. */
export interface InboundSender {
  phone: string | null;
  countryCode: string | null;
  waUserId: string | null;
}

function approveInboundStatement(id: string, sender: InboundSender, now: number): Statement {
  return {
    sql: `UPDATE verifications SET status = ?, approved_at = ?, updated_at = ?, phone = COALESCE(phone, ?),
         country_code = COALESCE(country_code, ?), wa_user_id = COALESCE(?, wa_user_id)
       WHERE id = ? AND status = ? AND expires_at > ?`,
    parameters: [
      VerificationStatus.APPROVED,
      now,
      now,
      sender.phone,
      sender.countryCode,
      sender.waUserId,
      id,
      VerificationStatus.PENDING,
      now,
    ],
  };
}

/** A wrong code that cannot lock out: counted when `candidateHash` is not the stored code of a pending, unexpired, non-test verification of the app, with attempts to spare. */
function countWrongCodeStatement(
  appId: string,
  id: string,
  candidateHash: string,
  now: number,
): Statement {
  return {
    sql: `UPDATE verifications SET attempts = attempts + 1, updated_at = ?
       WHERE id = ? AND app_id = ? AND status = ? AND expires_at > ? AND is_test = 0
         AND code_hash IS NOT NULL AND code_hash <> ? AND attempts + 1 < max_attempts`,
    parameters: [now, id, appId, VerificationStatus.PENDING, now, candidateHash],
  };
}

export interface VerificationFilter {
  phone?: string;
  status?: VerificationStatus;
  flow?: Flow;
  cursor?: string;
  limit: number;
}

/**
 * Verification queries and state transitions. Every transition is one conditional UPDATE that only
 * moves a `pending` row, checked by the number of rows it affected — never read-modify-write.
 */
@Injectable()
export class VerificationRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private manager(manager?: EntityManager): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  insert(manager: EntityManager, verification: Verification): Promise<void> {
    return insertEntitiesDeferred(manager, Verification, [verification]);
  }

  async findForApp(
    appId: string,
    id: string,
    manager?: EntityManager,
  ): Promise<Verification | null> {
    const [found] = await findEntities(
      this.manager(manager),
      Verification,
      'id = ? AND app_id = ?',
      [id, appId],
    );
    return found ?? null;
  }

  async findById(id: string, manager?: EntityManager): Promise<Verification | null> {
    const [found] = await findEntities(this.manager(manager), Verification, 'id = ?', [id]);
    return found ?? null;
  }

  findLatestPendingByPhone(appId: string, phone: string): Promise<Verification | null> {
    return this.dataSource.getRepository(Verification).findOne({
      where: { appId, phone, status: VerificationStatus.PENDING },
      order: { createdAt: 'DESC', id: 'DESC' },
    });
  }

  /** One page, newest first, keyset-paginated by id (ids are time-ordered). */
  async listForApp(appId: string, filter: VerificationFilter): Promise<Verification[]> {
    const query = this.dataSource
      .getRepository(Verification)
      .createQueryBuilder('v')
      .where('v.app_id = :appId', { appId })
      .orderBy('v.id', 'DESC')
      .limit(filter.limit);
    if (filter.phone) query.andWhere('v.phone = :phone', { phone: filter.phone });
    if (filter.status) query.andWhere('v.status = :status', { status: filter.status });
    if (filter.flow) query.andWhere('v.flow = :flow', { flow: filter.flow });
    if (filter.cursor) query.andWhere('v.id < :cursor', { cursor: filter.cursor });
    return query.getMany();
  }

  /** Approves when the code hash still is `codeHash` and the verification is pending, unexpired and not locked out. */
  approveIfCodeMatches(
    manager: EntityManager,
    id: string,
    codeHash: string,
    now: number,
  ): Promise<number> {
    const approve = approveIfCodeMatchesStatement(id, codeHash, now);
    return execute(manager, approve.sql, approve.parameters);
  }

  /**
   * SQLite: {@link approveIfCodeMatches} returning the attempts of the row it approved (null when
   * it matched nothing), so the approval's audit event needs no read.
   */
  async approveIfCodeMatchesReturningAttempts(
    manager: EntityManager,
    id: string,
    codeHash: string,
    now: number,
  ): Promise<number | null> {
    const approve = approveIfCodeMatchesStatement(id, codeHash, now);
    const [approved] = (await manager.query(
      `${approve.sql} RETURNING attempts`,
      approve.parameters,
    )) as { attempts: number }[];
    return approved ? Number(approved.attempts) : null;
  }

  /**
   * MySQL: {@link approveIfCodeMatches} with `whenApproved` (writes guarded by
   * {@link APPROVED_IN_PACKET}: its counter, audit event and webhook) as one transaction in one
   * round trip. True when this call approved it.
   */
  async approveInOnePacket(
    id: string,
    codeHash: string,
    now: number,
    whenApproved: Statement[],
  ): Promise<boolean> {
    return this.approveWith([], approveIfCodeMatchesStatement(id, codeHash, now), whenApproved);
  }

  /** Approves a pending verification outright (inbound `confirm`), recording the sender. */
  approveInbound(
    manager: EntityManager,
    id: string,
    sender: InboundSender,
    now: number,
  ): Promise<number> {
    const approve = approveInboundStatement(id, sender, now);
    return execute(manager, approve.sql, approve.parameters);
  }

  /**
   * MySQL: {@link approveInbound} as one transaction in one round trip: `before` (unconditional
   * writes, e.g. the message's arrival event), the UPDATE, then `whenApproved` (writes guarded by
   * {@link APPROVED_IN_PACKET}). True when this call approved it.
   */
  async approveInboundInOnePacket(
    id: string,
    sender: InboundSender,
    now: number,
    before: Statement[],
    whenApproved: Statement[],
  ): Promise<boolean> {
    return this.approveWith(before, approveInboundStatement(id, sender, now), whenApproved);
  }

  /** `before`, the approving UPDATE, `SET @wv_approved = ROW_COUNT()`, `whenApproved`: one transaction, one packet; did it approve? */
  private async approveWith(
    before: Statement[],
    approve: Statement,
    whenApproved: Statement[],
  ): Promise<boolean> {
    const [row] = await runTransactionInOnePacket(
      this.dataSource,
      [
        ...before,
        approve,
        { sql: 'SET @wv_approved = ROW_COUNT()', parameters: [] },
        ...whenApproved,
      ],
      { sql: 'SELECT @wv_approved AS approved', parameters: [] },
    );
    return Number(row?.approved) === 1;
  }

  /**
   * MySQL: a check is one packet per transition ({@link countWrongCodeAndRead},
   * {@link approveInOnePacket}), an inbound confirmation one ({@link approveInboundInOnePacket}).
   */
  get transitionsInOnePacket(): boolean {
    return sendsPackets(this.dataSource);
  }

  /**
   * MySQL: a check's first round trip, one packet and one transaction. When `candidateHash` (the
   * hash of the code typed, computed before anything was read) is not the stored code of this
   * app's verification `id`, and the attempt cannot lock it out (pending, unexpired, not a test
   * number, a code sent, attempts to spare), the attempt is counted with `whenCounted` (writes
   * guarded by {@link COUNTED_IN_PACKET}, e.g. its audit event), and `counted` has the attempts as
   * the packet left them. Otherwise nothing was written, and the row `read` (null: no such
   * verification) tells the caller what the check is (a right code, the last attempt, expired,
   * not pending...).
   */
  async countWrongCodeAndRead(
    appId: string,
    id: string,
    candidateHash: string,
    now: number,
    whenCounted: Statement[],
  ): Promise<
    { counted: Pick<Verification, 'attempts' | 'maxAttempts'> } | { read: Verification | null }
  > {
    const manager = this.dataSource.manager;
    const [row] = await runTransactionInOnePacket(
      this.dataSource,
      [
        countWrongCodeStatement(appId, id, candidateHash, now),
        { sql: 'SET @wv_counted = ROW_COUNT()', parameters: [] },
        ...whenCounted,
      ],
      selectEntitiesStatement(
        manager,
        Verification,
        { extra: '@wv_counted AS wv_counted', join: '', where: 't.id = ? AND t.app_id = ?' },
        [id, appId],
      ),
    );
    if (!row) return { read: null };
    // Counted: the answer needs two numbers, not the whole entity (hydrating it costs more).
    if (Number(row.wv_counted) === 1)
      return { counted: { attempts: Number(row.attempts), maxAttempts: Number(row.max_attempts) } };
    return { read: hydrateEntities(manager, Verification, [row])[0].entity };
  }

  /**
   * SQLite (in-process: no round trips to save): the UPDATE of {@link countWrongCodeAndRead}, same
   * conditions, in the caller's transaction, returning the attempts as it left them; null when it
   * did not apply (the caller reads the row and decides).
   */
  async countWrongCode(
    manager: EntityManager,
    appId: string,
    id: string,
    candidateHash: string,
    now: number,
  ): Promise<Pick<Verification, 'attempts' | 'maxAttempts'> | null> {
    const update = countWrongCodeStatement(appId, id, candidateHash, now);
    const [counted] = (await manager.query(
      `${update.sql} RETURNING attempts, max_attempts`,
      update.parameters,
    )) as { attempts: number; max_attempts: number }[];
    return counted ? { attempts: counted.attempts, maxAttempts: counted.max_attempts } : null;
  }

  /** The attempts of verification `id` (plus `more`) as a SQL expression, read where it is evaluated (e.g. later in a packet). */
  attemptsOf(id: string, more = 0): Statement {
    return {
      sql: `(SELECT attempts${more ? ` + ${Math.trunc(more)}` : ''} FROM verifications WHERE id = ?)`,
      parameters: [id],
    };
  }

  /**
   * Counts a wrong code on a pending, unexpired verification (the last allowed attempt makes it
   * `max_attempts_reached`) and returns the row as this update left it; null when the update
   * matched nothing. `status` is assigned before `attempts` so both engines read the old attempt
   * count. On MySQL inside a transaction the UPDATE and the read go in one packet, the read telling
   * by `ROW_COUNT()` whether the update matched (pipelined-transactions.ts).
   */
  async recordFailedAttempt(
    manager: EntityManager,
    id: string,
    now: number,
  ): Promise<Verification | null> {
    const sql = `UPDATE verifications
       SET status = CASE WHEN attempts + 1 >= max_attempts THEN ? ELSE status END, attempts = attempts + 1, updated_at = ?
       WHERE id = ? AND status = ? AND expires_at > ? AND attempts < max_attempts`;
    const parameters = [
      VerificationStatus.MAX_ATTEMPTS_REACHED,
      now,
      id,
      VerificationStatus.PENDING,
      now,
    ];
    if (!isPipelined(manager.queryRunner)) {
      if ((await execute(manager, sql, parameters)) !== 1) return null;
      return this.findById(id, manager);
    }
    await executeDeferred(manager, sql, parameters);
    const [read] = await findEntitiesJoined(
      manager,
      Verification,
      { extra: 'ROW_COUNT() AS wv_changed', join: '', where: 't.id = ?' },
      [id],
    );
    return read && Number(read.row.wv_changed) === 1 ? read.entity : null;
  }

  expireIfDue(manager: EntityManager, id: string, now: number): Promise<number> {
    return execute(
      manager,
      `UPDATE verifications SET status = ?, updated_at = ? WHERE id = ? AND status = ? AND expires_at <= ?`,
      [VerificationStatus.EXPIRED, now, id, VerificationStatus.PENDING, now],
    );
  }

  cancelIfPending(manager: EntityManager, id: string, now: number): Promise<number> {
    return execute(
      manager,
      `UPDATE verifications SET status = ?, updated_at = ? WHERE id = ? AND status = ?`,
      [VerificationStatus.CANCELED, now, id, VerificationStatus.PENDING],
    );
  }

  /**
   * A code that no channel delivered: the verification becomes `failed`, only while it is pending
   * and `codeHash` is still its code (the send being recorded is the current one).
   */
  failIfPending(
    manager: EntityManager,
    id: string,
    codeHash: string,
    channel: Channel,
    error: string,
    errorCode: string | null,
    now: number,
  ): Promise<number> {
    return execute(
      manager,
      `UPDATE verifications SET status = ?, delivery_channel = ?, delivery_status = ?, delivery_message_id = NULL, delivery_error = ?, delivery_error_code = ?, updated_at = ?
       WHERE id = ? AND status = ? AND code_hash = ?`,
      [
        VerificationStatus.FAILED,
        channel,
        DeliveryStatus.FAILED,
        error.slice(0, 255),
        errorCode,
        now,
        id,
        VerificationStatus.PENDING,
        codeHash,
      ],
    );
  }

  /**
   * Claims a send: replaces the code hash (the old code stops working) and counts the send, only if
   * the verification is pending, unexpired, under its send limit and outside the cooldown.
   */
  claimSend(
    manager: EntityManager,
    id: string,
    codeHash: string,
    now: number,
    cooldownMs: number,
  ): Promise<number> {
    return execute(
      manager,
      `UPDATE verifications SET code_hash = ?, sends = sends + 1, last_sent_at = ?, updated_at = ?,
         delivery_status = ?, delivery_message_id = NULL, delivery_error = NULL, delivery_error_code = NULL
       WHERE id = ? AND status = ? AND expires_at > ? AND sends < max_sends AND (last_sent_at IS NULL OR last_sent_at <= ?)`,
      [
        codeHash,
        now,
        now,
        DeliveryStatus.QUEUED,
        id,
        VerificationStatus.PENDING,
        now,
        now - cooldownMs,
      ],
    );
  }

  /**
   * The outcome of a send, only while `codeHash` is still the code that was sent (a resend may
   * have replaced it). `errorCode`: the provider's code of a failure in this send; otherwise an
   * earlier one for the same code is kept (a new code clears it). The rows it changed (0: the code
   * was replaced); `answered` false: the caller needs no answer, so on MySQL inside a transaction it
   * travels with the next statement, at the latest COMMIT (null).
   */
  async recordDelivery(
    manager: EntityManager,
    id: string,
    codeHash: string,
    outcome: {
      channel: Channel;
      status: DeliveryStatus;
      messageId: string | null;
      error: string | null;
      errorCode: string | null;
    },
    now: number,
    answered = true,
  ): Promise<number | null> {
    const sql = `UPDATE verifications SET delivery_channel = ?, delivery_status = ?, delivery_message_id = ?, delivery_error = ?,
         delivery_error_code = COALESCE(?, delivery_error_code), updated_at = ?
       WHERE id = ? AND code_hash = ?`;
    const parameters = [
      outcome.channel,
      outcome.status,
      outcome.messageId,
      outcome.error ? outcome.error.slice(0, 255) : null,
      outcome.errorCode,
      now,
      id,
      codeHash,
    ];
    if (answered) return execute(manager, sql, parameters);
    await executeDeferred(manager, sql, parameters);
    return null;
  }

  /**
   * Issues a code for an inbound `code` verification: replaces the code hash (an older code stops
   * working), counts the send and records the sender, only while the verification is pending,
   * unexpired, under its send limit, outside the cooldown, and its phone is still `expectedPhone`
   * (null: nobody has written in yet, so a concurrent sender cannot take it over).
   */
  issueInboundCode(
    manager: EntityManager,
    id: string,
    codeHash: string,
    expectedPhone: string | null,
    sender: { phone: string; countryCode: string | null; waUserId: string | null },
    now: number,
    cooldownMs: number,
  ): Promise<number> {
    return execute(
      manager,
      `UPDATE verifications SET code_hash = ?, sends = sends + 1, last_sent_at = ?, updated_at = ?,
         phone = COALESCE(phone, ?), country_code = COALESCE(country_code, ?), wa_user_id = COALESCE(?, wa_user_id),
         delivery_status = ?, delivery_message_id = NULL, delivery_error = NULL, delivery_error_code = NULL
       WHERE id = ? AND status = ? AND expires_at > ? AND sends < max_sends AND (last_sent_at IS NULL OR last_sent_at <= ?)
         AND ${expectedPhone === null ? 'phone IS NULL' : 'phone = ?'}`,
      [
        codeHash,
        now,
        now,
        sender.phone,
        sender.countryCode,
        sender.waUserId,
        DeliveryStatus.QUEUED,
        id,
        VerificationStatus.PENDING,
        now,
        now - cooldownMs,
        ...(expectedPhone === null ? [] : [expectedPhone]),
      ],
    );
  }

  /** A message we sent, by the provider's id for it (delivery status callbacks). */
  findMessageByProviderId(
    provider: string,
    providerMessageId: string,
  ): Promise<VerificationMessage | null> {
    return this.dataSource.manager.findOneBy(VerificationMessage, { provider, providerMessageId });
  }

  /** Moves a sent message's status forward only (DELIVERY_STATUS_RANK): a late `sent` never overwrites `read`; `failed` wins. */
  advanceMessageStatus(
    manager: EntityManager,
    messageId: string,
    status: DeliveryStatus,
    error: string | null,
    now: number,
  ): Promise<number> {
    return execute(
      manager,
      `UPDATE verification_messages SET status = ?, error = COALESCE(?, error), updated_at = ?
       WHERE id = ? AND ${deliveryRankSql('status')} < ?`,
      [status, error ? error.slice(0, 255) : null, now, messageId, DELIVERY_STATUS_RANK[status]],
    );
  }

  /** Moves the delivery status forward, only while `providerMessageId` is the verification's current delivery message. */
  advanceDeliveryStatus(
    manager: EntityManager,
    id: string,
    providerMessageId: string,
    status: DeliveryStatus,
    error: string | null,
    errorCode: string | null,
    now: number,
  ): Promise<number> {
    return execute(
      manager,
      `UPDATE verifications SET delivery_status = ?, delivery_error = COALESCE(?, delivery_error),
         delivery_error_code = COALESCE(?, delivery_error_code), updated_at = ?
       WHERE id = ? AND delivery_message_id = ? AND (delivery_status IS NULL OR ${deliveryRankSql('delivery_status')} < ?)`,
      [
        status,
        error ? error.slice(0, 255) : null,
        errorCode,
        now,
        id,
        providerMessageId,
        DELIVERY_STATUS_RANK[status],
      ],
    );
  }
}

/** SQL rank of a delivery status column, from the DELIVERY_STATUS_RANK constants (unknown values rank lowest). */
function deliveryRankSql(column: string): string {
  const cases = Object.entries(DELIVERY_STATUS_RANK).map(
    ([status, rank]) => `WHEN '${status}' THEN ${rank}`,
  );
  return `(CASE ${column} ${cases.join(' ')} ELSE -1 END)`;
}
