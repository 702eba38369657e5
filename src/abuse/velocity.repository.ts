import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { execute } from '../database/sql';
import { CountryBlock, CountryBlockKind } from './entities/country-block.entity';

/**
 * Velocity counters and country blocks. The two statements SQL does not spell the same way (the
 * counter upsert and the insert-unless-blocked) branch on the engine here, and only here.
 */
@Injectable()
export class VelocityRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get isMysql(): boolean {
    return this.dataSource.options.type === 'mysql' || this.dataSource.options.type === 'mariadb';
  }

  /** Adds `count` creations to the hour bucket (atomic upsert). */
  async increment(appId: string, callingCode: string, hourStart: number, count = 1): Promise<void> {
    const insert =
      'INSERT INTO velocity_counters (app_id, calling_code, hour_start, count) VALUES (?, ?, ?, ?)';
    const upsert = this.isMysql
      ? `${insert} ON DUPLICATE KEY UPDATE count = count + VALUES(count)`
      : `${insert} ON CONFLICT (app_id, calling_code, hour_start) DO UPDATE SET count = count + excluded.count`;
    await this.dataSource.query(upsert, [appId, callingCode, hourStart, count]);
  }

  /** Counts of the given hour buckets (missing buckets are 0). */
  async countsAt(
    appId: string,
    callingCode: string,
    hourStarts: number[],
  ): Promise<Map<number, number>> {
    const rows: { hour_start: string | number; count: string | number }[] =
      await this.dataSource.query(
        `SELECT hour_start, count FROM velocity_counters WHERE app_id = ? AND calling_code = ? AND hour_start IN (${hourStarts.map(() => '?').join(', ')})`,
        [appId, callingCode, ...hourStarts],
      );
    return new Map(rows.map((row) => [Number(row.hour_start), Number(row.count)]));
  }

  /** Sum of the counts of the hour buckets in `[from, to)`. */
  async totalBetween(
    appId: string,
    callingCode: string,
    from: number,
    to: number,
  ): Promise<number> {
    const rows: { total: string | number | null }[] = await this.dataSource.query(
      'SELECT SUM(count) AS total FROM velocity_counters WHERE app_id = ? AND calling_code = ? AND hour_start >= ? AND hour_start < ?',
      [appId, callingCode, from, to],
    );
    return Number(rows[0]?.total ?? 0);
  }

  /** End of the active block of this code, or null. */
  async activeBlockUntil(appId: string, callingCode: string, now: number): Promise<number | null> {
    return (await this.activeBlock(appId, callingCode, now))?.until ?? null;
  }

  /** The active block of this code that ends last (velocity or low conversion), or null. */
  async activeBlock(
    appId: string,
    callingCode: string,
    now: number,
  ): Promise<{ until: number; kind: CountryBlockKind } | null> {
    const rows: { until: string | number; kind: CountryBlockKind }[] = await this.dataSource.query(
      `SELECT blocked_until AS until, kind FROM country_blocks WHERE app_id = ? AND calling_code = ? AND blocked_until > ?
         AND kind IN ('velocity', 'low_conversion') ORDER BY blocked_until DESC LIMIT 1`,
      [appId, callingCode, now],
    );
    return rows[0] ? { until: Number(rows[0].until), kind: rows[0].kind } : null;
  }

  /** Inserts the block unless one is already active (so racing instances add one block, not several). */
  async insertBlockUnlessActive(block: CountryBlock, now: number): Promise<boolean> {
    const from = this.isMysql ? 'FROM DUAL ' : '';
    const affected = await execute(
      this.dataSource.manager,
      `INSERT INTO country_blocks (id, app_id, calling_code, blocked_until, reason, created_at)
       SELECT ?, ?, ?, ?, ?, ? ${from}WHERE NOT EXISTS (
         SELECT 1 FROM country_blocks WHERE app_id = ? AND calling_code = ? AND blocked_until > ?
           AND kind IN ('velocity', 'low_conversion'))`,
      [
        block.id,
        block.appId,
        block.callingCode,
        block.blockedUntil,
        block.reason,
        block.createdAt,
        block.appId,
        block.callingCode,
        now,
      ],
    );
    return affected === 1;
  }
}
