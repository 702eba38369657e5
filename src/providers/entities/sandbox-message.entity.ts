import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../../common/columns';

/** What the sandbox provider "sent" (development only). */
@Entity('sandbox_messages')
@Index('idx_sandbox_messages_to', ['to', 'id'])
export class SandboxMessage {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'to_address', type: 'varchar', length: 64 })
  to: string;

  @Column({ type: 'varchar', length: 16 })
  channel: string;

  @Column({ type: 'text' })
  text: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: number;
}
