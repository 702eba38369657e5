import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Identifiers, hashes, tokens and dedupe keys compare byte for byte on MySQL/MariaDB too. Under the
 * database default (`utf8mb4_unicode_ci`) they compared case-insensitively and ignoring trailing
 * spaces: `GET /v1/verifications/<ID in upper case>` found the verification, and two provider message
 * ids differing only in case (WhatsApp ids are base64) collided in the inbox's unique dedupe key.
 *
 * The collation is binary and NO PAD, like SQLite's default: `utf8mb4_nopad_bin` on MariaDB,
 * `utf8mb4_0900_bin` on MySQL 8 (`utf8mb4_bin` is PAD SPACE on both, so `'a' = 'a '` would still
 * hold). Columns stay strings for TypeORM (VARBINARY would come back as Buffers). A no-op on SQLite,
 * which compares with BINARY (no padding) already. The column list is frozen here as of this
 * migration; a later migration adding such a column declares its collation itself.
 */
const COLUMNS: Record<string, [column: string, length: number, nullable: boolean][]> = {
  apps: [['id', 36, false]],
  api_keys: [
    ['id', 36, false],
    ['app_id', 36, false],
    ['key_hash', 64, false],
  ],
  verifications: [
    ['id', 36, false],
    ['app_id', 36, false],
    ['code_hash', 100, true],
    ['token_hash', 64, true],
    ['delivery_message_id', 191, true],
  ],
  verification_messages: [
    ['id', 36, false],
    ['verification_id', 36, false],
    ['app_id', 36, false],
    ['provider_message_id', 191, true],
  ],
  idempotency_keys: [
    ['id', 36, false],
    ['app_id', 36, false],
    ['key_hash', 64, false],
    ['request_hash', 64, false],
    ['verification_id', 36, false],
  ],
  inbound_events: [
    ['id', 36, false],
    ['dedupe_key', 191, false],
    ['lease_token', 64, true],
  ],
  inbound_senders: [['sender_key', 191, false]],
  webhook_deliveries: [
    ['id', 40, false],
    ['app_id', 36, false],
    ['verification_id', 36, true],
    ['locked_by', 64, true],
  ],
  webhook_attempts: [
    ['id', 36, false],
    ['delivery_id', 40, false],
  ],
  audit_events: [
    ['id', 36, false],
    ['app_id', 36, true],
    ['verification_id', 36, true],
  ],
  sandbox_messages: [
    ['id', 36, false],
    ['app_id', 36, true],
  ],
  webhook_endpoints: [
    ['app_id', 36, false],
    ['url_hash', 64, false],
    ['probe_token', 64, true],
  ],
  country_blocks: [
    ['id', 36, false],
    ['app_id', 36, false],
  ],
  velocity_counters: [['app_id', 36, false]],
  conversion_counters: [['app_id', 36, false]],
  conversion_marks: [
    ['verification_id', 36, false],
    ['app_id', 36, false],
  ],
};

/** The binary NO PAD collation this server offers (MariaDB, then MySQL 8), else `utf8mb4_bin`. */
async function binaryCollation(queryRunner: QueryRunner): Promise<string> {
  const rows: { name: string }[] = await queryRunner.query(
    `SELECT COLLATION_NAME AS name FROM information_schema.COLLATIONS
     WHERE COLLATION_NAME IN ('utf8mb4_nopad_bin', 'utf8mb4_0900_bin')`,
  );
  const names = rows.map((row) => row.name);
  return (
    ['utf8mb4_nopad_bin', 'utf8mb4_0900_bin'].find((name) => names.includes(name)) ?? 'utf8mb4_bin'
  );
}

async function modifyAll(queryRunner: QueryRunner, collate: string): Promise<void> {
  for (const [table, columns] of Object.entries(COLUMNS)) {
    const changes = columns.map(
      ([column, length, nullable]) =>
        `MODIFY \`${column}\` VARCHAR(${length})${collate} ${nullable ? 'NULL' : 'NOT NULL'}`,
    );
    await queryRunner.query(`ALTER TABLE \`${table}\` ${changes.join(', ')}`);
  }
}

export class BinaryKeyCollation1764900000000 implements MigrationInterface {
  name = 'BinaryKeyCollation1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type !== 'mysql') return;
    const collation = await binaryCollation(queryRunner);
    await modifyAll(queryRunner, ` CHARACTER SET utf8mb4 COLLATE ${collation}`);
  }

  /** Back to the table default collation (fails if rows now differ only in case on a unique index). */
  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type !== 'mysql') return;
    await modifyAll(queryRunner, '');
  }
}
