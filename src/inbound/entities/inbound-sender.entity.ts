import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '../../common/columns';

/** Per-sender state for the inbound channel: help replies at most hourly, and a message rate window. */
@Entity('inbound_senders')
export class InboundSender {
  /** Provider + normalised phone or WhatsApp user id. */
  @PrimaryColumn({ name: 'sender_key', type: 'varchar', length: 191 })
  senderKey: string;

  @Column({ name: 'last_help_at', type: 'bigint', nullable: true, transformer: epochMs })
  lastHelpAt: number | null;

  @Column({ name: 'window_start', type: 'bigint', transformer: epochMs })
  windowStart: number;

  @Column({ name: 'window_count', type: 'int' })
  windowCount: number;
}
