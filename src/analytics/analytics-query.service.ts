import { Injectable } from '@nestjs/common';
import { App } from '../apps/entities/app.entity';
import { Clock } from '../common/clock';
import { DomainException, ErrorCode } from '../common/errors';
import { DAY_MS } from './conversion-counters.service';
import { ConversionFolder } from './conversion-folder.service';
import { ConversionRepository, GroupByField } from './conversion.repository';
import { ConversionQueryDto, ConversionReportDto, ConversionRowDto } from './dto/conversion.dto';

const DEFAULT_RANGE_MS = 7 * DAY_MS;
/** Longest range one request may ask for (bounds the rows summed). */
const MAX_RANGE_DAYS = 400;
/** Cost is stored in millionths. */
const MICROS = 1_000_000;

/**
 * The conversion report, answered from `conversion_counters` only (SUM … GROUP BY over at most
 * apps × days × countries × channels × flows rows of the range), never from verifications, once
 * the marks not folded yet are (ConversionFolder).
 */
@Injectable()
export class AnalyticsQueryService {
  constructor(
    private readonly repository: ConversionRepository,
    private readonly folder: ConversionFolder,
    private readonly clock: Clock,
  ) {}

  async conversion(app: App | null, query: ConversionQueryDto): Promise<ConversionReportDto> {
    if (app && query.appId !== undefined && query.appId !== app.id)
      throw new DomainException(
        ErrorCode.FORBIDDEN,
        "An app key can only read its own app's figures",
      );
    const to = query.to ? Date.parse(query.to) : this.clock.now();
    const from = query.from ? Date.parse(query.from) : to - DEFAULT_RANGE_MS;
    if (!(from < to)) throw invalid('from', 'from must be before to');
    if (to - from > MAX_RANGE_DAYS * DAY_MS)
      throw invalid('from', `the range may span at most ${MAX_RANGE_DAYS} days`);
    const groupBy = query.groupBy ? (query.groupBy.split(',') as GroupByField[]) : [];
    if (new Set(groupBy).size !== groupBy.length)
      throw invalid('groupBy', 'groupBy names a field twice');
    // Days whose start (00:00 UTC) lies in [from, to).
    const fromDay = Math.ceil(from / DAY_MS);
    const toDay = Math.ceil(to / DAY_MS);
    // Every transition committed before this request is in the counters.
    await this.folder.foldCommitted();
    const rows = await this.repository.totals(
      app ? app.id : (query.appId ?? null),
      fromDay,
      toDay,
      groupBy,
    );
    return {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      groupBy,
      data: rows.map((row) => {
        const out: ConversionRowDto = {
          created: row.created,
          sent: row.sent,
          delivered: row.delivered,
          read: row.read,
          approved: row.approved,
          expired: row.expired,
          failed: row.failed,
          canceled: row.canceled,
          billed: row.billed,
          conversionRate:
            row.created === 0 ? 0 : Math.round((row.approved / row.created) * 10_000) / 10_000,
          cost: row.costMicros === null ? null : row.costMicros / MICROS,
        };
        if (row.country !== undefined) out.country = row.country;
        if (row.channel !== undefined) out.channel = row.channel;
        if (row.flow !== undefined) out.flow = row.flow;
        if (row.day !== undefined) out.day = new Date(row.day * DAY_MS).toISOString().slice(0, 10);
        return out;
      }),
    };
  }
}

function invalid(field: string, message: string): DomainException {
  return new DomainException(ErrorCode.VALIDATION_FAILED, message, {
    details: [{ field, message }],
  });
}
