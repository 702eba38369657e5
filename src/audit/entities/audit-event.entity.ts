import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs, jsonText } from '../../common/columns';

export type ActorType = 'api_key' | 'admin' | 'provider' | 'system' | 'cli';

/** Append-only trail. No API path updates or deletes these rows; only the retention purge does. */
@Entity('audit_events')
@Index('idx_audit_events_verification', ['verificationId', 'id'])
@Index('idx_audit_events_app', ['appId', 'id'])
@Index('idx_audit_events_app_type', ['appId', 'type', 'id'])
@Index('idx_audit_events_created', ['createdAt'])
export class AuditEvent {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 64 })
  type: string;

  @Column({ name: 'app_id', type: 'varchar', length: 36, nullable: true })
  appId: string | null;

  @Column({ name: 'verification_id', type: 'varchar', length: 36, nullable: true })
  verificationId: string | null;

  @Column({ name: 'actor_type', type: 'varchar', length: 16 })
  actorType: ActorType;

  @Column({ name: 'actor_id', type: 'varchar', length: 64, nullable: true })
  actorId: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ type: 'text', nullable: true, transformer: jsonText })
  data: Record<string, unknown> | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: number;
}
