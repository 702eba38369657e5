import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { App } from '../apps/entities/app.entity';
import { DomainException, ErrorCode } from '../common/errors';
import { ListAuditEventsQueryDto } from './dto/audit-event.dto';
import { AuditEvent } from './entities/audit-event.entity';

export interface AuditFilter {
  /** Null: every app (admin). */
  appId: string | null;
  verificationId?: string;
  type?: string;
  fromMs?: number;
  toMs?: number;
  cursor?: string;
  limit: number;
}

export interface AuditPage {
  data: AuditEvent[];
  nextCursor: string | null;
}

/** Ids are UUIDv7, so instants bound the id too; the slack covers ids minted a moment apart from `created_at`. */
const ID_TIME_SLACK_MS = 1000;

/**
 * Reads the audit trail, oldest first, keyset-paginated by id. Filters lead with the columns of the
 * existing indexes (verification_id, id), (app_id, type, id), (app_id, id); time bounds also narrow the id range.
 */
@Injectable()
export class AuditQueryService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The events `app` may read (null: the admin, who may narrow to one app with `appId`). */
  list(app: App | null, query: ListAuditEventsQueryDto): Promise<AuditPage> {
    if (app && query.appId !== undefined && query.appId !== app.id) {
      throw new DomainException(
        ErrorCode.FORBIDDEN,
        "An app key can only read its own app's events",
      );
    }
    return this.find({
      appId: app ? app.id : (query.appId ?? null),
      verificationId: query.verificationId,
      type: query.type,
      fromMs: query.from ? Date.parse(query.from) : undefined,
      toMs: query.to ? Date.parse(query.to) : undefined,
      cursor: query.cursor,
      limit: query.limit ?? 50,
    });
  }

  async find(filter: AuditFilter): Promise<AuditPage> {
    const query = this.dataSource
      .getRepository(AuditEvent)
      .createQueryBuilder('e')
      .orderBy('e.id', 'ASC')
      .limit(filter.limit + 1);
    if (filter.verificationId)
      query.andWhere('e.verification_id = :verificationId', {
        verificationId: filter.verificationId,
      });
    if (filter.appId) query.andWhere('e.app_id = :appId', { appId: filter.appId });
    if (filter.type) query.andWhere('e.type = :type', { type: filter.type });
    if (filter.fromMs !== undefined) {
      query.andWhere('e.id >= :idFrom', { idFrom: uuidV7Floor(filter.fromMs - ID_TIME_SLACK_MS) });
      query.andWhere('e.created_at >= :fromMs', { fromMs: filter.fromMs });
    }
    if (filter.toMs !== undefined) {
      query.andWhere('e.id < :idTo', { idTo: uuidV7Floor(filter.toMs + ID_TIME_SLACK_MS + 1) });
      query.andWhere('e.created_at <= :toMs', { toMs: filter.toMs });
    }
    if (filter.cursor) query.andWhere('e.id > :cursor', { cursor: filter.cursor.toLowerCase() });
    const rows = await query.getMany();
    const page = rows.slice(0, filter.limit);
    return { data: page, nextCursor: rows.length > filter.limit ? page[page.length - 1].id : null };
  }
}

/** The smallest UUIDv7 (as text) minted at `ms` or later: its first 48 bits are the Unix time in ms. */
export function uuidV7Floor(ms: number): string {
  const hex = Math.max(0, Math.min(ms, 0xffffffffffff)).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}
