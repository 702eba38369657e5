import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../../common/columns';

/**
 * One counted verification: the counter key it was created under, the outcomes it reached
 * (`flags`, see ConversionFlag: each set once, whatever repeats or races) and those already added
 * to `conversion_counters` (`counted`). A transition only sets its flag and `unfolded`; the fold
 * (ConversionFolder) adds `flags` not yet `counted` to the counters in batches.
 */
@Entity('conversion_marks')
@Index('idx_conversion_marks_app_code_created', ['appId', 'callingCode', 'createdAt'])
@Index('idx_conversion_marks_unfolded', ['unfolded'])
export class ConversionMark {
  @PrimaryColumn({ name: 'verification_id', type: 'varchar', length: 36 })
  verificationId: string;

  @Column({ name: 'app_id', type: 'varchar', length: 36 })
  appId: string;

  @Column({ type: 'int' })
  day: number;

  @Column({ type: 'varchar', length: 2 })
  country: string;

  @Column({ name: 'calling_code', type: 'varchar', length: 4, nullable: true })
  callingCode: string | null;

  @Column({ type: 'varchar', length: 16 })
  channel: string;

  @Column({ type: 'varchar', length: 16 })
  flow: string;

  @Column({ type: 'int', default: 0 })
  flags: number;

  /** The flags already added to the counters (a subset of `flags`). */
  @Column({ type: 'int', default: 0 })
  counted: number;

  /** 1 while some flag is not counted yet (what the fold looks for, indexed). */
  @Column({ type: 'smallint', default: 0 })
  unfolded: number;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: number;

  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt: number;
}
