import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../../common/columns';

export enum WebhookDeliveryStatus {
  PENDING = 'pending',
  SUCCEEDED = 'succeeded',
  FAILED = 'failed',
}

/**
 * Transactional outbox of client webhooks: written in the same transaction as the state change it
 * reports; its id is the `webhook-id` of every attempt.
 */
@Entity('webhook_deliveries')
@Index('idx_webhook_deliveries_due', ['status', 'nextAttemptAt'])
@Index('idx_webhook_deliveries_app', ['appId', 'id'])
@Index('idx_webhook_deliveries_app_status', ['appId', 'status', 'id'])
@Index('idx_webhook_deliveries_pending_app', ['status', 'appId', 'nextAttemptAt', 'id'])
export class WebhookDelivery {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ name: 'app_id', type: 'varchar', length: 36 })
  appId: string;

  @Column({ name: 'verification_id', type: 'varchar', length: 36, nullable: true })
  verificationId: string | null;

  @Column({ type: 'varchar', length: 64 })
  type: string;

  /** The exact JSON body sent on every attempt. */
  @Column({ type: 'text' })
  payload: string;

  @Column({ type: 'varchar', length: 16 })
  status: WebhookDeliveryStatus;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ name: 'next_attempt_at', type: 'bigint', transformer: epochMs })
  nextAttemptAt: number;

  /** Lease: while in the future, one dispatcher owns the row. */
  @Column({ name: 'locked_until', type: 'bigint', nullable: true, transformer: epochMs })
  lockedUntil: number | null;

  @Column({ name: 'locked_by', type: 'varchar', length: 64, nullable: true })
  lockedBy: string | null;

  @Column({ name: 'last_status_code', type: 'int', nullable: true })
  lastStatusCode: number | null;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: number;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs })
  updatedAt: number;

  @Column({ name: 'delivered_at', type: 'bigint', nullable: true, transformer: epochMs })
  deliveredAt: number | null;
}
