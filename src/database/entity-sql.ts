import { EntityManager, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { ApplyValueTransformers } from 'typeorm/util/ApplyValueTransformers';
import { Statement } from './pipelined-transactions';
import { executeDeferred } from './sql';

/**
 * Plain SQL for the hot paths (create, check, audit, outbox), driven by the entity metadata so the
 * column lists can never drift from the entities: an INSERT of whole entities and a SELECT that
 * hydrates entities, with the column transformers applied. TypeORM's query builders cost a large
 * share of CPU per request; these build each statement shape once.
 */

interface TablePlan {
  columns: ColumnMetadata[];
  insertPrefix: string;
  rowPlaceholders: string;
  selectList: string;
  /** The select list qualified with the alias `t`, for joins. */
  aliasedSelectList: string;
  /** Per alias, the select list with each column named `<alias>__<column>` (findEntityPairs). */
  prefixedSelectLists: Map<string, string>;
  table: string;
}

const plans = new WeakMap<EntityMetadata, TablePlan>();

function planOf(
  manager: EntityManager,
  target: EntityTarget<ObjectLiteral>,
): { plan: TablePlan; metadata: EntityMetadata } {
  const metadata = manager.connection.getMetadata(target);
  let plan = plans.get(metadata);
  if (!plan) {
    const escape = (name: string): string => manager.connection.driver.escape(name);
    const columns = metadata.columns.filter((column) => !column.isVirtual);
    const table = escape(metadata.tableName);
    plan = {
      columns,
      table,
      insertPrefix: `INSERT INTO ${table} (${columns.map((column) => escape(column.databaseName)).join(', ')}) VALUES `,
      rowPlaceholders: `(${columns.map(() => '?').join(', ')})`,
      selectList: columns.map((column) => escape(column.databaseName)).join(', '),
      aliasedSelectList: columns.map((column) => `t.${escape(column.databaseName)}`).join(', '),
      prefixedSelectLists: new Map(),
    };
    plans.set(metadata, plan);
  }
  return { plan, metadata };
}

/** Inserts complete entities (every column given) in one statement. */
export async function insertEntities<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  rows: T[],
): Promise<void> {
  if (rows.length === 0) return;
  const { sql, parameters } = insertEntitiesStatement(manager, target, rows);
  await query(manager, sql, parameters);
}

/**
 * {@link insertEntities} for rows nobody reads back in the transaction and whose insert cannot
 * fail on a key the caller expects (fresh ids): audit events, outbox rows, message rows. On MySQL
 * inside a transaction it travels with the transaction's next statement (pipelined-transactions.ts).
 */
export async function insertEntitiesDeferred<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  rows: T[],
): Promise<void> {
  if (rows.length === 0) return;
  const { sql, parameters } = insertEntitiesStatement(manager, target, rows);
  await executeDeferred(manager, sql, parameters);
}

/**
 * MySQL: `INSERT INTO <table> (<all columns>) SELECT ?, …, ? FROM DUAL WHERE <condition>`, the
 * insert of one complete entity that happens only when `condition` (SQL, no values) holds. A
 * property in `computed` is stored from that SQL expression instead of its entity value (which is
 * then ignored), for a value only the packet knows (a count the same packet updated).
 */
export function insertEntityWhereStatement<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  row: T,
  condition: string,
  computed: Partial<Record<keyof T & string, Statement>> = {},
): Statement {
  const { plan } = planOf(manager, target);
  const { parameters: values } = insertEntitiesStatement(manager, target, [row]);
  const selected: string[] = [];
  const parameters: unknown[] = [];
  plan.columns.forEach((column, index) => {
    const expression = computed[column.propertyName as keyof T & string];
    selected.push(expression ? expression.sql : '?');
    parameters.push(...(expression ? expression.parameters : [values[index]]));
  });
  return {
    sql: `${plan.insertPrefix.replace(/ VALUES $/, '')} SELECT ${selected.join(', ')} FROM DUAL WHERE ${condition}`,
    parameters,
  };
}

/** The INSERT of {@link insertEntities} as a statement, for a packet sent whole (runTransactionInOnePacket). */
export function insertEntitiesStatement<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  rows: T[],
): Statement {
  const { plan } = planOf(manager, target);
  const parameters: unknown[] = [];
  for (const row of rows) {
    for (const column of plan.columns) {
      const value = column.getEntityValue(row);
      const stored = column.transformer
        ? ApplyValueTransformers.transformTo(column.transformer, value)
        : value;
      parameters.push(stored === undefined ? null : stored);
    }
  }
  return {
    sql: `${plan.insertPrefix}${rows.map(() => plan.rowPlaceholders).join(', ')}`,
    parameters,
  };
}

/** `SELECT <all columns> FROM <table> WHERE <where>` hydrated into entities. `where` uses `?` placeholders and column names. */
export async function findEntities<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  where: string,
  parameters: unknown[],
): Promise<T[]> {
  const { plan, metadata } = planOf(manager, target);
  const rows = (await query(
    manager,
    `SELECT ${plan.selectList} FROM ${plan.table} WHERE ${where}`,
    parameters,
  )) as Record<string, unknown>[];
  return rows.map((row) => hydrate<T>(plan, metadata, row));
}

/**
 * `SELECT t.<all columns>, <extra> FROM <table> t <join> WHERE <where>`: entities of the table
 * aliased `t`, each with the extra columns of its row (name them so they cannot clash).
 */
export async function findEntitiesJoined<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  sql: { extra: string; join: string; where: string },
  parameters: unknown[],
): Promise<{ entity: T; row: Record<string, unknown> }[]> {
  const select = selectEntitiesStatement(manager, target, sql, parameters);
  const rows = (await query(manager, select.sql, select.parameters)) as Record<string, unknown>[];
  return hydrateEntities(manager, target, rows);
}

/** The SELECT of {@link findEntitiesJoined} as a statement, for a packet sent whole (runTransactionInOnePacket). */
export function selectEntitiesStatement<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  sql: { extra?: string; join: string; where: string },
  parameters: unknown[],
): Statement {
  const { plan } = planOf(manager, target);
  const extra = sql.extra ? `, ${sql.extra}` : '';
  return {
    sql: `SELECT ${plan.aliasedSelectList}${extra} FROM ${plan.table} t ${sql.join} WHERE ${sql.where}`,
    parameters,
  };
}

/** The rows of a {@link selectEntitiesStatement} as entities, each with its row. */
export function hydrateEntities<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  rows: Record<string, unknown>[],
): { entity: T; row: Record<string, unknown> }[] {
  const { plan, metadata } = planOf(manager, target);
  return rows.map((row) => ({ entity: hydrate<T>(plan, metadata, row), row }));
}

/**
 * `SELECT <T's columns>, <U's columns> FROM <T's table> t JOIN <U's table> u ON <on> WHERE <where>`
 * (`t` and `u` the aliases to use in `on` and `where`): one round trip for a row and the row it
 * belongs to. Each column is selected under its table's alias (`t__name`, `u__name`), so columns of
 * the same name cannot clash.
 */
export async function findEntityPairs<T extends ObjectLiteral, U extends ObjectLiteral>(
  manager: EntityManager,
  first: EntityTarget<T>,
  second: EntityTarget<U>,
  sql: { on: string; where: string },
  parameters: unknown[],
): Promise<[T, U][]> {
  const select = selectEntityPairsStatement(manager, first, second, sql, parameters);
  const rows = (await query(manager, select.sql, select.parameters)) as Record<string, unknown>[];
  return hydrateEntityPairs(manager, first, second, rows);
}

/** The SELECT of {@link findEntityPairs} as a statement, for a packet sent whole (runTransactionInOnePacket). */
export function selectEntityPairsStatement<T extends ObjectLiteral, U extends ObjectLiteral>(
  manager: EntityManager,
  first: EntityTarget<T>,
  second: EntityTarget<U>,
  sql: { on: string; where: string },
  parameters: unknown[],
): Statement {
  const t = planOf(manager, first).plan;
  const u = planOf(manager, second).plan;
  const select = [prefixedSelectList(manager, t, 't'), prefixedSelectList(manager, u, 'u')];
  return {
    sql: `SELECT ${select.join(', ')} FROM ${t.table} t JOIN ${u.table} u ON ${sql.on} WHERE ${sql.where}`,
    parameters,
  };
}

/** The pairs of rows read by {@link selectEntityPairsStatement}. */
export function hydrateEntityPairs<T extends ObjectLiteral, U extends ObjectLiteral>(
  manager: EntityManager,
  first: EntityTarget<T>,
  second: EntityTarget<U>,
  rows: Record<string, unknown>[],
): [T, U][] {
  const t = planOf(manager, first);
  const u = planOf(manager, second);
  return rows.map((row) => [
    hydrate<T>(t.plan, t.metadata, row, 't__'),
    hydrate<U>(u.plan, u.metadata, row, 'u__'),
  ]);
}

function prefixedSelectList(manager: EntityManager, plan: TablePlan, alias: string): string {
  let list = plan.prefixedSelectLists.get(alias);
  if (!list) {
    const escape = (name: string): string => manager.connection.driver.escape(name);
    list = plan.columns
      .map(
        (column) =>
          `${alias}.${escape(column.databaseName)} AS ${escape(`${alias}__${column.databaseName}`)}`,
      )
      .join(', ');
    plan.prefixedSelectLists.set(alias, list);
  }
  return list;
}

function hydrate<T extends ObjectLiteral>(
  plan: TablePlan,
  metadata: EntityMetadata,
  row: Record<string, unknown>,
  prefix = '',
): T {
  const entity = metadata.create() as T;
  for (const column of plan.columns) {
    const raw = row[prefix + column.databaseName];
    const value = column.transformer
      ? ApplyValueTransformers.transformFrom(column.transformer, raw)
      : raw;
    column.setEntityValue(entity, value === undefined ? null : value);
  }
  return entity;
}

function query(manager: EntityManager, sql: string, parameters: unknown[]): Promise<unknown> {
  return manager.queryRunner
    ? manager.queryRunner.query(sql, parameters)
    : manager.query(sql, parameters);
}
