import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Auth, CurrentActor } from '../auth/auth.decorators';
import { Actor } from '../auth/auth.types';
import { ApiErrorResponses } from '../common/api-error.dto';
import { AppsService } from './apps.service';
import { toAppSummaryView, toAppView, toCreatedAppView, toRotatedSecretView } from './app.view';
import { ApiKeysService } from './api-keys.service';
import {
  ApiKeyCreatedDto,
  AppListDto,
  AppResponseDto,
  CreateAppDto,
  CreatedAppResponseDto,
  UpdateAppDto,
  WebhookSecretRotatedDto,
} from './dto/app.dto';

@ApiTags('apps (admin)')
@ApiErrorResponses(400, 401, 404)
@Auth('admin')
@Controller('v1/apps')
export class AppsController {
  constructor(
    private readonly apps: AppsService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  @Post()
  @ApiOperation({
    operationId: 'createApp',
    summary: 'Create an app (tenant) with its first API key and webhook secret',
  })
  @ApiCreatedResponse({ type: CreatedAppResponseDto })
  async create(
    @Body() dto: CreateAppDto,
    @CurrentActor() actor: Actor,
  ): Promise<CreatedAppResponseDto> {
    return toCreatedAppView(await this.apps.create(dto, actor));
  }

  @Get()
  @ApiOperation({
    operationId: 'listApps',
    summary: 'List every app with its active API keys (ids and prefixes; never a secret)',
  })
  @ApiOkResponse({ type: AppListDto })
  async list(): Promise<AppListDto> {
    return { data: (await this.apps.list()).map(toAppSummaryView) };
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getApp',
    summary: 'Read an app',
  })
  @ApiOkResponse({ type: AppResponseDto })
  async get(@Param('id') id: string): Promise<AppResponseDto> {
    return toAppView(await this.apps.details(id));
  }

  @Patch(':id')
  @ApiOperation({
    operationId: 'updateApp',
    summary: 'Update an app',
  })
  @ApiOkResponse({ type: AppResponseDto })
  async update(
    @Param('id') id: string,
    @Body() dto: UpdateAppDto,
    @CurrentActor() actor: Actor,
  ): Promise<AppResponseDto> {
    return toAppView(await this.apps.update(id, dto, actor));
  }

  @Post(':id/api-keys')
  @ApiOperation({
    operationId: 'createApiKey',
    summary: 'Add an API key (shown once)',
  })
  @ApiCreatedResponse({ type: ApiKeyCreatedDto })
  async addKey(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<ApiKeyCreatedDto> {
    return this.apiKeys.create(id, actor);
  }

  @Delete(':id/api-keys/:keyId')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key (at once)',
  })
  @ApiNoContentResponse({ description: 'Revoked.' })
  async revokeKey(
    @Param('id') id: string,
    @Param('keyId') keyId: string,
    @CurrentActor() actor: Actor,
  ): Promise<void> {
    await this.apiKeys.revoke(id, keyId, actor);
  }

  @Post(':id/webhook-secret/rotate')
  @ApiOperation({
    operationId: 'rotateWebhookSecret',
    summary: 'Rotate the webhook secret (new one shown once; the previous one also signs for 24 h)',
  })
  @ApiCreatedResponse({ type: WebhookSecretRotatedDto })
  async rotateWebhookSecret(
    @Param('id') id: string,
    @CurrentActor() actor: Actor,
  ): Promise<WebhookSecretRotatedDto> {
    return toRotatedSecretView(await this.apps.rotateWebhookSecret(id, actor));
  }
}
