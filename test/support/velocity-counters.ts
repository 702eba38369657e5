import { DataSource } from 'typeorm';
import type { TestApp } from './harness';

const HOUR_MS = 3_600_000;

/** The start (epoch ms) of the hour `at` falls in, as the velocity guard buckets creations. */
export function hourStart(at = Date.now()): number {
  return Math.floor(at / HOUR_MS) * HOUR_MS;
}

/** Writes a velocity counter row directly, as if `count` creations had happened in that hour. */
export async function seedVelocityCounter(
  t: TestApp,
  appId: string,
  callingCode: string,
  hour: number,
  count: number,
): Promise<void> {
  await t.app
    .get(DataSource)
    .query(
      'INSERT INTO velocity_counters (app_id, calling_code, hour_start, count) VALUES (?, ?, ?, ?)',
      [appId, callingCode, hour, count],
    );
}
