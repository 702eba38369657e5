import { ApiProperty } from '@nestjs/swagger';

export class TemplateDto {
  @ApiProperty({ description: 'Template name (META_OTP_TEMPLATE).', example: 'otp_code' })
  name: string;

  @ApiProperty({ description: 'Template language (Meta code).', example: 'pt_BR' })
  language: string;

  @ApiProperty({
    description:
      "Meta's review status: `APPROVED` (usable), `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`…",
    example: 'APPROVED',
  })
  status: string;

  @ApiProperty({
    description: 'The OTP button: `copy_code`, `one_tap` or `zero_tap`; null when Meta shows none.',
    example: 'one_tap',
    type: String,
    nullable: true,
  })
  otpType: string | null;
}

export class TemplateListDto {
  @ApiProperty({
    description: 'The WABA templates named META_OTP_TEMPLATE, one per language.',
    type: [TemplateDto],
  })
  data: TemplateDto[];
}

export class TemplateSyncFailureDto {
  @ApiProperty({ description: 'Language that could not be created.', example: 'pt_BR' })
  language: string;

  @ApiProperty({
    description: "Meta's refusal (error code and title), or why the Graph API was not reached.",
    example: 'meta error 100: Invalid parameter',
  })
  error: string;
}

export class TemplateSyncResultDto {
  @ApiProperty({
    description: 'Languages created now (status `PENDING` until Meta reviews them).',
    example: ['pt_BR'],
    type: [String],
  })
  created: string[];

  @ApiProperty({
    description: 'Languages that already had the template, whatever its status; left untouched.',
    example: ['en', 'id'],
    type: [String],
  })
  existing: string[];

  @ApiProperty({
    description: 'Languages the Graph API refused; a later sync tries them again.',
    type: [TemplateSyncFailureDto],
  })
  failed: TemplateSyncFailureDto[];
}
