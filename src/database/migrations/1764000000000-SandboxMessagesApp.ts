import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * Sandbox messages belong to the app they were sent for, so `GET /v1/sandbox/messages` shows each
 * app only its own (`WHERE app_id = ? [AND to_address = ?] ORDER BY created_at DESC, id DESC`).
 * Rows written before have no app and are listed to nobody. Every read names the app, so the
 * (to_address, id) index gives way to two indexes led by app_id.
 */
export class SandboxMessagesApp1764000000000 implements MigrationInterface {
  name = 'SandboxMessagesApp1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'sandbox_messages',
      new TableColumn({ name: 'app_id', type: 'varchar', length: '36', isNullable: true }),
    );
    await queryRunner.dropIndex('sandbox_messages', 'idx_sandbox_messages_to');
    await queryRunner.createIndices('sandbox_messages', [
      new TableIndex({
        name: 'idx_sandbox_messages_app_created',
        columnNames: ['app_id', 'created_at', 'id'],
      }),
      new TableIndex({
        name: 'idx_sandbox_messages_app_to_created',
        columnNames: ['app_id', 'to_address', 'created_at', 'id'],
      }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('sandbox_messages', 'idx_sandbox_messages_app_to_created');
    await queryRunner.dropIndex('sandbox_messages', 'idx_sandbox_messages_app_created');
    await queryRunner.createIndex(
      'sandbox_messages',
      new TableIndex({ name: 'idx_sandbox_messages_to', columnNames: ['to_address', 'id'] }),
    );
    await queryRunner.dropColumn('sandbox_messages', 'app_id');
  }
}
