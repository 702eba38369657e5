import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../../common/columns';

/** Why a step is scheduled: a step's timeout ran out (`timeout`) or a throttled send is tried again (`retry`). */
export enum DeliveryStepReason {
  TIMEOUT = 'timeout',
  RETRY = 'retry',
}

/**
 * The next send of a verification's delivery plan, due at `dueAt` (at most one per verification).
 * Kept in the database so it survives a restart and is run by one instance: a worker claims it with
 * a conditional UPDATE that moves `dueAt` ahead by a lease under a fresh `leaseToken`.
 */
@Entity('delivery_steps')
@Index('idx_delivery_steps_due', ['dueAt'])
export class DeliveryStep {
  @PrimaryColumn({ name: 'verification_id', type: 'varchar', length: 36 })
  verificationId: string;

  @Column({ name: 'app_id', type: 'varchar', length: 36 })
  appId: string;

  /** Index in the plan of the step to send. */
  @Column({ name: 'next_step', type: 'int' })
  nextStep: number;

  @Column({ type: 'varchar', length: 16 })
  reason: DeliveryStepReason;

  @Column({ name: 'due_at', type: 'bigint', transformer: epochMs })
  dueAt: number;

  /** Throttled sends retried so far for this code. */
  @Column({ type: 'int', default: 0 })
  retries: number;

  /** The code's hash when scheduled: a resend that replaced the code makes this step void. */
  @Column({ name: 'code_hash', type: 'varchar', length: 100 })
  codeHash: string;

  /** The code, encrypted with a key derived from OTP_PEPPER (see CodeSealer), so the next step sends the same code. */
  @Column({ name: 'sealed_code', type: 'varchar', length: 255 })
  sealedCode: string;

  @Column({ name: 'lease_token', type: 'varchar', length: 32, nullable: true })
  leaseToken: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: number;
}
