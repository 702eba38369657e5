import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../../common/columns';

/** A country calling code blocked for one app by the velocity guard, until `blockedUntil`. */
@Entity('country_blocks')
@Index('idx_country_blocks_app_code', ['appId', 'callingCode', 'blockedUntil'])
export class CountryBlock {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'app_id', type: 'varchar', length: 36 })
  appId: string;

  @Column({ name: 'calling_code', type: 'varchar', length: 4 })
  callingCode: string;

  @Column({ name: 'blocked_until', type: 'bigint', transformer: epochMs })
  blockedUntil: number;

  @Column({ type: 'varchar', length: 255 })
  reason: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: number;
}
