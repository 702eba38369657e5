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

/**
 * Moves a verification's scheduled delivery step (workflow timeout or throttled retry) `ms` into
 * the past, as if its wait had passed; the service's periodic task then runs it.
 */
export async function ageDeliveryStep(
  t: TestApp,
  verificationId: string,
  ms: number,
): Promise<void> {
  await t.app
    .get(DataSource)
    .query('UPDATE delivery_steps SET due_at = due_at - ? WHERE verification_id = ?', [
      ms,
      verificationId,
    ]);
}
