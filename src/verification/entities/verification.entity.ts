import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs, intBoolean, jsonText } from '../../common/columns';
import {
  Channel,
  DeliveryStatus,
  Flow,
  InboundReply,
  VerificationStatus,
  WorkflowStep,
} from '../verification.types';

@Entity('verifications')
@Index('idx_verifications_app_phone_created', ['appId', 'phone', 'createdAt'])
@Index('idx_verifications_app_id', ['appId', 'id'])
@Index('idx_verifications_status_expires', ['status', 'expiresAt'])
export class Verification {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'app_id', type: 'varchar', length: 36 })
  appId: string;

  @Column({ type: 'varchar', length: 16 })
  flow: Flow;

  /** E.164; null for an inbound verification until someone writes in. */
  @Column({ type: 'varchar', length: 20, nullable: true })
  phone: string | null;

  /** Country calling code of `phone` (e.g. `62`). */
  @Column({ name: 'country_code', type: 'varchar', length: 4, nullable: true })
  countryCode: string | null;

  @Column({ type: 'varchar', length: 16 })
  channel: Channel;

  @Column({ name: 'fallback_channels', type: 'varchar', length: 64, transformer: jsonText })
  fallbackChannels: Channel[];

  /** The channel workflow asked at creation (steps with timeouts); null: `channel` + `fallbackChannels`. */
  @Column({ type: 'text', nullable: true, transformer: jsonText })
  workflow: WorkflowStep[] | null;

  @Column({ type: 'varchar', length: 16 })
  locale: string;

  @Column({ name: 'code_length', type: 'int' })
  codeLength: number;

  @Column({ type: 'varchar', length: 24 })
  status: VerificationStatus;

  /** Hash of the current code (see CodeHasher); null until a code is issued. */
  @Column({ name: 'code_hash', type: 'varchar', length: 100, nullable: true })
  codeHash: string | null;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ name: 'max_attempts', type: 'int' })
  maxAttempts: number;

  @Column({ type: 'int', default: 0 })
  sends: number;

  @Column({ name: 'max_sends', type: 'int' })
  maxSends: number;

  @Column({ name: 'last_sent_at', type: 'bigint', nullable: true, transformer: epochMs })
  lastSentAt: number | null;

  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt: number;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: number;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs })
  updatedAt: number;

  @Column({ name: 'approved_at', type: 'bigint', nullable: true, transformer: epochMs })
  approvedAt: number | null;

  @Column({ type: 'text', nullable: true, transformer: jsonText })
  metadata: Record<string, unknown> | null;

  /** WhatsApp business-scoped user id of the sender, when WhatsApp hid the phone. */
  @Column({ name: 'wa_user_id', type: 'varchar', length: 128, nullable: true })
  waUserId: string | null;

  @Column({ name: 'inbound_reply', type: 'varchar', length: 16, nullable: true })
  inboundReply: InboundReply | null;

  /** SHA-256 of the normalised inbound token (inbound flow only). */
  @Index('uq_verifications_token_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'varchar', length: 64, nullable: true })
  tokenHash: string | null;

  /**
   * Created for one of the app's test numbers: no message was sent, the code is the fixed one, and
   * it is left out of limits and (later) conversion counts.
   */
  @Column({ name: 'is_test', type: 'int', default: 0, transformer: intBoolean })
  isTest: boolean;

  @Column({ name: 'delivery_channel', type: 'varchar', length: 16, nullable: true })
  deliveryChannel: Channel | null;

  @Column({ name: 'delivery_status', type: 'varchar', length: 16, nullable: true })
  deliveryStatus: DeliveryStatus | null;

  @Column({ name: 'delivery_message_id', type: 'varchar', length: 191, nullable: true })
  deliveryMessageId: string | null;

  @Column({ name: 'delivery_error', type: 'varchar', length: 255, nullable: true })
  deliveryError: string | null;

  /** The provider's error code of the latest failure while delivering the current code (`131026`). */
  @Column({ name: 'delivery_error_code', type: 'varchar', length: 32, nullable: true })
  deliveryErrorCode: string | null;
}
