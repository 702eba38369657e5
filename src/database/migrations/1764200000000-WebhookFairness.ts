import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * Fair client-webhook dispatch: `webhook_endpoints` holds the circuit breaker of each app's endpoint
 * (shared by all instances), and `(status, app_id, next_attempt_at, id)` serves both the "which apps
 * have due work" scan (covering, pending rows only) and the bounded per-app pick in due order.
 */
export class WebhookFairness1764200000000 implements MigrationInterface {
  name = 'WebhookFairness1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'webhook_endpoints',
        columns: [
          { name: 'app_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'url_hash', type: 'varchar', length: '64' },
          { name: 'consecutive_failures', type: 'int', default: 0 },
          { name: 'trips', type: 'int', default: 0 },
          { name: 'parked_until', type: 'bigint', isNullable: true },
          { name: 'probe_token', type: 'varchar', length: '64', isNullable: true },
          { name: 'updated_at', type: 'bigint' },
        ],
        indices: [
          new TableIndex({ name: 'idx_webhook_endpoints_parked', columnNames: ['parked_until'] }),
        ],
      }),
    );
    await queryRunner.createIndex(
      'webhook_deliveries',
      new TableIndex({
        name: 'idx_webhook_deliveries_pending_app',
        columnNames: ['status', 'app_id', 'next_attempt_at', 'id'],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('webhook_deliveries', 'idx_webhook_deliveries_pending_app');
    await queryRunner.dropTable('webhook_endpoints');
  }
}
