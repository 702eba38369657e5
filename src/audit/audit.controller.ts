import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { App } from '../apps/entities/app.entity';
import { Auth, CurrentAppOrAdmin } from '../auth/auth.decorators';
import { ApiErrorResponses } from '../common/api-error.dto';
import { iso } from '../common/columns';
import { AuditQueryService } from './audit-query.service';
import { AuditEventDto, AuditEventPageDto, ListAuditEventsQueryDto } from './dto/audit-event.dto';
import { AuditEvent } from './entities/audit-event.entity';

@ApiTags('audit')
@ApiErrorResponses(400, 401, 403)
@Auth('app-or-admin')
@Controller('v1/audit-events')
export class AuditController {
  constructor(private readonly audit: AuditQueryService) {}

  @Get()
  @ApiOperation({
    operationId: 'listAuditEvents',
    summary:
      "The audit trail, oldest first: an app key sees its own app's events, the admin key every app's (filter with appId)",
  })
  @ApiOkResponse({ type: AuditEventPageDto })
  async list(
    @CurrentAppOrAdmin() app: App | null,
    @Query() query: ListAuditEventsQueryDto,
  ): Promise<AuditEventPageDto> {
    const page = await this.audit.list(app, query);
    return { data: page.data.map((event) => this.toResponse(event)), nextCursor: page.nextCursor };
  }

  private toResponse(event: AuditEvent): AuditEventDto {
    return {
      id: event.id,
      type: event.type,
      appId: event.appId,
      verificationId: event.verificationId,
      actor: { type: event.actorType, id: event.actorId },
      ip: event.ip,
      data: event.data,
      createdAt: iso(event.createdAt)!,
    };
  }
}
