import { DataSource } from 'typeorm';
import { TestApp } from './harness';

/**
 * Moves a verification `ms` into the past (its creation, last send and expiry), as if that much
 * time had passed. The service under test reads the database as it is: nothing of ours is mocked.
 */
export async function ageVerification(t: TestApp, id: string, ms: number): Promise<void> {
  await t.app
    .get(DataSource)
    .query(
      'UPDATE verifications SET created_at = created_at - ?, expires_at = expires_at - ?, last_sent_at = last_sent_at - ? WHERE id = ?',
      [ms, ms, ms, id],
    );
}
