import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '../../common/columns';

/** Verifications created per app, country calling code and hour: the velocity guard's baseline. */
@Entity('velocity_counters')
export class VelocityCounter {
  @PrimaryColumn({ name: 'app_id', type: 'varchar', length: 36 })
  appId: string;

  @PrimaryColumn({ name: 'calling_code', type: 'varchar', length: 4 })
  callingCode: string;

  @PrimaryColumn({ name: 'hour_start', type: 'bigint', transformer: epochMs })
  hourStart: number;

  @Column({ type: 'int' })
  count: number;
}
