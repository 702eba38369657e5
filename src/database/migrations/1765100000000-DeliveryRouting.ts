import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

/**
 * Delivery routing.
 * - `verifications.workflow`: the channel workflow asked at creation (JSON), null otherwise.
 * - `verifications.delivery_error_code`: the provider's error code of the latest failed send.
 * - `verification_messages.kind`: `code` or `text`, so a `failed` status knows whether a template
 *   or free-form text failed; `plan_step`: which step of the delivery plan sent it (what is next).
 * - `delivery_steps`: the next due send of a verification (workflow timeout or throttled retry),
 *   claimed by one instance with a conditional UPDATE; `due_at` is indexed for the poll.
 * On MariaDB/MySQL the key and hash columns use the binary NO PAD collation (see
 * 1764900000000-BinaryKeyCollation).
 */
export class DeliveryRouting1765100000000 implements MigrationInterface {
  name = 'DeliveryRouting1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('verifications', [
      new TableColumn({ name: 'workflow', type: 'text', isNullable: true }),
      new TableColumn({
        name: 'delivery_error_code',
        type: 'varchar',
        length: '32',
        isNullable: true,
      }),
    ]);
    await queryRunner.addColumns('verification_messages', [
      new TableColumn({ name: 'kind', type: 'varchar', length: '8', isNullable: true }),
      new TableColumn({ name: 'plan_step', type: 'int', isNullable: true }),
    ]);
    const collation = await binaryCollation(queryRunner);
    const key = (name: string, length: string) => ({
      name,
      type: 'varchar',
      length,
      ...(collation ? { charset: 'utf8mb4', collation } : {}),
    });
    await queryRunner.createTable(
      new Table({
        name: 'delivery_steps',
        columns: [
          { ...key('verification_id', '36'), isPrimary: true },
          key('app_id', '36'),
          { name: 'next_step', type: 'int' },
          { name: 'reason', type: 'varchar', length: '16' },
          { name: 'due_at', type: 'bigint' },
          { name: 'retries', type: 'int', default: 0 },
          key('code_hash', '100'),
          { name: 'sealed_code', type: 'varchar', length: '255' },
          { ...key('lease_token', '32'), isNullable: true },
          { name: 'created_at', type: 'bigint' },
        ],
        indices: [new TableIndex({ name: 'idx_delivery_steps_due', columnNames: ['due_at'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('delivery_steps');
    await queryRunner.dropColumns('verification_messages', ['kind', 'plan_step']);
    await queryRunner.dropColumns('verifications', ['workflow', 'delivery_error_code']);
  }
}

/** The binary NO PAD collation on MariaDB/MySQL (as 1764900000000 chose it); null on SQLite. */
async function binaryCollation(queryRunner: QueryRunner): Promise<string | null> {
  if (queryRunner.connection.driver.options.type !== 'mysql') return null;
  const rows: { name: string }[] = await queryRunner.query(
    `SELECT COLLATION_NAME AS name FROM information_schema.COLLATIONS
     WHERE COLLATION_NAME IN ('utf8mb4_nopad_bin', 'utf8mb4_0900_bin')`,
  );
  const names = rows.map((row) => row.name);
  return (
    ['utf8mb4_nopad_bin', 'utf8mb4_0900_bin'].find((name) => names.includes(name)) ?? 'utf8mb4_bin'
  );
}
