import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs, intBoolean, jsonText } from '../../common/columns';
import type { StoredTestNumber } from '../../verification/test-numbers';

@Entity('apps')
export class App {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 120 })
  name: string;

  @Column({ name: 'webhook_url', type: 'varchar', length: 2048, nullable: true })
  webhookUrl: string | null;

  /** `whsec_…`; needed in clear to sign client webhooks. */
  @Column({ name: 'webhook_secret', type: 'varchar', length: 128 })
  webhookSecret: string;

  /** After a rotation the previous secret still signs for 24 h. */
  @Column({ name: 'previous_webhook_secret', type: 'varchar', length: 128, nullable: true })
  previousWebhookSecret: string | null;

  @Column({
    name: 'previous_webhook_secret_expires_at',
    type: 'bigint',
    nullable: true,
    transformer: epochMs,
  })
  previousWebhookSecretExpiresAt: number | null;

  @Column({ name: 'brand_name', type: 'varchar', length: 60, nullable: true })
  brandName: string | null;

  @Column({ name: 'default_locale', type: 'varchar', length: 16 })
  defaultLocale: string;

  /** ISO 3166-1 alpha-2 codes; null means every country. */
  @Column({ name: 'allowed_countries', type: 'text', nullable: true, transformer: jsonText })
  allowedCountries: string[] | null;

  @Column({ name: 'code_length', type: 'int' })
  codeLength: number;

  @Column({ name: 'ttl_seconds', type: 'int' })
  ttlSeconds: number;

  /** Per-app overrides of the per-phone creation limits (null: the configured defaults). */
  @Column({ name: 'phone_limit_15m', type: 'int', nullable: true })
  phoneLimit15m: number | null;

  @Column({ name: 'phone_limit_day', type: 'int', nullable: true })
  phoneLimitDay: number | null;

  /**
   * Test numbers: phones (E.164) that get no message and accept a fixed code, stored as its hash
   * (see TestNumbers). Null: none.
   */
  @Column({ name: 'test_numbers', type: 'text', nullable: true, transformer: jsonText })
  testNumbers: StoredTestNumber[] | null;

  /** Whether the test numbers are honoured in production too (app-store review); default false. */
  @Column({
    name: 'test_numbers_in_production',
    type: 'int',
    default: 0,
    transformer: intBoolean,
  })
  testNumbersInProduction: boolean;

  /**
   * Whether a phone-less confirm verification may be approved for a WhatsApp sender whose phone is
   * hidden behind a username (business-scoped user id only); default false.
   */
  @Column({ name: 'allow_username_only', type: 'int', default: 0, transformer: intBoolean })
  allowUsernameOnly: boolean;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt: number;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs })
  updatedAt: number;
}
