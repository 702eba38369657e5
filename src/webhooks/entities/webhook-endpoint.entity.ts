import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../../common/columns';

/**
 * Circuit-breaker state of one app's webhook endpoint, shared by every instance through the
 * database. `urlHash` (SHA-256 of the URL) ties the state to the URL it was measured on: once the
 * app changes its URL the old state no longer applies. Parked while `parkedUntil` is in the future;
 * half-open (one probe may go) once it has passed; closed when null.
 */
@Entity('webhook_endpoints')
@Index('idx_webhook_endpoints_parked', ['parkedUntil'])
export class WebhookEndpoint {
  @PrimaryColumn({ name: 'app_id', type: 'varchar', length: 36 })
  appId: string;

  @Column({ name: 'url_hash', type: 'varchar', length: 64 })
  urlHash: string;

  /** Failed attempts in a row (reset by any success). */
  @Column({ name: 'consecutive_failures', type: 'int', default: 0 })
  consecutiveFailures: number;

  /** How many times in a row the endpoint was parked (grows the cool-down; reset by a success). */
  @Column({ type: 'int', default: 0 })
  trips: number;

  @Column({ name: 'parked_until', type: 'bigint', nullable: true, transformer: epochMs })
  parkedUntil: number | null;

  /** The lease token of the instance sending the half-open probe, while it is out. */
  @Column({ name: 'probe_token', type: 'varchar', length: 64, nullable: true })
  probeToken: string | null;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs })
  updatedAt: number;
}
