import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { newId } from '../common/ids';
import { execute } from '../database/sql';
import { WebhookAttempt } from './entities/webhook-attempt.entity';
import { WebhookDelivery, WebhookDeliveryStatus } from './entities/webhook-delivery.entity';

/** A delivery this instance holds the lease of; `leaseToken` fences every later write. */
export interface LeasedDelivery {
  delivery: WebhookDelivery;
  leaseToken: string;
}

export interface DeliveryFilter {
  status?: WebhookDeliveryStatus;
  cursor?: string;
  limit: number;
}

/** An attempt's outcome as written back under the lease. */
export interface AttemptRecord {
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  at: number;
}

/** Apps per candidate query (SQLite allows at most 500 terms in a compound SELECT). */
const PICK_CHUNK = 100;

const DUE = `status = '${WebhookDeliveryStatus.PENDING}' AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until < ?)`;

/** Storage of the client-webhook outbox: leasing due rows, writing attempts back, and the app-scoped reads. */
@Injectable()
export class WebhookDeliveryRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The apps that have deliveries due now, in app id order (the dispatcher rotates through them).
   * One query whatever the number of apps.
   * A covering range scan of `idx_webhook_deliveries_pending_app` over pending rows only, on SQLite
   * and MariaDB alike: its cost follows the backlog, never the delivered history.
   */
  async appsWithDueWork(now: number): Promise<string[]> {
    const rows: { app_id: string }[] = await this.dataSource.query(
      `SELECT app_id FROM webhook_deliveries WHERE status = '${WebhookDeliveryStatus.PENDING}' AND next_attempt_at <= ? GROUP BY status, app_id`,
      [now],
    );
    // Sorted here (binary order) rather than by the database's collation, so rotation is the same on every engine.
    return rows.map((row) => row.app_id).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /**
   * Leases, for each app of `allotments`, up to its allotment of due deliveries in due order
   * (`next_attempt_at`, then id). Candidates come from one query per {@link PICK_CHUNK} apps, a
   * UNION ALL of bounded per-app picks on `idx_webhook_deliveries_pending_app`. Each lease is one
   * conditional UPDATE checked by affected rows, so of several instances polling one database exactly
   * one wins each row (SQLite and MySQL/MariaDB alike). A lease that is never released (crash,
   * kill -9) expires at `leaseUntil`. Returned in the order of `allotments`, then due order.
   */
  async leaseDue(
    now: number,
    allotments: ReadonlyMap<string, number>,
    leaseUntil: number,
    newToken: () => string,
  ): Promise<LeasedDelivery[]> {
    const apps = [...allotments.entries()].filter(([, n]) => n > 0);
    const candidates: { id: string; app_id: string }[] = [];
    for (let i = 0; i < apps.length; i += PICK_CHUNK) {
      const chunk = apps.slice(i, i + PICK_CHUNK);
      const picks = chunk.map(
        ([, n], k) =>
          `SELECT id, app_id FROM (SELECT id, app_id FROM webhook_deliveries WHERE status = '${WebhookDeliveryStatus.PENDING}' AND app_id = ? AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until < ?) ORDER BY next_attempt_at, id LIMIT ${Math.floor(n) + 2}) pick${k}`,
      );
      candidates.push(
        ...((await this.dataSource.query(
          picks.join(' UNION ALL '),
          chunk.flatMap(([appId]) => [appId, now, now]),
        )) as { id: string; app_id: string }[]),
      );
    }
    const tokens = new Map<string, string>();
    const won = new Map<string, number>();
    for (const { id, app_id: appId } of candidates) {
      if ((won.get(appId) ?? 0) >= (allotments.get(appId) ?? 0)) continue;
      const token = newToken();
      const changed = await execute(
        this.dataSource.manager,
        `UPDATE webhook_deliveries SET locked_until = ?, locked_by = ?, updated_at = ? WHERE id = ? AND ${DUE}`,
        [leaseUntil, token, now, id, now, now],
      );
      if (changed !== 1) continue;
      tokens.set(id, token);
      won.set(appId, (won.get(appId) ?? 0) + 1);
    }
    if (tokens.size === 0) return [];
    const rows = await this.dataSource
      .getRepository(WebhookDelivery)
      .findBy({ id: In([...tokens.keys()]) });
    const order = new Map(apps.map(([appId], i) => [appId, i]));
    return rows
      .filter((row) => row.lockedBy === tokens.get(row.id))
      .sort(
        (a, b) =>
          order.get(a.appId)! - order.get(b.appId)! ||
          a.nextAttemptAt - b.nextAttemptAt ||
          (a.id < b.id ? -1 : 1),
      )
      .map((delivery) => ({ delivery, leaseToken: tokens.get(delivery.id)! }));
  }

  /** Marks the leased delivery succeeded. Returns false when the lease was lost (nothing written). */
  markSucceeded(
    manager: EntityManager,
    lease: LeasedDelivery,
    attempt: AttemptRecord,
  ): Promise<boolean> {
    return this.writeBack(
      manager,
      lease,
      attempt,
      `status = ?, delivered_at = ?, next_attempt_at = ?`,
      [WebhookDeliveryStatus.SUCCEEDED, attempt.at, attempt.at],
    );
  }

  /** Schedules the next attempt of the leased delivery. Returns false when the lease was lost. */
  markRetry(
    manager: EntityManager,
    lease: LeasedDelivery,
    attempt: AttemptRecord,
    nextAttemptAt: number,
  ): Promise<boolean> {
    return this.writeBack(manager, lease, attempt, `status = ?, next_attempt_at = ?`, [
      WebhookDeliveryStatus.PENDING,
      nextAttemptAt,
    ]);
  }

  /** Gives up on the leased delivery (schedule used up). Returns false when the lease was lost. */
  markFailed(
    manager: EntityManager,
    lease: LeasedDelivery,
    attempt: AttemptRecord,
  ): Promise<boolean> {
    return this.writeBack(manager, lease, attempt, `status = ?`, [WebhookDeliveryStatus.FAILED]);
  }

  /** Hands a lease back without counting an attempt (shutdown while a request was in flight). */
  async releaseLease(lease: LeasedDelivery, now: number): Promise<void> {
    await execute(
      this.dataSource.manager,
      'UPDATE webhook_deliveries SET locked_until = NULL, locked_by = NULL, updated_at = ? WHERE id = ? AND locked_by = ?',
      [now, lease.delivery.id, lease.leaseToken],
    );
  }

  /** Makes a failed or pending delivery of the app due now, keeping its id (and any lease in force). False when there is none such. */
  async requestRetry(
    manager: EntityManager,
    appId: string,
    id: string,
    now: number,
  ): Promise<boolean> {
    const changed = await execute(
      manager,
      'UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?, updated_at = ? WHERE id = ? AND app_id = ? AND status IN (?, ?)',
      [
        WebhookDeliveryStatus.PENDING,
        now,
        now,
        id,
        appId,
        WebhookDeliveryStatus.PENDING,
        WebhookDeliveryStatus.FAILED,
      ],
    );
    return changed === 1;
  }

  findForApp(
    appId: string,
    id: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<WebhookDelivery | null> {
    return manager.getRepository(WebhookDelivery).findOneBy({ id, appId });
  }

  /** Newest first, keyset by id (ids are time-ordered). */
  listForApp(appId: string, filter: DeliveryFilter): Promise<WebhookDelivery[]> {
    const query = this.dataSource
      .getRepository(WebhookDelivery)
      .createQueryBuilder('d')
      .where('d.app_id = :appId', { appId })
      .orderBy('d.id', 'DESC')
      .limit(filter.limit);
    if (filter.status) query.andWhere('d.status = :status', { status: filter.status });
    if (filter.cursor) query.andWhere('d.id < :cursor', { cursor: filter.cursor });
    return query.getMany();
  }

  attemptsOf(deliveryId: string): Promise<WebhookAttempt[]> {
    return this.dataSource
      .getRepository(WebhookAttempt)
      .find({ where: { deliveryId }, order: { attempt: 'ASC', createdAt: 'ASC' } });
  }

  /** Fenced write-back: only the holder of the lease may count the attempt and move the row. */
  private async writeBack(
    manager: EntityManager,
    lease: LeasedDelivery,
    attempt: AttemptRecord,
    set: string,
    params: unknown[],
  ): Promise<boolean> {
    const number = lease.delivery.attempts + 1;
    const changed = await execute(
      manager,
      `UPDATE webhook_deliveries SET ${set}, attempts = ?, last_status_code = ?, last_error = ?, locked_until = NULL, locked_by = NULL, updated_at = ?
       WHERE id = ? AND locked_by = ?`,
      [
        ...params,
        number,
        attempt.statusCode,
        truncate(attempt.error),
        attempt.at,
        lease.delivery.id,
        lease.leaseToken,
      ],
    );
    if (changed !== 1) return false;
    const row: WebhookAttempt = {
      id: newId(),
      deliveryId: lease.delivery.id,
      attempt: number,
      statusCode: attempt.statusCode,
      latencyMs: Math.max(0, Math.round(attempt.latencyMs)),
      error: truncate(attempt.error),
      createdAt: attempt.at,
    };
    await manager.insert(WebhookAttempt, row);
    return true;
  }
}

function truncate(text: string | null): string | null {
  return text === null ? null : text.length > 500 ? `${text.slice(0, 497)}...` : text;
}
