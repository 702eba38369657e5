import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentActor } from '../auth/auth.decorators';
import { Actor } from '../auth/auth.types';
import { ApiErrorResponses } from '../common/api-error.dto';
import { TemplateListDto, TemplateSyncResultDto } from './dto/template.dto';
import { TemplatesService } from './templates.service';

@ApiTags('templates (admin)')
@ApiErrorResponses(401, 409, 502)
@Auth('admin')
@Controller('v1/templates')
export class TemplatesController {
  constructor(private readonly templates: TemplatesService) {}

  @Get()
  @ApiOperation({
    operationId: 'listTemplates',
    summary: 'The WhatsApp authentication templates (META_OTP_TEMPLATE) on the Business Account',
  })
  @ApiOkResponse({ type: TemplateListDto })
  async list(): Promise<TemplateListDto> {
    return { data: await this.templates.list() };
  }

  @Post('sync')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'syncTemplates',
    summary:
      'Create the authentication template in every configured language that lacks it (idempotent)',
  })
  @ApiOkResponse({ type: TemplateSyncResultDto })
  async sync(@CurrentActor() actor: Actor): Promise<TemplateSyncResultDto> {
    return this.templates.sync(actor);
  }
}
