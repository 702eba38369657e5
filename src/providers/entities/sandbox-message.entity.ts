import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../../common/columns';

/** What the sandbox provider "sent" (development only). */
@Entity('sandbox_messages')
@Index('idx_sandbox_messages_app_created', ['appId', 'createdAt', 'id'])
@Index('idx_sandbox_messages_app_to_created', ['appId', 'to', 'createdAt', 'id'])
export class SandboxMessage {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  /** The app the message was sent for; null for messages without one (listed to nobody). */
  @Column({ name: 'app_id', type: 'varchar', length: 36, nullable: true })
  appId: string | null;

  @Column({ name: 'to_address', type: 'varchar', length: 64 })
  to: string;

  @Column({ type: 'varchar', length: 16 })
  channel: string;

  @Column({ type: 'text' })
  text: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: number;
}
