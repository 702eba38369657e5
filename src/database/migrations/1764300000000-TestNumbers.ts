import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * Test numbers: per app, phones with a fixed code (stored hashed) that never get a message, and
 * whether they are honoured in production; per verification, whether it was made for one (so limits
 * and conversion counts can leave it out). Booleans are INT 0/1 like everywhere on both engines.
 */
export class TestNumbers1764300000000 implements MigrationInterface {
  name = 'TestNumbers1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('apps', [
      new TableColumn({ name: 'test_numbers', type: 'text', isNullable: true }),
      new TableColumn({
        name: 'test_numbers_in_production',
        type: 'int',
        isNullable: false,
        default: 0,
      }),
    ]);
    await queryRunner.addColumn(
      'verifications',
      new TableColumn({ name: 'is_test', type: 'int', isNullable: false, default: 0 }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('verifications', 'is_test');
    await queryRunner.dropColumns('apps', ['test_numbers', 'test_numbers_in_production']);
  }
}
