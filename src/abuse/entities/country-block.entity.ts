import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../../common/columns';

export type CountryBlockKind = 'velocity' | 'low_conversion';

/** A country calling code blocked for one app by a fraud guard, until `blockedUntil` (a lift sets it to the lift time). */
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

  /** Human-readable detail of why (counts, threshold). */
  @Column({ type: 'varchar', length: 255 })
  reason: string;

  /** Which guard set it: `velocity` or `low_conversion`. */
  @Column({ type: 'varchar', length: 32, default: 'velocity' })
  kind: CountryBlockKind;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: number;
}
