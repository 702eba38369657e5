import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { App } from '../apps/entities/app.entity';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { insertEntitiesDeferred, insertEntityWhereStatement } from '../database/entity-sql';
import { Statement } from '../database/pipelined-transactions';
import { Verification } from '../verification/entities/verification.entity';
import { toVerificationView } from '../verification/verification.view';
import { WebhookDelivery, WebhookDeliveryStatus } from './entities/webhook-delivery.entity';
import { WebhookEventType } from './webhook-events';

/**
 * Transactional outbox: call {@link enqueue} with the manager of the transaction that makes the
 * state change, so an event exists exactly when the change was committed. The dispatcher sends it.
 */
@Injectable()
export class WebhookOutbox {
  constructor(
    private readonly clock: Clock,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** Queues `type` for the app's webhook URL; a no-op for apps without one. */
  async enqueue(
    manager: EntityManager,
    app: Pick<App, 'id' | 'webhookUrl'>,
    type: WebhookEventType,
    verification: Verification,
  ): Promise<void> {
    if (!app.webhookUrl) return;
    await insertEntitiesDeferred(manager, WebhookDelivery, [
      this.delivery(app, type, verification),
    ]);
  }

  /**
   * MySQL, a transaction sent as one packet (runTransactionInOnePacket): the statement of
   * {@link enqueue}, inserting only when `condition` (SQL, no values) holds; none without a
   * webhook URL.
   */
  enqueueWhere(
    app: Pick<App, 'id' | 'webhookUrl'>,
    type: WebhookEventType,
    verification: Verification,
    condition: string,
  ): Statement[] {
    if (!app.webhookUrl) return [];
    return [
      insertEntityWhereStatement(
        this.dataSource.manager,
        WebhookDelivery,
        this.delivery(app, type, verification),
        condition,
      ),
    ];
  }

  private delivery(
    app: Pick<App, 'id'>,
    type: WebhookEventType,
    verification: Verification,
  ): WebhookDelivery {
    const now = this.clock.now();
    const timestamp = new Date(now).toISOString();
    return {
      id: `msg_${newId().replace(/-/g, '')}`,
      appId: app.id,
      verificationId: verification.id,
      type,
      payload: JSON.stringify({ type, timestamp, data: toVerificationView(verification) }),
      status: WebhookDeliveryStatus.PENDING,
      attempts: 0,
      nextAttemptAt: now,
      lockedUntil: null,
      lockedBy: null,
      lastStatusCode: null,
      lastError: null,
      createdAt: now,
      updatedAt: now,
      deliveredAt: null,
    };
  }
}
