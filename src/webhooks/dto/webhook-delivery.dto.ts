import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEnum, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { WebhookDeliveryStatus } from '../entities/webhook-delivery.entity';
import { WebhookEventType } from '../webhook-events';

export class ListWebhookDeliveriesQueryDto {
  @ApiPropertyOptional({
    description: 'Only deliveries with this status.',
    enum: WebhookDeliveryStatus,
    example: WebhookDeliveryStatus.FAILED,
  })
  @IsOptional()
  @IsEnum(WebhookDeliveryStatus)
  status?: WebhookDeliveryStatus;

  @ApiPropertyOptional({
    description: 'Page size, 1..100.',
    example: 20,
    default: 20,
    type: 'integer',
    minimum: 1,
    maximum: 100,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({
    description: '`nextCursor` of the previous page.',
    example: 'msg_019a8c1e7b9a7c4e9f1a2b3c4d5e6f70',
  })
  @IsOptional()
  @IsString()
  @Matches(/^msg_[0-9a-f]{32}$/, { message: 'cursor must be a nextCursor value' })
  cursor?: string;
}

export class WebhookAttemptDto {
  @ApiProperty({ description: 'Attempt number, from 1.', example: 1, type: 'integer' })
  attempt: number;

  @ApiProperty({
    description: 'HTTP status the receiver answered (null when no answer came).',
    example: 503,
    nullable: true,
    type: 'integer',
  })
  statusCode: number | null;

  @ApiProperty({
    description: 'Time to the response headers, in milliseconds.',
    example: 182,
    type: 'integer',
  })
  latencyMs: number;

  @ApiProperty({
    description: 'Why the attempt failed (null on success). Never contains the response body.',
    example: 'HTTP 503',
    nullable: true,
    type: String,
  })
  error: string | null;

  @ApiProperty({ description: 'When the attempt ended.', example: '2026-11-21T10:00:05.182Z' })
  createdAt: string;
}

export class WebhookDeliveryDto {
  @ApiProperty({
    description: 'Delivery id, sent as the `webhook-id` header on every attempt.',
    example: 'msg_019a8c1e7b9a7c4e9f1a2b3c4d5e6f70',
  })
  id: string;

  @ApiProperty({
    description: 'Event type.',
    enum: WebhookEventType,
    example: WebhookEventType.APPROVED,
  })
  type: string;

  @ApiProperty({
    description: 'The verification the event is about.',
    example: '01936d1e-7b9a-7c4e-9f1a-2b3c4d5e6f70',
    nullable: true,
    type: String,
  })
  verificationId: string | null;

  @ApiProperty({
    description:
      '`pending` (waiting for an attempt), `succeeded` (a 2xx came back) or `failed` (every scheduled attempt failed).',
    enum: WebhookDeliveryStatus,
    example: WebhookDeliveryStatus.SUCCEEDED,
  })
  status: WebhookDeliveryStatus;

  @ApiProperty({ description: 'Attempts made so far.', example: 1, type: 'integer' })
  attempts: number;

  @ApiProperty({
    description: 'When the next attempt is due (null unless pending).',
    example: null,
    nullable: true,
    type: String,
  })
  nextAttemptAt: string | null;

  @ApiProperty({
    description: 'HTTP status of the last attempt.',
    example: 200,
    nullable: true,
    type: 'integer',
  })
  lastStatusCode: number | null;

  @ApiProperty({
    description: 'Why the last attempt failed.',
    example: null,
    nullable: true,
    type: String,
  })
  lastError: string | null;

  @ApiProperty({ description: 'When the event was queued.', example: '2026-11-21T10:00:00.000Z' })
  createdAt: string;

  @ApiProperty({
    description: 'When a 2xx came back.',
    example: '2026-11-21T10:00:00.412Z',
    nullable: true,
    type: String,
  })
  deliveredAt: string | null;
}

export class WebhookDeliveryDetailDto extends WebhookDeliveryDto {
  @ApiProperty({
    description: 'The exact JSON body sent on every attempt: `{ type, timestamp, data }`.',
    example: {
      type: 'verification.approved',
      timestamp: '2026-11-21T10:00:00.000Z',
      data: { id: '01936d1e-7b9a-7c4e-9f1a-2b3c4d5e6f70', status: 'approved' },
    },
    type: 'object',
    additionalProperties: true,
  })
  payload: Record<string, unknown>;

  @ApiProperty({ description: 'Every attempt, oldest first.', type: [WebhookAttemptDto] })
  attemptsLog: WebhookAttemptDto[];
}

export class WebhookDeliveryPageDto {
  @ApiProperty({
    description: 'Deliveries, newest first (without their attempts; read one delivery for those).',
    type: [WebhookDeliveryDto],
  })
  data: WebhookDeliveryDto[];

  @ApiProperty({
    description: 'Pass as `cursor` for the next page; null on the last page.',
    example: null,
    nullable: true,
    type: String,
  })
  nextCursor: string | null;
}
