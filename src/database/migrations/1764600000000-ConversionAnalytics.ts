import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

/**
 * Conversion analytics and the conversion guard.
 * - `conversion_counters`: per app, UTC day of creation, country, channel and flow, how many
 *   verifications were created and what became of them (upserted as things happen).
 * - `conversion_marks`: one row per counted verification (test numbers have none): the counter key
 *   it was created under and which outcomes were already counted (bit flags), so a repeated status
 *   webhook or a second instance never counts twice; `(app_id, calling_code, created_at)` serves the
 *   conversion guard's window query.
 * - `country_blocks.kind`: which guard set the block (`velocity` or `low_conversion`).
 */
export class ConversionAnalytics1764600000000 implements MigrationInterface {
  name = 'ConversionAnalytics1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const count = (name: string) => ({ name, type: 'int', default: 0 });
    await queryRunner.createTable(
      new Table({
        name: 'conversion_counters',
        columns: [
          { name: 'app_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'day', type: 'int', isPrimary: true },
          { name: 'country', type: 'varchar', length: '2', isPrimary: true },
          { name: 'channel', type: 'varchar', length: '16', isPrimary: true },
          { name: 'flow', type: 'varchar', length: '16', isPrimary: true },
          count('created_count'),
          count('sent_count'),
          count('delivered_count'),
          count('read_count'),
          count('approved_count'),
          count('expired_count'),
          count('failed_count'),
          count('canceled_count'),
          count('billed_count'),
          { name: 'cost_micros', type: 'bigint', isNullable: true },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'conversion_marks',
        columns: [
          { name: 'verification_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'app_id', type: 'varchar', length: '36' },
          { name: 'day', type: 'int' },
          { name: 'country', type: 'varchar', length: '2' },
          { name: 'calling_code', type: 'varchar', length: '4', isNullable: true },
          { name: 'channel', type: 'varchar', length: '16' },
          { name: 'flow', type: 'varchar', length: '16' },
          { name: 'flags', type: 'int', default: 0 },
          { name: 'created_at', type: 'bigint' },
          { name: 'expires_at', type: 'bigint' },
        ],
        indices: [
          new TableIndex({
            name: 'idx_conversion_marks_app_code_created',
            columnNames: ['app_id', 'calling_code', 'created_at'],
          }),
        ],
      }),
    );
    await queryRunner.addColumn(
      'country_blocks',
      new TableColumn({
        name: 'kind',
        type: 'varchar',
        length: '32',
        isNullable: false,
        default: "'velocity'",
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('country_blocks', 'kind');
    await queryRunner.dropTable('conversion_marks');
    await queryRunner.dropTable('conversion_counters');
  }
}
