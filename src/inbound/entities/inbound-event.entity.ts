import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../../common/columns';

export enum InboundEventStatus {
  PENDING = 'pending',
  PROCESSED = 'processed',
  FAILED = 'failed',
}

/**
 * Inbox of provider notifications (one row per inbound message or status event). The raw event is
 * stored before it is processed, and the unique `dedupe_key` makes a redelivered notification a no-op.
 */
@Entity('inbound_events')
@Index('uq_inbound_events_dedupe', ['dedupeKey'], { unique: true })
@Index('idx_inbound_events_status_next', ['status', 'nextAttemptAt'])
export class InboundEvent {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 16 })
  provider: string;

  /** `message` or `status`. */
  @Column({ type: 'varchar', length: 16 })
  kind: string;

  /** provider + kind + provider id (+ status for status events). */
  @Column({ name: 'dedupe_key', type: 'varchar', length: 191 })
  dedupeKey: string;

  /** The typed event (JSON) parsed from the verified webhook body. */
  @Column({ type: 'text' })
  payload: string;

  @Column({ type: 'varchar', length: 16 })
  status: InboundEventStatus;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ name: 'next_attempt_at', type: 'bigint', transformer: epochMs })
  nextAttemptAt: number;

  @Column({ name: 'locked_until', type: 'bigint', nullable: true, transformer: epochMs })
  lockedUntil: number | null;

  /** Random token of the worker holding the lease; completion writes only match it. */
  @Column({ name: 'lease_token', type: 'varchar', length: 64, nullable: true })
  leaseToken: string | null;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: number;

  @Column({ name: 'processed_at', type: 'bigint', nullable: true, transformer: epochMs })
  processedAt: number | null;
}
