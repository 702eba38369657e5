import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../../common/columns';
import { Channel, DeliveryStatus } from '../verification.types';

/** What a message was for; only `code` messages may fall back to SMS. */
export enum MessagePurpose {
  CODE = 'code',
  CONFIRMATION = 'confirmation',
  REFUSAL = 'refusal',
  HELP = 'help',
}

/** Every message sent for a verification, with the channel that carried it and its delivery status. */
@Entity('verification_messages')
@Index('idx_verification_messages_verification', ['verificationId', 'createdAt'])
@Index('uq_verification_messages_provider_id', ['provider', 'providerMessageId'], { unique: true })
export class VerificationMessage {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'verification_id', type: 'varchar', length: 36 })
  verificationId: string;

  @Column({ name: 'app_id', type: 'varchar', length: 36 })
  appId: string;

  @Column({ type: 'varchar', length: 16 })
  channel: Channel;

  @Column({ type: 'varchar', length: 16 })
  provider: string;

  @Column({ type: 'varchar', length: 16 })
  purpose: MessagePurpose;

  /** What was sent: `code` (a template on Meta) or free-form `text`; null for rows from before it was kept. */
  @Column({ type: 'varchar', length: 8, nullable: true })
  kind: 'code' | 'text' | null;

  /** Index of the verification's delivery-plan step that sent it (null: a reply, or a one-off resend). */
  @Column({ name: 'plan_step', type: 'int', nullable: true })
  planStep: number | null;

  @Column({ name: 'provider_message_id', type: 'varchar', length: 191, nullable: true })
  providerMessageId: string | null;

  @Column({ type: 'varchar', length: 16 })
  status: DeliveryStatus;

  @Column({ type: 'varchar', length: 255, nullable: true })
  error: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: number;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs })
  updatedAt: number;
}
