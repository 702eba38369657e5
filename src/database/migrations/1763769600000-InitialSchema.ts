import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndex } from 'typeorm';

/**
 * The initial schema, written with TypeORM's engine-neutral Table API so one migration set runs on
 * SQLite and MySQL/MariaDB alike. Instants are BIGINT epoch milliseconds; JSON is TEXT.
 */
const id = (name = 'id', length = 36): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: String(length),
  isPrimary: true,
});
const str = (name: string, length: number, nullable = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable: nullable,
});
const int = (name: string, nullable = false, dflt?: number): TableColumnOptions => ({
  name,
  type: 'int',
  isNullable: nullable,
  default: dflt,
});
const big = (name: string, nullable = false): TableColumnOptions => ({
  name,
  type: 'bigint',
  isNullable: nullable,
});
const text = (name: string, nullable = false): TableColumnOptions => ({
  name,
  type: 'text',
  isNullable: nullable,
});
const index = (name: string, columnNames: string[], isUnique = false): TableIndex =>
  new TableIndex({ name, columnNames, isUnique });

const TABLES: Table[] = [
  new Table({
    name: 'apps',
    columns: [
      id(),
      str('name', 120),
      str('webhook_url', 2048, true),
      str('webhook_secret', 128),
      str('previous_webhook_secret', 128, true),
      big('previous_webhook_secret_expires_at', true),
      str('brand_name', 60, true),
      str('default_locale', 16),
      text('allowed_countries', true),
      int('code_length'),
      int('ttl_seconds'),
      int('phone_limit_15m', true),
      int('phone_limit_day', true),
      big('created_at'),
      big('updated_at'),
    ],
  }),
  new Table({
    name: 'api_keys',
    columns: [
      id(),
      str('app_id', 36),
      str('key_hash', 64),
      str('key_prefix', 16),
      big('created_at'),
      big('revoked_at', true),
    ],
    indices: [
      index('uq_api_keys_key_hash', ['key_hash'], true),
      index('idx_api_keys_app', ['app_id']),
    ],
  }),
  new Table({
    name: 'verifications',
    columns: [
      id(),
      str('app_id', 36),
      str('flow', 16),
      str('phone', 20, true),
      str('country_code', 4, true),
      str('channel', 16),
      str('fallback_channels', 64),
      str('locale', 16),
      int('code_length'),
      str('status', 24),
      str('code_hash', 100, true),
      int('attempts', false, 0),
      int('max_attempts'),
      int('sends', false, 0),
      int('max_sends'),
      big('last_sent_at', true),
      big('expires_at'),
      big('created_at'),
      big('updated_at'),
      big('approved_at', true),
      text('metadata', true),
      str('wa_user_id', 128, true),
      str('inbound_reply', 16, true),
      str('token_hash', 64, true),
      str('delivery_channel', 16, true),
      str('delivery_status', 16, true),
      str('delivery_message_id', 191, true),
      str('delivery_error', 255, true),
    ],
    indices: [
      index('idx_verifications_app_phone_created', ['app_id', 'phone', 'created_at']),
      index('idx_verifications_app_id', ['app_id', 'id']),
      index('idx_verifications_status_expires', ['status', 'expires_at']),
      index('idx_verifications_app_country_created', ['app_id', 'country_code', 'created_at']),
      index('uq_verifications_token_hash', ['token_hash'], true),
    ],
  }),
  new Table({
    name: 'verification_messages',
    columns: [
      id(),
      str('verification_id', 36),
      str('app_id', 36),
      str('channel', 16),
      str('provider', 16),
      str('purpose', 16),
      str('provider_message_id', 191, true),
      str('status', 16),
      str('error', 255, true),
      big('created_at'),
      big('updated_at'),
    ],
    indices: [
      index('idx_verification_messages_verification', ['verification_id', 'created_at']),
      index('uq_verification_messages_provider_id', ['provider', 'provider_message_id'], true),
    ],
  }),
  new Table({
    name: 'idempotency_keys',
    columns: [
      id(),
      str('app_id', 36),
      str('key_hash', 64),
      str('request_hash', 64),
      str('verification_id', 36),
      big('created_at'),
      big('expires_at'),
    ],
    indices: [
      index('uq_idempotency_keys_app_key', ['app_id', 'key_hash'], true),
      index('idx_idempotency_keys_expires', ['expires_at']),
    ],
  }),
  new Table({
    name: 'inbound_events',
    columns: [
      id(),
      str('provider', 16),
      str('kind', 16),
      str('dedupe_key', 191),
      text('payload'),
      str('status', 16),
      int('attempts', false, 0),
      big('next_attempt_at'),
      big('locked_until', true),
      str('last_error', 500, true),
      big('created_at'),
      big('processed_at', true),
    ],
    indices: [
      index('uq_inbound_events_dedupe', ['dedupe_key'], true),
      index('idx_inbound_events_status_next', ['status', 'next_attempt_at']),
    ],
  }),
  new Table({
    name: 'inbound_senders',
    columns: [
      id('sender_key', 191),
      big('last_help_at', true),
      big('window_start'),
      int('window_count'),
    ],
  }),
  new Table({
    name: 'webhook_deliveries',
    columns: [
      id('id', 40),
      str('app_id', 36),
      str('verification_id', 36, true),
      str('type', 64),
      text('payload'),
      str('status', 16),
      int('attempts', false, 0),
      big('next_attempt_at'),
      big('locked_until', true),
      str('locked_by', 64, true),
      int('last_status_code', true),
      str('last_error', 500, true),
      big('created_at'),
      big('updated_at'),
      big('delivered_at', true),
    ],
    indices: [
      index('idx_webhook_deliveries_due', ['status', 'next_attempt_at']),
      index('idx_webhook_deliveries_app', ['app_id', 'id']),
      index('idx_webhook_deliveries_app_status', ['app_id', 'status', 'id']),
    ],
  }),
  new Table({
    name: 'webhook_attempts',
    columns: [
      id(),
      str('delivery_id', 40),
      int('attempt'),
      int('status_code', true),
      int('latency_ms'),
      str('error', 500, true),
      big('created_at'),
    ],
    indices: [index('idx_webhook_attempts_delivery', ['delivery_id', 'attempt'])],
  }),
  new Table({
    name: 'audit_events',
    columns: [
      id(),
      str('type', 64),
      str('app_id', 36, true),
      str('verification_id', 36, true),
      str('actor_type', 16),
      str('actor_id', 64, true),
      str('ip', 64, true),
      text('data', true),
      big('created_at'),
    ],
    indices: [
      index('idx_audit_events_verification', ['verification_id', 'id']),
      index('idx_audit_events_app', ['app_id', 'id']),
      index('idx_audit_events_app_type', ['app_id', 'type', 'id']),
      index('idx_audit_events_created', ['created_at']),
    ],
  }),
  new Table({
    name: 'sandbox_messages',
    columns: [id(), str('to_address', 64), str('channel', 16), text('text'), big('created_at')],
    indices: [index('idx_sandbox_messages_to', ['to_address', 'id'])],
  }),
  new Table({
    name: 'country_blocks',
    columns: [
      id(),
      str('app_id', 36),
      str('calling_code', 4),
      big('blocked_until'),
      str('reason', 255),
      big('created_at'),
    ],
    indices: [index('idx_country_blocks_app_code', ['app_id', 'calling_code', 'blocked_until'])],
  }),
  new Table({
    name: 'velocity_counters',
    columns: [
      { name: 'app_id', type: 'varchar', length: '36', isPrimary: true },
      { name: 'calling_code', type: 'varchar', length: '4', isPrimary: true },
      { name: 'hour_start', type: 'bigint', isPrimary: true },
      int('count'),
    ],
  }),
];

export class InitialSchema1763769600000 implements MigrationInterface {
  name = 'InitialSchema1763769600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of TABLES) await queryRunner.createTable(table, true);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [...TABLES].reverse()) await queryRunner.dropTable(table.name, true);
  }
}
