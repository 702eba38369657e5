import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Actor } from '../auth/auth.types';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import {
  insertEntitiesDeferred,
  insertEntitiesStatement,
  insertEntityWhereStatement,
} from '../database/entity-sql';
import { Statement } from '../database/pipelined-transactions';
import { currentRequestId } from '../logging/request-context';
import { AuditEvent } from './entities/audit-event.entity';

export interface AuditEntry {
  type: string;
  appId: string | null;
  verificationId?: string | null;
  actor: Actor;
  /** Only masked phones, ids, statuses and counts: never codes, tokens, keys, secrets or message bodies. */
  data?: Record<string, unknown>;
}

/** The one writer of the append-only audit trail. Pass the transaction's manager to write atomically with the change. */
@Injectable()
export class AuditService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  build(entry: AuditEntry, at = this.clock.now()): AuditEvent {
    const event = new AuditEvent();
    event.id = newId();
    event.type = entry.type;
    event.appId = entry.appId;
    event.verificationId = entry.verificationId ?? null;
    event.actorType = entry.actor.type;
    event.actorId = entry.actor.id;
    event.ip = entry.actor.ip;
    // The request it happened in (the actor's, else the one being served: actors built by hand
    // such as a provider's), so an audit event leads to the request's log lines.
    const requestId = entry.actor.requestId ?? currentRequestId();
    event.data = requestId ? { ...entry.data, requestId } : (entry.data ?? null);
    event.createdAt = at;
    return event;
  }

  /** MySQL: the statement inserting `entries`, for a transaction sent in one packet (runTransactionInOnePacket). */
  inserts(entries: AuditEntry[]): Statement[] {
    if (entries.length === 0) return [];
    const now = this.clock.now();
    return [
      insertEntitiesStatement(
        this.dataSource.manager,
        AuditEvent,
        entries.map((entry) => this.build(entry, now)),
      ),
    ];
  }

  /**
   * MySQL: statements inserting `entries` only when `condition` (SQL, no values) holds, for a
   * transaction sent in one packet (runTransactionInOnePacket). With `dataNumber`, each entry's
   * data gets `key` first, its number from that SQL expression where the packet evaluates it (a
   * count the packet itself moved).
   */
  insertsWhere(
    entries: AuditEntry[],
    condition: string,
    dataNumber?: { key: string; value: Statement },
  ): Statement[] {
    const now = this.clock.now();
    return entries.map((entry) => {
      const event = this.build(entry, now);
      return insertEntityWhereStatement(
        this.dataSource.manager,
        AuditEvent,
        event,
        condition,
        dataNumber ? { data: jsonWithNumberFirst(event.data, dataNumber) } : {},
      );
    });
  }

  async record(
    entries: AuditEntry | AuditEntry[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    const list = Array.isArray(entries) ? entries : [entries];
    if (list.length === 0) return;
    const now = this.clock.now();
    await insertEntitiesDeferred(
      manager,
      AuditEvent,
      list.map((entry) => this.build(entry, now)),
    );
  }
}

/** `data` as JSON text with `key` first, its value a number computed by SQL: `CONCAT('{"key":', <value>, ',<the rest>}')`. */
function jsonWithNumberFirst(
  data: Record<string, unknown> | null,
  { key, value }: { key: string; value: Statement },
): Statement {
  const rest = Object.fromEntries(Object.entries(data ?? {}).filter(([name]) => name !== key));
  const restJson = JSON.stringify(rest);
  return {
    sql: `CONCAT(?, ${value.sql}, ?)`,
    parameters: [
      `{${JSON.stringify(key)}:`,
      ...value.parameters,
      restJson === '{}' ? '}' : `,${restJson.slice(1)}`,
    ],
  };
}
