import { DataSource, QueryRunner } from 'typeorm';
import { QueryFailedError } from 'typeorm/error/QueryFailedError';
import { QueryResult } from 'typeorm/query-runner/QueryResult';
import { withDeadlockRetry } from './deadlock-retry';

/**
 * Fewer round trips per transaction on MySQL/MariaDB, with the same statements in the same order
 * and the same transaction.
 *
 * A transaction's `START TRANSACTION` and the writes whose result nobody reads (audit events,
 * outbox rows, counters: {@link deferWrite}) wait in the connection's queue and travel in one
 * multi-statement packet with the next statement whose result is needed, at the latest with
 * `COMMIT`. A flow that was twenty round trips is six; the server still runs every statement, in
 * order, inside the transaction. A failing statement stops the packet (MySQL runs none after it):
 * the error reaches the caller of the statement that sent the packet and the transaction rolls
 * back as before, so a deferred write must never be one whose error a caller handles (a unique
 * violation it expects, say). A rollback before anything reached the server costs no round trip.
 *
 * SQLite runs in-process and has no round trips: its transactions are left as they are.
 */
export function pipelineTransactions(dataSource: DataSource): DataSource {
  if (dataSource.options.type !== 'mysql' && dataSource.options.type !== 'mariadb')
    return dataSource;
  const create = dataSource.createQueryRunner.bind(dataSource);
  dataSource.createQueryRunner = (mode) => withPipeline(create(mode));
  pipelinedDataSources.add(dataSource);
  return dataSource;
}

/** True when `dataSource` pipelines its transactions, so {@link runTransactionInOnePacket} applies (MySQL). */
export function sendsPackets(dataSource: DataSource): boolean {
  return pipelinedDataSources.has(dataSource);
}

const pipelinedDataSources = new WeakSet<DataSource>();

const START = 'START TRANSACTION';

interface Pipeline {
  /** Formatted statements not sent yet, in order. */
  queue: string[];
}

const pipelines = new WeakMap<QueryRunner, Pipeline>();

/**
 * Runs a write whose result (and whose error) the caller does not need. Inside a pipelined
 * transaction it joins the queue; anywhere else it runs at once.
 */
export async function deferWrite(
  runner: QueryRunner | undefined,
  sql: string,
  parameters: unknown[],
  runNow: () => Promise<unknown>,
): Promise<void> {
  const pipeline = runner && pipelines.get(runner);
  if (!pipeline || !runner.isTransactionActive) {
    await runNow();
    return;
  }
  const connection = (await runner.connect()) as {
    format(sql: string, values: unknown[]): string;
  };
  pipeline.queue.push(connection.format(sql, parameters));
}

export interface Statement {
  sql: string;
  parameters: unknown[];
}

/**
 * MySQL: one whole transaction in one packet, `START TRANSACTION; <writes>; COMMIT; <read>`, and
 * the read's rows. For a transaction whose writes decide nothing in JavaScript (each later write
 * guarded in SQL by the earlier ones, e.g. with a session variable) and whose outcome the read
 * reports. If a statement fails the packet stops inside the transaction: it is rolled back before
 * the connection goes back to the pool. A deadlock's victim is sent again (deadlock-retry.ts).
 */
export async function runTransactionInOnePacket(
  dataSource: DataSource,
  writes: Statement[],
  read: Statement,
): Promise<Record<string, unknown>[]> {
  const [rows] = await runTransactionInOnePacketReading(dataSource, writes, [read]);
  return rows;
}

/** {@link runTransactionInOnePacket} with several reads after COMMIT: the rows of each, in order. */
export async function runTransactionInOnePacketReading(
  dataSource: DataSource,
  writes: Statement[],
  reads: Statement[],
): Promise<Record<string, unknown>[][]> {
  const statements = [
    { sql: START, parameters: [] },
    ...writes,
    { sql: 'COMMIT', parameters: [] },
    ...reads,
  ];
  return withDeadlockRetry(async () => {
    const runner = dataSource.createQueryRunner();
    try {
      const results = (await runner.query(
        statements.map((statement) => statement.sql).join(';\n'),
        statements.flatMap((statement) => statement.parameters),
      )) as unknown[];
      return results.slice(results.length - reads.length) as Record<string, unknown>[][];
    } catch (error) {
      await runner.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  });
}

/** True when `runner` queues deferred writes (MySQL inside a transaction). */
export function isPipelined(runner: QueryRunner | undefined): boolean {
  return !!runner && runner.isTransactionActive && pipelines.has(runner);
}

function withPipeline(runner: QueryRunner): QueryRunner {
  const pipeline: Pipeline = { queue: [] };
  pipelines.set(runner, pipeline);
  const send = runner.query.bind(runner) as (
    sql: string,
    parameters?: unknown[],
    structured?: boolean,
  ) => Promise<unknown>;
  const { queue } = pipeline;

  const query = async (
    sql: string,
    parameters?: unknown[],
    structured = false,
  ): Promise<unknown> => {
    if (sql === START && queue.length === 0) {
      queue.push(START);
      return structured ? new QueryResult() : undefined;
    }
    if (sql === 'ROLLBACK' && queue[0] === START) {
      // Nothing of this transaction reached the server.
      queue.length = 0;
      return structured ? new QueryResult() : undefined;
    }
    if (sql === 'ROLLBACK') queue.length = 0; // writes of a failed transaction are dropped
    if (queue.length === 0) return send(sql, parameters, structured);

    const connection = (await runner.connect()) as {
      format(sql: string, values: unknown[]): string;
    };
    const packet = [...queue, connection.format(sql, parameters ?? [])].join(';\n');
    queue.length = 0;
    let combined: QueryResult;
    try {
      combined = (await send(packet, undefined, true)) as QueryResult;
    } catch (error) {
      // The statement the caller sent, with its placeholders: the packet holds values (phone
      // numbers, hashes) that have no place in an error or a log.
      if (!(error instanceof QueryFailedError)) throw error; // not from the server (no connection)
      throw new QueryFailedError(sql, parameters, error.driverError);
    }
    return lastResult(combined.raw as unknown[], structured);
  };
  runner.query = query as QueryRunner['query'];
  return runner;
}

/** The result of a packet's last statement, shaped as TypeORM's MySQL runner shapes one. */
function lastResult(results: unknown[], structured: boolean): unknown {
  const raw = results[results.length - 1] as { affectedRows?: number } | unknown[];
  if (!structured) return raw;
  const result = new QueryResult();
  result.raw = raw;
  if (Array.isArray(raw)) result.records = raw;
  else if (raw && typeof raw === 'object' && 'affectedRows' in raw)
    result.affected = raw.affectedRows;
  return result;
}
