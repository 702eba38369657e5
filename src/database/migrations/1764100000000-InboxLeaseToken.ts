import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * Inbox leases get an owner: `lease_token` is set by the conditional UPDATE that takes the lease,
 * and completing or failing an attempt matches it, so a worker whose lease expired (and was taken
 * over by another instance) cannot overwrite the new holder's result.
 */
export class InboxLeaseToken1764100000000 implements MigrationInterface {
  name = 'InboxLeaseToken1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'inbound_events',
      new TableColumn({ name: 'lease_token', type: 'varchar', length: '64', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('inbound_events', 'lease_token');
  }
}
