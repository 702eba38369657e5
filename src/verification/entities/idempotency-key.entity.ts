import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../../common/columns';

/** `Idempotency-Key` of a create request, kept 24 h: same key and body → same verification. */
@Entity('idempotency_keys')
@Index('uq_idempotency_keys_app_key', ['appId', 'keyHash'], { unique: true })
@Index('idx_idempotency_keys_expires', ['expiresAt'])
export class IdempotencyKey {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'app_id', type: 'varchar', length: 36 })
  appId: string;

  /** SHA-256 of the client's key (keys may be long or contain anything). */
  @Column({ name: 'key_hash', type: 'varchar', length: 64 })
  keyHash: string;

  @Column({ name: 'request_hash', type: 'varchar', length: 64 })
  requestHash: string;

  @Column({ name: 'verification_id', type: 'varchar', length: 36 })
  verificationId: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: number;

  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt: number;
}
