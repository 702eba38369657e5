import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * The velocity guard counts creations per country in `velocity_counters`, so nothing reads
 * verifications by (app, country code, created_at) any more: the index only cost every insert.
 */
export class DropVerificationCountryIndex1763856000000 implements MigrationInterface {
  name = 'DropVerificationCountryIndex1763856000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('verifications', 'idx_verifications_app_country_created');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'verifications',
      new TableIndex({
        name: 'idx_verifications_app_country_created',
        columnNames: ['app_id', 'country_code', 'created_at'],
      }),
    );
  }
}
