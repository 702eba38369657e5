import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { findEntities, insertEntitiesDeferred } from '../database/entity-sql';
import { Statement } from '../database/pipelined-transactions';
import { execute, executeDeferred } from '../database/sql';
import { ConversionMark } from './entities/conversion-mark.entity';

/**
 * Sets a flag on a verification's mark unless it is set (the one transition each counter counts),
 * for the fold to count.
 */
const MARK_FLAG_SQL =
  'UPDATE conversion_marks SET flags = flags | ?, unfolded = 1 WHERE verification_id = ? AND (flags & ?) = 0';

/** Sets a flag on a verification's mark unless it is set, counted by the caller at once. */
const CLAIM_FLAG_SQL =
  'UPDATE conversion_marks SET flags = flags | ?, counted = counted | ? WHERE verification_id = ? AND (flags & ?) = 0';

/** Counter columns of `conversion_counters` (the only names ever put into SQL text here). */
export const COUNTER_COLUMNS = {
  created: 'created_count',
  sent: 'sent_count',
  delivered: 'delivered_count',
  read: 'read_count',
  approved: 'approved_count',
  expired: 'expired_count',
  failed: 'failed_count',
  canceled: 'canceled_count',
  billed: 'billed_count',
} as const;
export type CounterName = keyof typeof COUNTER_COLUMNS;

/** The key of one counter row. */
export interface CounterKey {
  appId: string;
  day: number;
  country: string;
  channel: string;
  flow: string;
}

export const GROUP_BY_FIELDS = ['country', 'channel', 'flow', 'day'] as const;
export type GroupByField = (typeof GROUP_BY_FIELDS)[number];

export interface CounterTotals {
  country?: string;
  channel?: string;
  flow?: string;
  day?: number;
  created: number;
  sent: number;
  delivered: number;
  read: number;
  approved: number;
  expired: number;
  failed: number;
  canceled: number;
  billed: number;
  /** Null when no cost is known for any counted row. */
  costMicros: number | null;
}

/** Settled verifications of one app and calling code in a window, for the conversion guard. */
export interface WindowConversion {
  /** Outbound verifications old enough to have been checked (TTL passed, or terminal). */
  outboundSettled: number;
  /** All flows, old enough to have been checked. */
  settled: number;
  /** Of those, approved (outbound checks and inbound approvals). */
  approved: number;
}

/** Bits of `conversion_marks.flags`: which outcomes a verification reached (each counted once). */
export enum ConversionFlag {
  SENT = 1,
  DELIVERED = 2,
  READ = 4,
  BILLED = 8,
  /** Reached a terminal status (set with exactly one of approved/expired/failed/canceled). */
  SETTLED = 16,
  APPROVED = 32,
  CREATED = 64,
  EXPIRED = 128,
  FAILED = 256,
  CANCELED = 512,
}

/** The counter each flag adds to when folded (SETTLED adds to none: its status flag does). */
export const FLAG_COUNTERS: [ConversionFlag, CounterName][] = [
  [ConversionFlag.CREATED, 'created'],
  [ConversionFlag.SENT, 'sent'],
  [ConversionFlag.DELIVERED, 'delivered'],
  [ConversionFlag.READ, 'read'],
  [ConversionFlag.BILLED, 'billed'],
  [ConversionFlag.APPROVED, 'approved'],
  [ConversionFlag.EXPIRED, 'expired'],
  [ConversionFlag.FAILED, 'failed'],
  [ConversionFlag.CANCELED, 'canceled'],
];

/** Marks the fold takes per transaction at most. */
export const FOLD_BATCH = 500;

/** What one fold batch did: marks folded, and whether more may be waiting. */
export interface FoldResult {
  marks: number;
  more: boolean;
}

/**
 * Conversion counters and marks. The counter upsert is the one statement SQL does not spell the
 * same way on both engines: {@link upsertSql} builds it, and only it branches on the engine.
 */
@Injectable()
export class ConversionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get isMysql(): boolean {
    return this.dataSource.options.type === 'mysql' || this.dataSource.options.type === 'mariadb';
  }

  /**
   * `INSERT … ON CONFLICT … DO UPDATE SET c = c + excluded.c` (SQLite) or
   * `INSERT … ON DUPLICATE KEY UPDATE c = c + VALUES(c)` (MariaDB/MySQL): adds to the named
   * counters of one row, creating it at 0 first. Atomic, so instances may count concurrently.
   */
  upsertSql(counters: CounterName[], withCost: boolean): string {
    const columns: string[] = counters.map((name) => COUNTER_COLUMNS[name]);
    if (withCost) columns.push('cost_micros');
    const insert =
      `INSERT INTO conversion_counters (app_id, day, country, channel, flow, ${columns.join(', ')}) ` +
      `VALUES (?, ?, ?, ?, ?, ${columns.map(() => '?').join(', ')})`;
    const add = (column: string, incoming: string) =>
      column === 'cost_micros'
        ? `cost_micros = COALESCE(cost_micros, 0) + ${incoming}`
        : `${column} = ${column} + ${incoming}`;
    return this.isMysql
      ? `${insert} ON DUPLICATE KEY UPDATE ${columns.map((c) => add(c, `VALUES(${c})`)).join(', ')}`
      : `${insert} ON CONFLICT (app_id, day, country, channel, flow) DO UPDATE SET ${columns
          .map((c) => add(c, `excluded.${c}`))
          .join(', ')}`;
  }

  /** Adds 1 to each named counter of the row (and `costMicros` to its cost when given). */
  async increment(
    manager: EntityManager,
    key: CounterKey,
    counters: CounterName[],
    costMicros: number | null = null,
  ): Promise<void> {
    await this.add(manager, key, new Map(counters.map((counter) => [counter, 1])), costMicros);
  }

  /** Adds `amounts` to the counters of the row (and `costMicros` to its cost when given). */
  async add(
    manager: EntityManager,
    key: CounterKey,
    amounts: Map<CounterName, number>,
    costMicros: number | null = null,
  ): Promise<void> {
    if (amounts.size === 0) return;
    const withCost = costMicros !== null;
    await executeDeferred(manager, this.upsertSql([...amounts.keys()], withCost), [
      key.appId,
      key.day,
      key.country,
      key.channel,
      key.flow,
      ...amounts.values(),
      ...(withCost ? [Math.round(costMicros)] : []),
    ]);
  }

  insertMark(manager: EntityManager, mark: ConversionMark): Promise<void> {
    return insertEntitiesDeferred(manager, ConversionMark, [mark]);
  }

  /**
   * Sets `flag` on the verification's mark unless already set, as counted (the caller adds it to
   * the counters in the same transaction, e.g. with a cost the fold would not know); the mark when
   * this call set it, null when it was set before or the verification is not counted.
   */
  async claimFlag(
    manager: EntityManager,
    verificationId: string,
    flag: number,
  ): Promise<ConversionMark | null> {
    const affected = await execute(manager, CLAIM_FLAG_SQL, [flag, flag, verificationId, flag]);
    if (affected !== 1) return null;
    const [mark] = await findEntities(manager, ConversionMark, 'verification_id = ?', [
      verificationId,
    ]);
    return mark ?? null;
  }

  /**
   * Sets `flag` on the verification's mark unless already set, for the next fold to count: one
   * UPDATE whose answer nobody needs, so on MySQL inside a transaction it travels with the
   * transaction's next statement (pipelined-transactions.ts). Repeats and races set it once.
   */
  async markOnce(manager: EntityManager, verificationId: string, flag: number): Promise<void> {
    await executeDeferred(manager, MARK_FLAG_SQL, [flag, verificationId, flag]);
  }

  /**
   * MySQL: {@link markOnce} as a statement, for a transaction sent whole (runTransactionInOnePacket);
   * with `condition` (SQL, no values) the flag is set only when it holds too.
   */
  markOnceStatement(verificationId: string, flag: number, condition?: string): Statement {
    return {
      sql: condition ? `${MARK_FLAG_SQL} AND ${condition}` : MARK_FLAG_SQL,
      parameters: [flag, verificationId, flag],
    };
  }

  /**
   * Adds up to {@link FOLD_BATCH} marks' uncounted flags to the counters, in one transaction: the
   * marks are read with a row lock (MySQL, under READ COMMITTED so no gap is locked against new
   * marks: `FOR UPDATE SKIP LOCKED`, so a transition in flight or another instance's fold is passed
   * over, or with `waitForLocked` `FOR UPDATE`, which waits for them and then sees what they
   * committed), one upsert per counter row in key order (two folds never wait on each other in a
   * circle), then `counted = flags` on exactly those marks (still locked, so unchanged since read).
   * SQLite's transactions run one at a time.
   */
  async foldBatch(waitForLocked = false): Promise<FoldResult> {
    const mysql = this.isMysql;
    const lock = mysql ? (waitForLocked ? ' FOR UPDATE' : ' FOR UPDATE SKIP LOCKED') : '';
    const fold = async (manager: EntityManager): Promise<FoldResult> => {
      const rows: Record<string, string | number>[] = await manager.query(
        `SELECT verification_id, app_id, day, country, channel, flow, flags, counted FROM conversion_marks
         WHERE unfolded = 1 LIMIT ${FOLD_BATCH}${lock}`,
      );
      if (rows.length === 0) return { marks: 0, more: false };
      const byKey = new Map<string, { key: CounterKey; amounts: Map<CounterName, number> }>();
      for (const row of rows) {
        const fresh = Number(row.flags) & ~Number(row.counted);
        const key: CounterKey = {
          appId: String(row.app_id),
          day: Number(row.day),
          country: String(row.country),
          channel: String(row.channel),
          flow: String(row.flow),
        };
        const id = [key.appId, key.day, key.country, key.channel, key.flow].join('\u0000');
        const entry = byKey.get(id) ?? { key, amounts: new Map<CounterName, number>() };
        byKey.set(id, entry);
        for (const [flag, counter] of FLAG_COUNTERS) {
          if (fresh & flag) entry.amounts.set(counter, (entry.amounts.get(counter) ?? 0) + 1);
        }
      }
      for (const id of [...byKey.keys()].sort()) {
        const { key, amounts } = byKey.get(id)!;
        await this.add(manager, key, amounts);
      }
      const ids = rows.map((row) => String(row.verification_id));
      await executeDeferred(
        manager,
        `UPDATE conversion_marks SET counted = flags, unfolded = 0
         WHERE verification_id IN (${ids.map(() => '?').join(', ')})`,
        ids,
      );
      return { marks: rows.length, more: rows.length === FOLD_BATCH };
    };
    return mysql
      ? this.dataSource.transaction('READ COMMITTED', fold)
      : this.dataSource.transaction(fold);
  }

  /** Current status of the verification, read inside the caller's transaction. */
  async verificationStatus(manager: EntityManager, verificationId: string): Promise<string | null> {
    const rows: { status: string }[] = await manager.query(
      'SELECT status FROM verifications WHERE id = ?',
      [verificationId],
    );
    return rows[0]?.status ?? null;
  }

  /** Sums of the counters of `appId` (null: every app) for days in `[fromDay, toDay)`, grouped. */
  async totals(
    appId: string | null,
    fromDay: number,
    toDay: number,
    groupBy: GroupByField[],
  ): Promise<CounterTotals[]> {
    const sums = Object.entries(COUNTER_COLUMNS).map(
      ([name, column]) => `SUM(${column}) AS ${name}_total`,
    );
    const where = ['day >= ?', 'day < ?'];
    const params: unknown[] = [fromDay, toDay];
    if (appId !== null) {
      where.unshift('app_id = ?');
      params.unshift(appId);
    }
    const grouping = groupBy.length > 0 ? ` GROUP BY ${groupBy.join(', ')}` : '';
    const ordering = groupBy.length > 0 ? ` ORDER BY ${groupBy.join(', ')}` : '';
    const rows: Record<string, string | number | null>[] = await this.dataSource.query(
      `SELECT ${[...groupBy, ...sums, 'SUM(cost_micros) AS cost_total'].join(', ')} ` +
        `FROM conversion_counters WHERE ${where.join(' AND ')}${grouping}${ordering}`,
      params,
    );
    return rows
      .filter((row) => groupBy.length > 0 || row.created_total !== null)
      .map((row) => {
        const totals = Object.fromEntries(
          Object.keys(COUNTER_COLUMNS).map((name) => [name, Number(row[`${name}_total`] ?? 0)]),
        ) as Record<CounterName, number>;
        const result: CounterTotals = {
          ...totals,
          costMicros: row.cost_total === null ? null : Number(row.cost_total),
        };
        for (const field of groupBy) {
          if (field === 'day') result.day = Number(row.day);
          else result[field] = String(row[field]);
        }
        return result;
      });
  }

  /** The conversion of one app and calling code among verifications created in `[since, now)`. */
  async windowConversion(
    appId: string,
    callingCode: string,
    since: number,
    now: number,
  ): Promise<WindowConversion> {
    const rows: Record<string, string | number | null>[] = await this.dataSource.query(
      `SELECT
         SUM(CASE WHEN flow = 'outbound' THEN 1 ELSE 0 END) AS outbound_settled,
         COUNT(*) AS settled,
         SUM(CASE WHEN (flags & ?) <> 0 THEN 1 ELSE 0 END) AS approved
       FROM conversion_marks
       WHERE app_id = ? AND calling_code = ? AND created_at >= ? AND created_at < ?
         AND (expires_at <= ? OR (flags & ?) <> 0)`,
      [ConversionFlag.APPROVED, appId, callingCode, since, now, now, ConversionFlag.SETTLED],
    );
    const row = rows[0] ?? {};
    return {
      outboundSettled: Number(row.outbound_settled ?? 0),
      settled: Number(row.settled ?? 0),
      approved: Number(row.approved ?? 0),
    };
  }
}

/** `country_blocks.kind` of a shadow decision: recorded so it is made once per period, never enforced or listed. */
export const SHADOW_KIND = 'shadow_low_conversion';

/** Country blocks as the conversion guard reads and writes them (the velocity guard's live in VelocityRepository). */
@Injectable()
export class ConversionBlockRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get isMysql(): boolean {
    return this.dataSource.options.type === 'mysql' || this.dataSource.options.type === 'mariadb';
  }

  /** Latest end (a lift sets it to the lift time) of the blocks of each kind of this code. */
  async lastEnds(appId: string, callingCode: string): Promise<Map<string, number>> {
    const rows: { kind: string; until: string | number | null }[] = await this.dataSource.query(
      'SELECT kind, MAX(blocked_until) AS until FROM country_blocks WHERE app_id = ? AND calling_code = ? GROUP BY kind',
      [appId, callingCode],
    );
    return new Map(
      rows.filter((row) => row.until !== null).map((row) => [row.kind, Number(row.until)]),
    );
  }

  /**
   * Inserts the block unless one of `activeKinds` is active for the code already (so racing
   * instances add one block, not several); true when inserted.
   */
  async insertUnlessActive(
    block: {
      id: string;
      appId: string;
      callingCode: string;
      blockedUntil: number;
      reason: string;
      kind: string;
      createdAt: number;
    },
    activeKinds: string[],
    now: number,
  ): Promise<boolean> {
    const from = this.isMysql ? 'FROM DUAL ' : '';
    const affected = await execute(
      this.dataSource.manager,
      `INSERT INTO country_blocks (id, app_id, calling_code, blocked_until, reason, kind, created_at)
       SELECT ?, ?, ?, ?, ?, ?, ? ${from}WHERE NOT EXISTS (
         SELECT 1 FROM country_blocks WHERE app_id = ? AND calling_code = ? AND blocked_until > ?
           AND kind IN (${activeKinds.map(() => '?').join(', ')}))`,
      [
        block.id,
        block.appId,
        block.callingCode,
        block.blockedUntil,
        block.reason,
        block.kind,
        block.createdAt,
        block.appId,
        block.callingCode,
        now,
        ...activeKinds,
      ],
    );
    return affected === 1;
  }

  /** Ends the active blocks of these kinds now; how many there were. */
  lift(
    manager: EntityManager,
    appId: string,
    callingCode: string,
    kinds: string[],
    now: number,
  ): Promise<number> {
    return execute(
      manager,
      `UPDATE country_blocks SET blocked_until = ? WHERE app_id = ? AND calling_code = ? AND blocked_until > ?
         AND kind IN (${kinds.map(() => '?').join(', ')})`,
      [now, appId, callingCode, now, ...kinds],
    );
  }
}
