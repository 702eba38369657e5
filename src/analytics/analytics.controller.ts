import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { App } from '../apps/entities/app.entity';
import { Auth, CurrentAppOrAdmin } from '../auth/auth.decorators';
import { ApiErrorResponses } from '../common/api-error.dto';
import { AnalyticsQueryService } from './analytics-query.service';
import { ConversionQueryDto, ConversionReportDto } from './dto/conversion.dto';

@ApiTags('analytics')
@ApiErrorResponses(400, 401, 403)
@Auth('app-or-admin')
@Controller('v1/analytics')
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsQueryService) {}

  @Get('conversion')
  @ApiOperation({
    operationId: 'getConversion',
    summary:
      'Conversion funnel of the verifications created in [from, to): an app key sees its own app, the admin key every app (or one with appId)',
  })
  @ApiOkResponse({ type: ConversionReportDto })
  conversion(
    @CurrentAppOrAdmin() app: App | null,
    @Query() query: ConversionQueryDto,
  ): Promise<ConversionReportDto> {
    return this.analytics.conversion(app, query);
  }
}
