import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * What became of the verifications an app created on one UTC day (`day`: days since 1970-01-01),
 * per country (ISO alpha-2, `ZZ` unknown), channel and flow, as first asked. Kept as things happen.
 */
@Entity('conversion_counters')
export class ConversionCounter {
  @PrimaryColumn({ name: 'app_id', type: 'varchar', length: 36 })
  appId: string;

  @PrimaryColumn({ type: 'int' })
  day: number;

  @PrimaryColumn({ type: 'varchar', length: 2 })
  country: string;

  @PrimaryColumn({ type: 'varchar', length: 16 })
  channel: string;

  @PrimaryColumn({ type: 'varchar', length: 16 })
  flow: string;

  @Column({ name: 'created_count', type: 'int', default: 0 })
  created: number;

  @Column({ name: 'sent_count', type: 'int', default: 0 })
  sent: number;

  @Column({ name: 'delivered_count', type: 'int', default: 0 })
  delivered: number;

  @Column({ name: 'read_count', type: 'int', default: 0 })
  read: number;

  @Column({ name: 'approved_count', type: 'int', default: 0 })
  approved: number;

  @Column({ name: 'expired_count', type: 'int', default: 0 })
  expired: number;

  @Column({ name: 'failed_count', type: 'int', default: 0 })
  failed: number;

  @Column({ name: 'canceled_count', type: 'int', default: 0 })
  canceled: number;

  @Column({ name: 'billed_count', type: 'int', default: 0 })
  billed: number;

  /** Sum of known billed amounts in millionths of the price table's currency; null while none is known. */
  @Column({ name: 'cost_micros', type: 'bigint', nullable: true })
  costMicros: string | null;
}
