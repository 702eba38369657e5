import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsISO8601,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { ActorType } from '../entities/audit-event.entity';

export class ListAuditEventsQueryDto {
  @ApiPropertyOptional({
    description: 'Only events about this verification (its story, oldest first).',
    example: '01936d1e-7b9a-7c4e-9f1a-2b3c4d5e6f70',
  })
  @IsOptional()
  @IsString()
  @MaxLength(36)
  verificationId?: string;

  @ApiPropertyOptional({ description: 'Only events of this type.', example: 'check.succeeded' })
  @IsOptional()
  @Matches(/^[a-z_]+(\.[a-z_]+)*$/, {
    message: 'type must be an event type such as check.succeeded',
  })
  @MaxLength(64)
  type?: string;

  @ApiPropertyOptional({
    description: 'Only events at or after this instant (ISO 8601).',
    example: '2026-11-21T00:00:00.000Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({
    description: 'Only events at or before this instant (ISO 8601).',
    example: '2026-11-22T00:00:00.000Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({
    description:
      'Admin only: only events of this app. An app key may only name its own app (else 403).',
    example: '01936d1e-7b9a-7c4e-9f1a-2b3c4d5e6f71',
  })
  @IsOptional()
  @IsUUID()
  appId?: string;

  @ApiPropertyOptional({
    description: 'Page size, 1..200.',
    example: 50,
    default: 50,
    type: 'integer',
    minimum: 1,
    maximum: 200,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({
    description: '`nextCursor` of the previous page.',
    example: '01936d1e-7b9a-7c4e-9f1a-2b3c4d5e6f72',
  })
  @IsOptional()
  @IsUUID()
  cursor?: string;
}

export class AuditActorDto {
  @ApiProperty({
    description:
      'Who acted: an app API key, the admin, a messaging provider (webhook), the service itself, or an operator with the `wa-verify` command line.',
    enum: ['api_key', 'admin', 'provider', 'system', 'cli'],
    example: 'api_key',
  })
  type: ActorType;

  @ApiProperty({
    description: 'API key id for `api_key`; null otherwise.',
    example: '01936d1e-7b9a-7c4e-9f1a-2b3c4d5e6f73',
    nullable: true,
    type: String,
  })
  id: string | null;
}

export class AuditEventDto {
  @ApiProperty({
    description: 'Event id (UUIDv7: time-ordered).',
    example: '01936d1e-7b9a-7c4e-9f1a-2b3c4d5e6f72',
  })
  id: string;

  @ApiProperty({
    description:
      'What happened, e.g. verification.created, message.sent, check.failed, check.succeeded, webhook.delivered.',
    example: 'check.succeeded',
  })
  type: string;

  @ApiProperty({
    description: 'The app concerned.',
    example: '01936d1e-7b9a-7c4e-9f1a-2b3c4d5e6f71',
    nullable: true,
    type: String,
  })
  appId: string | null;

  @ApiProperty({
    description: 'The verification concerned.',
    example: '01936d1e-7b9a-7c4e-9f1a-2b3c4d5e6f70',
    nullable: true,
    type: String,
  })
  verificationId: string | null;

  @ApiProperty({ description: 'Who acted.', type: AuditActorDto })
  actor: AuditActorDto;

  @ApiProperty({
    description: 'Client IP of the request that caused the event (null for the service itself).',
    example: '203.0.113.7',
    nullable: true,
    type: String,
  })
  ip: string | null;

  @ApiProperty({
    description:
      'Details: masked phones, ids, statuses and counts. Never codes, tokens, keys, secrets or message bodies.',
    example: { attempt: 1 },
    nullable: true,
    type: 'object',
    additionalProperties: true,
  })
  data: Record<string, unknown> | null;

  @ApiProperty({ description: 'When it happened.', example: '2026-11-21T10:00:01.000Z' })
  createdAt: string;
}

export class AuditEventPageDto {
  @ApiProperty({ description: 'Events, oldest first.', type: [AuditEventDto] })
  data: AuditEventDto[];

  @ApiProperty({
    description: 'Pass as `cursor` for the next page; null on the last page.',
    example: null,
    nullable: true,
    type: String,
  })
  nextCursor: string | null;
}
