import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { findEntities, insertEntities } from '../../database/entity-sql';
import { execute } from '../../database/sql';
import { DeliveryStep, DeliveryStepReason } from './delivery-step.entity';

/**
 * Scheduled delivery steps. One row per verification at most; a worker claims a due row by moving
 * `due_at` ahead by a lease under a fresh token (one conditional UPDATE, checked by affected rows),
 * and every later write of that run matches the token, so two instances never run the same step.
 */
@Injectable()
export class DeliveryStepRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Replaces the verification's scheduled step (none or an older one) with `step`. */
  async schedule(manager: EntityManager, step: DeliveryStep): Promise<void> {
    await this.clear(manager, step.verificationId);
    await this.insert(manager, step);
  }

  /** Adds the step of a verification that has none. */
  insert(manager: EntityManager, step: DeliveryStep): Promise<void> {
    return insertEntities(manager, DeliveryStep, [step]);
  }

  /**
   * Drops the verification's scheduled step unless a worker has claimed it; true when the
   * verification is left without a step (so the caller may schedule the next one).
   */
  async clearUnclaimed(manager: EntityManager, verificationId: string): Promise<boolean> {
    const deleted = await execute(
      manager,
      'DELETE FROM delivery_steps WHERE verification_id = ? AND lease_token IS NULL',
      [verificationId],
    );
    return deleted > 0 || (await this.find(verificationId, manager)) === null;
  }

  /** Drops the verification's scheduled step, if any. */
  async clear(manager: EntityManager, verificationId: string): Promise<void> {
    await execute(manager, 'DELETE FROM delivery_steps WHERE verification_id = ?', [
      verificationId,
    ]);
  }

  /** Drops the step a worker claimed; 1 when the claim still held (nobody took it over meanwhile). */
  release(manager: EntityManager, verificationId: string, leaseToken: string): Promise<number> {
    return execute(
      manager,
      'DELETE FROM delivery_steps WHERE verification_id = ? AND lease_token = ?',
      [verificationId, leaseToken],
    );
  }

  /** The person got a message: a pending step timeout no longer applies (a throttled retry stays). */
  cancelTimeout(manager: EntityManager, verificationId: string): Promise<number> {
    return execute(
      manager,
      'DELETE FROM delivery_steps WHERE verification_id = ? AND reason = ? AND lease_token IS NULL',
      [verificationId, DeliveryStepReason.TIMEOUT],
    );
  }

  async find(verificationId: string, manager?: EntityManager): Promise<DeliveryStep | null> {
    const [found] = await findEntities(
      manager ?? this.dataSource.manager,
      DeliveryStep,
      'verification_id = ?',
      [verificationId],
    );
    return found ?? null;
  }

  /** Verification ids of due steps, oldest first (served by `idx_delivery_steps_due`). */
  async findDueIds(now: number, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT verification_id AS id FROM delivery_steps WHERE due_at <= ? ORDER BY due_at LIMIT ${Number(limit)}`,
      [now],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Claims the verification's step if it is due (`due_at <= now`), or at once whatever its due time
   * when `evenIfNotDue` (a `failed` status moves on without waiting for the timeout). The lease moves
   * `due_at` to `now + leaseMs`: a worker that dies mid-run leaves the step to another after that.
   */
  claim(
    verificationId: string,
    now: number,
    leaseMs: number,
    leaseToken: string,
    evenIfNotDue = false,
  ): Promise<number> {
    return execute(
      this.dataSource.manager,
      `UPDATE delivery_steps SET due_at = ?, lease_token = ?
       WHERE verification_id = ? AND (due_at <= ?${evenIfNotDue ? ' OR lease_token IS NULL' : ''})`,
      [now + leaseMs, leaseToken, verificationId, now],
    );
  }
}
