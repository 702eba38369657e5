import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';

/**
 * WhatsApp senders known by a business-scoped user id (usernames, 2026):
 * - `apps.allow_username_only` (INT 0/1, default 0): whether a phone-less confirm verification may be
 *   approved for a sender whose phone stays hidden.
 * - `wa_user_phones`: the user id ↔ phone pairs Meta revealed (both in one webhook), so a later
 *   message that carries only the user id resolves to the phone. Looked up by its primary key; on
 *   MySQL/MariaDB the id compares byte for byte (binary NO PAD collation, see BinaryKeyCollation).
 */
export class UsernameSenders1765000000000 implements MigrationInterface {
  name = 'UsernameSenders1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'apps',
      new TableColumn({ name: 'allow_username_only', type: 'int', isNullable: false, default: 0 }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'wa_user_phones',
        columns: [
          { name: 'user_id', type: 'varchar', length: '191', isPrimary: true },
          { name: 'phone', type: 'varchar', length: '20' },
          { name: 'seen_at', type: 'bigint' },
        ],
      }),
    );
    if (queryRunner.connection.driver.options.type === 'mysql') {
      const rows: { name: string }[] = await queryRunner.query(
        `SELECT COLLATION_NAME AS name FROM information_schema.COLLATIONS
         WHERE COLLATION_NAME IN ('utf8mb4_nopad_bin', 'utf8mb4_0900_bin')`,
      );
      const names = rows.map((row) => row.name);
      const collation =
        ['utf8mb4_nopad_bin', 'utf8mb4_0900_bin'].find((name) => names.includes(name)) ??
        'utf8mb4_bin';
      await queryRunner.query(
        `ALTER TABLE \`wa_user_phones\` MODIFY \`user_id\` VARCHAR(191) CHARACTER SET utf8mb4 COLLATE ${collation} NOT NULL`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('wa_user_phones');
    await queryRunner.dropColumn('apps', 'allow_username_only');
  }
}
