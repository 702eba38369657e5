import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../../common/columns';

/**
 * One counted verification: the counter key it was created under and the outcomes already counted
 * (`flags`, see ConversionFlag), so every outcome is counted once whatever repeats or races.
 */
@Entity('conversion_marks')
@Index('idx_conversion_marks_app_code_created', ['appId', 'callingCode', 'createdAt'])
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

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: number;

  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt: number;
}
