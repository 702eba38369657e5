import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsUUID, Matches, MaxLength } from 'class-validator';

export class ConversionQueryDto {
  @ApiPropertyOptional({
    description:
      'Start (inclusive, ISO 8601 instant). Counters are per UTC day: the days whose start (00:00 UTC) lies in [from, to) are counted. Default: 7 days before `to`.',
    example: '2026-11-14T00:00:00.000Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({
    description: 'End (exclusive, ISO 8601 instant). Default: now.',
    example: '2026-11-21T00:00:00.000Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({
    description:
      'Comma list of `country`, `channel`, `flow`, `day` (each at most once). Default: none (one total row).',
    example: 'country,channel',
  })
  @IsOptional()
  @MaxLength(64)
  @Matches(/^(country|channel|flow|day)(,(country|channel|flow|day))*$/, {
    message: 'groupBy must be a comma list of country, channel, flow, day',
  })
  groupBy?: string;

  @ApiPropertyOptional({
    description:
      'Admin only: only this app (default: every app). An app key may only name its own app (else 403).',
    example: '01936d1e-7b9a-7c4e-9f1a-2b3c4d5e6f71',
  })
  @IsOptional()
  @IsUUID()
  appId?: string;
}

export class ConversionRowDto {
  @ApiPropertyOptional({
    description: 'ISO 3166 alpha-2 of the phone at creation, `ZZ` when unknown (groupBy country).',
    example: 'ID',
  })
  country?: string;

  @ApiPropertyOptional({
    description: 'Channel asked for at creation (groupBy channel).',
    example: 'whatsapp',
  })
  channel?: string;

  @ApiPropertyOptional({ description: 'Flow (groupBy flow).', example: 'outbound' })
  flow?: string;

  @ApiPropertyOptional({
    description: 'UTC day of creation, `YYYY-MM-DD` (groupBy day).',
    example: '2026-11-20',
  })
  day?: string;

  @ApiProperty({ description: 'Verifications created.', example: 120, type: 'integer' })
  created: number;

  @ApiProperty({
    description: 'Of those, with a message accepted by a provider.',
    example: 118,
    type: 'integer',
  })
  sent: number;

  @ApiProperty({
    description: 'Of those, with a message reported delivered (provider status webhooks).',
    example: 110,
    type: 'integer',
  })
  delivered: number;

  @ApiProperty({
    description: 'Of those, with a message reported read (provider status webhooks).',
    example: 90,
    type: 'integer',
  })
  read: number;

  @ApiProperty({
    description: 'Approved (code checked, or inbound message matched).',
    example: 96,
    type: 'integer',
  })
  approved: number;

  @ApiProperty({ description: 'Expired.', example: 15, type: 'integer' })
  expired: number;

  @ApiProperty({
    description:
      'Failed: no channel could deliver, or the attempts ran out (`max_attempts_reached`).',
    example: 2,
    type: 'integer',
  })
  failed: number;

  @ApiProperty({ description: 'Canceled by the app.', example: 1, type: 'integer' })
  canceled: number;

  @ApiProperty({
    description: 'Verifications with a message the provider reported billable (Meta `pricing`).',
    example: 118,
    type: 'integer',
  })
  billed: number;

  @ApiProperty({ description: 'approved / created, 4 decimals (0 when none).', example: 0.8 })
  conversionRate: number;

  @ApiProperty({
    description:
      'Sum of the billed messages at the prices of CONVERSION_PRICE_TABLE (billable per Meta `pricing`); null when no price is known for any of them.',
    example: null,
    type: Number,
    nullable: true,
  })
  cost: number | null;
}

export class ConversionReportDto {
  @ApiProperty({
    description: 'Start of the range asked (ISO 8601).',
    example: '2026-11-14T00:00:00.000Z',
  })
  from: string;

  @ApiProperty({
    description: 'End of the range asked (ISO 8601).',
    example: '2026-11-21T00:00:00.000Z',
  })
  to: string;

  @ApiProperty({
    description: 'Grouping fields, in the order given.',
    example: ['country'],
    enum: ['country', 'channel', 'flow', 'day'],
    isArray: true,
  })
  groupBy: string[];

  @ApiProperty({ type: [ConversionRowDto] })
  data: ConversionRowDto[];
}
