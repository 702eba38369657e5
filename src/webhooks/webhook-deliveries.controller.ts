import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { App } from '../apps/entities/app.entity';
import { Auth, CurrentActor, CurrentApp } from '../auth/auth.decorators';
import { Actor } from '../auth/auth.types';
import { ApiErrorResponses } from '../common/api-error.dto';
import { iso } from '../common/columns';
import { WebhookAttempt } from './entities/webhook-attempt.entity';
import { WebhookDelivery, WebhookDeliveryStatus } from './entities/webhook-delivery.entity';
import {
  ListWebhookDeliveriesQueryDto,
  WebhookAttemptDto,
  WebhookDeliveryDetailDto,
  WebhookDeliveryDto,
  WebhookDeliveryPageDto,
} from './dto/webhook-delivery.dto';
import { DeliveryDetails, WebhookDeliveriesService } from './webhook-deliveries.service';

@ApiTags('webhook deliveries')
@Auth('app')
@ApiErrorResponses(400, 401, 404)
@Controller('v1/webhook-deliveries')
export class WebhookDeliveriesController {
  constructor(private readonly deliveries: WebhookDeliveriesService) {}

  @Get()
  @ApiOperation({
    operationId: 'listWebhookDeliveries',
    summary: "List the app's client-webhook deliveries, newest first",
  })
  @ApiOkResponse({ type: WebhookDeliveryPageDto })
  async list(
    @CurrentApp() app: App,
    @Query() query: ListWebhookDeliveriesQueryDto,
  ): Promise<WebhookDeliveryPageDto> {
    const page = await this.deliveries.list(app, query);
    return { data: page.data.map((row) => this.toResponse(row)), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getWebhookDelivery',
    summary: 'Read a delivery with its payload and every attempt',
  })
  @ApiOkResponse({ type: WebhookDeliveryDetailDto })
  async get(@CurrentApp() app: App, @Param('id') id: string): Promise<WebhookDeliveryDetailDto> {
    return this.toDetailResponse(await this.deliveries.details(app, id));
  }

  @Post(':id/retry')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'retryWebhookDelivery',
    summary:
      'Send a failed (or pending) delivery again now, with the same webhook-id; a succeeded one answers 400',
  })
  @ApiOkResponse({ type: WebhookDeliveryDetailDto })
  async retry(
    @CurrentApp() app: App,
    @Param('id') id: string,
    @CurrentActor() actor: Actor,
  ): Promise<WebhookDeliveryDetailDto> {
    return this.toDetailResponse(await this.deliveries.retry(app, id, actor));
  }

  private toResponse(row: WebhookDelivery): WebhookDeliveryDto {
    return {
      id: row.id,
      type: row.type,
      verificationId: row.verificationId,
      status: row.status,
      attempts: row.attempts,
      nextAttemptAt: row.status === WebhookDeliveryStatus.PENDING ? iso(row.nextAttemptAt) : null,
      lastStatusCode: row.lastStatusCode,
      lastError: row.lastError,
      createdAt: iso(row.createdAt)!,
      deliveredAt: iso(row.deliveredAt),
    };
  }

  private toDetailResponse({ delivery, attempts }: DeliveryDetails): WebhookDeliveryDetailDto {
    return {
      ...this.toResponse(delivery),
      payload: JSON.parse(delivery.payload) as Record<string, unknown>,
      attemptsLog: attempts.map((attempt) => this.toAttemptResponse(attempt)),
    };
  }

  private toAttemptResponse(attempt: WebhookAttempt): WebhookAttemptDto {
    return {
      attempt: attempt.attempt,
      statusCode: attempt.statusCode,
      latencyMs: attempt.latencyMs,
      error: attempt.error,
      createdAt: iso(attempt.createdAt)!,
    };
  }
}
