import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * Conversion counters folded in batches instead of moved by every transition.
 * - `conversion_marks.counted`: the mark's flags already added to `conversion_counters`. Marks made
 *   before this migration were counted as they went, so `counted` starts as their flags plus the
 *   `created` flag (64).
 * - `conversion_marks.unfolded` (indexed): 1 while a flag is set that is not counted yet.
 * `down` first adds what is not folded yet to the counters, so no count is lost either way.
 */
export class ConversionFold1765200000000 implements MigrationInterface {
  name = 'ConversionFold1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('conversion_marks', [
      new TableColumn({ name: 'counted', type: 'int', default: 0 }),
      new TableColumn({ name: 'unfolded', type: 'smallint', default: 0 }),
    ]);
    await queryRunner.query('UPDATE conversion_marks SET counted = flags | 64');
    await queryRunner.createIndex(
      'conversion_marks',
      new TableIndex({ name: 'idx_conversion_marks_unfolded', columnNames: ['unfolded'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    // Bits of the flags and the counter each one adds to (ConversionFlag).
    const bits: [number, string][] = [
      [64, 'created_count'],
      [1, 'sent_count'],
      [2, 'delivered_count'],
      [4, 'read_count'],
      [8, 'billed_count'],
      [32, 'approved_count'],
      [128, 'expired_count'],
      [256, 'failed_count'],
      [512, 'canceled_count'],
    ];
    const columns = bits.map(([, column]) => column);
    const sums = bits.map(
      ([bit]) =>
        `SUM(CASE WHEN (flags & ${bit}) <> 0 AND (counted & ${bit}) = 0 THEN 1 ELSE 0 END)`,
    );
    const add = columns.map((column) =>
      mysql
        ? `${column} = ${column} + VALUES(${column})`
        : `${column} = ${column} + excluded.${column}`,
    );
    await queryRunner.query(
      `INSERT INTO conversion_counters (app_id, day, country, channel, flow, ${columns.join(', ')})
       SELECT app_id, day, country, channel, flow, ${sums.join(', ')}
       FROM conversion_marks WHERE unfolded = 1 GROUP BY app_id, day, country, channel, flow ` +
        (mysql
          ? `ON DUPLICATE KEY UPDATE ${add.join(', ')}`
          : `ON CONFLICT (app_id, day, country, channel, flow) DO UPDATE SET ${add.join(', ')}`),
    );
    await queryRunner.dropIndex('conversion_marks', 'idx_conversion_marks_unfolded');
    await queryRunner.dropColumns('conversion_marks', ['counted', 'unfolded']);
  }
}
