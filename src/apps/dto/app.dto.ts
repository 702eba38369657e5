import { ApiProperty, ApiPropertyOptional, PartialType, PickType } from '@nestjs/swagger';
import { IsOmittable } from '../../common/validation';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  Validate,
  ValidateNested,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { normalisePhone } from '../../common/phone';
import { MAX_TEST_NUMBERS } from '../../verification/test-numbers';

@ValidatorConstraint({ name: 'isInternationalPhone' })
class IsInternationalPhone implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && normalisePhone(value) !== null;
  }

  defaultMessage(): string {
    return 'phone must be a valid international number (E.164, e.g. +6281212345678)';
  }
}

/** The same phone twice (after normalisation) would make its code ambiguous. */
@ValidatorConstraint({ name: 'distinctTestPhones' })
class DistinctTestPhones implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (!Array.isArray(value)) return true;
    const phones = value
      .map((entry: unknown) =>
        entry && typeof entry === 'object' && 'phone' in entry && typeof entry.phone === 'string'
          ? normalisePhone(entry.phone)?.e164
          : undefined,
      )
      .filter((phone): phone is string => phone !== undefined);
    return new Set(phones).size === phones.length;
  }

  defaultMessage(): string {
    return 'testNumbers must not list the same phone twice';
  }
}

export class TestNumberDto {
  @ApiProperty({
    description:
      'The test phone, E.164 (other common spellings are normalised). It never gets a message.',
    example: '+6281200000001',
  })
  @IsString()
  @Validate(IsInternationalPhone)
  phone: string;

  @ApiProperty({
    description:
      'The fixed code this phone accepts, 4 to 10 digits. Stored hashed: never shown again, not even in this response.',
    example: '246810',
    writeOnly: true,
  })
  @IsString()
  @Matches(/^\d{4,10}$/, { message: 'code must be 4 to 10 digits' })
  code: string;
}

export class CreateAppDto {
  @ApiProperty({ description: 'Display name of the app (tenant).', example: 'Acme Shop' })
  @IsString()
  @MinLength(1)
  @MaxLength(120)
  name: string;

  @ApiPropertyOptional({
    description: 'Where client webhooks are POSTed (https in production).',
    example: 'https://api.acme.test/hooks/wa-verify',
    type: 'string',
    format: 'uri',
    maxLength: 2048,
    nullable: true,
  })
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  @MaxLength(2048)
  webhookUrl?: string | null;

  @ApiPropertyOptional({
    description: 'Brand shown in messages to the person.',
    example: 'Acme',
    type: 'string',
    minLength: 1,
    maxLength: 60,
    nullable: true,
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(60)
  brandName?: string | null;

  @ApiPropertyOptional({
    description: 'Locale used when a verification names none. Default `en`.',
    example: 'en',
    type: 'string',
    pattern: '^[a-z]{2,3}([-_][A-Za-z]{2,4})?$',
  })
  @IsOmittable()
  @Matches(/^[a-z]{2,3}([-_][A-Za-z]{2,4})?$/)
  defaultLocale?: string;

  @ApiPropertyOptional({
    description: 'ISO 3166-1 alpha-2 countries phones may belong to; empty or null allows all.',
    example: ['ID', 'IT'],
    type: [String],
    nullable: true,
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(250)
  @Matches(/^[A-Za-z]{2}$/, { each: true })
  allowedCountries?: string[] | null;

  @ApiPropertyOptional({
    description: 'Default code length (4..10). Default 6.',
    example: 6,
    type: 'integer',
    minimum: 4,
    maximum: 10,
  })
  @IsOmittable()
  @IsInt()
  @Min(4)
  @Max(10)
  codeLength?: number;

  @ApiPropertyOptional({
    description: 'Default time to live of a verification in seconds (60..3600). Default 600.',
    example: 600,
    type: 'integer',
    minimum: 60,
    maximum: 3600,
  })
  @IsOmittable()
  @IsInt()
  @Min(60)
  @Max(3600)
  ttlSeconds?: number;

  @ApiPropertyOptional({
    description:
      'Verifications one phone may get per 15 minutes (default from RATE_LIMIT_PHONE_PER_15_MINUTES).',
    example: 5,
    type: 'integer',
    minimum: 1,
    maximum: 100000,
    nullable: true,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100000)
  phoneLimitPer15Minutes?: number | null;

  @ApiPropertyOptional({
    description:
      'Verifications one phone may get per 24 hours (default from RATE_LIMIT_PHONE_PER_DAY).',
    example: 20,
    type: 'integer',
    minimum: 1,
    maximum: 1000000,
    nullable: true,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000000)
  phoneLimitPerDay?: number | null;

  @ApiPropertyOptional({
    description: `Test numbers (at most ${MAX_TEST_NUMBERS}, each phone once): phones that never get a message and accept their fixed code, for CI and app-store review. They skip the velocity guard and the country checks (and, outside production, the per-phone limits), and their verifications are marked as tests. Honoured outside production always, in production only with \`testNumbersInProduction\`. On PATCH the list replaces the previous one; \`null\` or \`[]\` removes them all.`,
    type: [TestNumberDto],
    nullable: true,
    maxItems: MAX_TEST_NUMBERS,
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TEST_NUMBERS)
  @ValidateNested({ each: true })
  @Type(() => TestNumberDto)
  @Validate(DistinctTestPhones)
  testNumbers?: TestNumberDto[] | null;

  @ApiPropertyOptional({
    description:
      'Honour the test numbers when NODE_ENV is production too (e.g. for an app-store reviewer); false when not given. When false, a test number is an ordinary number in production: a real message, every limit.',
    example: false,
  })
  @IsOmittable()
  @IsBoolean()
  testNumbersInProduction?: boolean;

  @ApiPropertyOptional({
    description:
      'Approve a phone-less inbound `confirm` verification for a WhatsApp sender whose phone is hidden behind a username (business-scoped user id only): the verification is approved with `waUserId` and `phone: null`. False when not given: such a sender is asked to share their number and the verification stays pending.',
    example: false,
  })
  @IsOmittable()
  @IsBoolean()
  allowUsernameOnly?: boolean;
}

/**
 * Every field optional; a field without a null state (`name`, `defaultLocale`, `codeLength`,
 * `ttlSeconds`, `testNumbersInProduction`, `allowUsernameOnly`) is still refused as `null` (400, not a failed write).
 */
export class UpdateAppDto extends PartialType(CreateAppDto, { skipNullProperties: false }) {}

export class ApiKeySummaryDto {
  @ApiProperty({ description: 'API key id.', example: '01936d1e-7b9a-7c4e-9f1a-2b3c4d5e6f70' })
  id: string;

  @ApiProperty({
    description: 'First characters of the key, to tell keys apart.',
    example: 'wav_Zk3Q9xYw',
  })
  prefix: string;

  @ApiProperty({ description: 'When the key was created.', example: '2026-11-21T10:00:00.000Z' })
  createdAt: string;
}

export class CountryBlockDto {
  @ApiProperty({
    description: 'Country calling code blocked by a fraud guard.',
    example: '62',
  })
  callingCode: string;

  @ApiProperty({
    description:
      'Main country of that calling code (ISO 3166 alpha-2; `US` for `1`), or null when unknown. The block covers the whole calling code.',
    example: 'ID',
    type: String,
    nullable: true,
  })
  country: string | null;

  @ApiProperty({
    description:
      'Which guard set it: `velocity` (unusual volume) or `low_conversion` (too few verifications completed).',
    enum: ['velocity', 'low_conversion'],
    example: 'low_conversion',
  })
  reason: 'velocity' | 'low_conversion';

  @ApiProperty({
    description: 'What the guard saw, in words.',
    example: 'low_conversion: 3 of 60 approved (5%), under 20%',
  })
  detail: string;

  @ApiProperty({
    description: 'Until when creations to that country are refused.',
    example: '2026-11-21T11:00:00.000Z',
  })
  blockedUntil: string;
}

export class TestNumberSummaryDto {
  @ApiProperty({
    description: 'A test phone (E.164). Its fixed code is never shown.',
    example: '+6281200000001',
  })
  phone: string;
}

export class AppResponseDto {
  @ApiProperty({ description: 'App id.', example: '01936d1e-7b9a-7c4e-9f1a-2b3c4d5e6f70' })
  id: string;

  @ApiProperty({ description: 'Display name.', example: 'Acme Shop' })
  name: string;

  @ApiProperty({
    description: 'Client webhook URL.',
    example: 'https://api.acme.test/hooks/wa-verify',
    nullable: true,
    type: String,
  })
  webhookUrl: string | null;

  @ApiProperty({
    description: 'Brand shown in messages.',
    example: 'Acme',
    nullable: true,
    type: String,
  })
  brandName: string | null;

  @ApiProperty({ description: 'Default locale.', example: 'en' })
  defaultLocale: string;

  @ApiProperty({
    description: 'Allowed countries (null: all).',
    example: ['ID', 'IT'],
    nullable: true,
    type: [String],
  })
  allowedCountries: string[] | null;

  @ApiProperty({ description: 'Default code length.', example: 6, type: 'integer' })
  codeLength: number;

  @ApiProperty({ description: 'Default time to live in seconds.', example: 600, type: 'integer' })
  ttlSeconds: number;

  @ApiProperty({
    description: 'Per-phone limit per 15 minutes (null: service default).',
    example: 5,
    nullable: true,
    type: 'integer',
  })
  phoneLimitPer15Minutes: number | null;

  @ApiProperty({
    description: 'Per-phone limit per 24 hours (null: service default).',
    example: 20,
    nullable: true,
    type: 'integer',
  })
  phoneLimitPerDay: number | null;

  @ApiProperty({
    description: 'Test numbers (phones only: their fixed codes are stored hashed and never shown).',
    type: [TestNumberSummaryDto],
  })
  testNumbers: TestNumberSummaryDto[];

  @ApiProperty({
    description: 'Whether the test numbers are honoured in production too.',
    example: false,
  })
  testNumbersInProduction: boolean;

  @ApiProperty({
    description:
      'Whether this service honours the test numbers now: true outside production, in production only with testNumbersInProduction.',
    example: true,
  })
  testNumbersActive: boolean;

  @ApiProperty({
    description:
      'Whether a phone-less confirm verification may be approved for a sender known only by a WhatsApp user id (phone hidden).',
    example: false,
  })
  allowUsernameOnly: boolean;

  @ApiProperty({ description: 'Active (not revoked) API keys.', type: [ApiKeySummaryDto] })
  apiKeys: ApiKeySummaryDto[];

  @ApiProperty({
    description: 'Countries currently blocked by the velocity guard.',
    type: [CountryBlockDto],
  })
  countryBlocks: CountryBlockDto[];

  @ApiProperty({ description: 'Creation time.', example: '2026-11-21T10:00:00.000Z' })
  createdAt: string;

  @ApiProperty({ description: 'Last update time.', example: '2026-11-21T10:00:00.000Z' })
  updatedAt: string;
}

/** An app in the admin list: its identity and active keys, never a secret. */
export class AppSummaryDto extends PickType(AppResponseDto, [
  'id',
  'name',
  'webhookUrl',
  'brandName',
  'apiKeys',
  'createdAt',
  'updatedAt',
] as const) {}

export class AppListDto {
  @ApiProperty({ description: 'Every app, oldest first.', type: [AppSummaryDto] })
  data: AppSummaryDto[];
}

export class CreatedAppResponseDto extends AppResponseDto {
  @ApiProperty({
    description: 'The first API key. Shown only in this response.',
    example: 'wav_Zk3Q9xYwT1m2...',
  })
  apiKey: string;

  @ApiProperty({
    description:
      'Secret that signs client webhooks (Standard Webhooks). Shown only in this response.',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  webhookSecret: string;
}

export class ApiKeyCreatedDto {
  @ApiProperty({ description: 'API key id.', example: '01936d1e-7b9a-7c4e-9f1a-2b3c4d5e6f70' })
  id: string;

  @ApiProperty({
    description: 'The key. Shown only in this response.',
    example: 'wav_Zk3Q9xYwT1m2...',
  })
  apiKey: string;
}

export class WebhookSecretRotatedDto {
  @ApiProperty({
    description: 'The new secret that signs client webhooks. Shown only in this response.',
    example: 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD',
  })
  webhookSecret: string;

  @ApiProperty({
    description:
      'Until then every webhook also carries a second `v1,` signature made with the previous secret (24 h).',
    example: '2026-11-22T10:00:00.000Z',
  })
  previousSecretExpiresAt: string;
}
