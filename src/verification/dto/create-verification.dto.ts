import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsEnum,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  Channel,
  Flow,
  InboundReply,
  WORKFLOW_MAX_STEPS,
  WORKFLOW_MAX_TIMEOUT_SECONDS,
  WORKFLOW_MIN_TIMEOUT_SECONDS,
} from '../verification.types';

export class WorkflowStepDto {
  @ApiProperty({ description: 'Channel of this step.', enum: Channel, example: Channel.WHATSAPP })
  @IsEnum(Channel)
  channel: Channel;

  @ApiPropertyOptional({
    description: `Seconds to wait for \`delivered\` (status webhook) before the next step sends, ${WORKFLOW_MIN_TIMEOUT_SECONDS}..${WORKFLOW_MAX_TIMEOUT_SECONDS}. Not on the last step. Without it, the next step sends only when this one fails.`,
    example: 30,
    type: 'integer',
    minimum: WORKFLOW_MIN_TIMEOUT_SECONDS,
    maximum: WORKFLOW_MAX_TIMEOUT_SECONDS,
  })
  @IsOptional()
  @IsInt()
  @Min(WORKFLOW_MIN_TIMEOUT_SECONDS)
  @Max(WORKFLOW_MAX_TIMEOUT_SECONDS)
  timeoutSeconds?: number;
}

export class CreateVerificationDto {
  @ApiPropertyOptional({
    description:
      'Phone in E.164 (other common spellings are normalised). Required for outbound; optional for inbound (then the number that writes in is verified).',
    example: '+6281212345678',
  })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  phone?: string;

  @ApiPropertyOptional({
    description:
      '`outbound`: we send a code. `inbound`: the person sends us a prefilled message (lower ban risk). Default `outbound`.',
    enum: Flow,
    example: Flow.OUTBOUND,
  })
  @IsOptional()
  @IsEnum(Flow)
  flow?: Flow;

  @ApiPropertyOptional({
    description: 'Channel of the first message. Default `whatsapp`.',
    enum: Channel,
    example: Channel.WHATSAPP,
  })
  @IsOptional()
  @IsEnum(Channel)
  channel?: Channel;

  @ApiPropertyOptional({
    description:
      'Channels to try, in order, when the first cannot deliver the code. None unless asked.',
    enum: Channel,
    isArray: true,
    example: [Channel.SMS],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(2)
  @IsEnum(Channel, { each: true })
  fallbackChannels?: Channel[];

  @ApiPropertyOptional({
    description: `Outbound only, instead of \`channel\` and \`fallbackChannels\`: the channels to try in order (1..${WORKFLOW_MAX_STEPS} steps). A step whose message is not \`delivered\` within its \`timeoutSeconds\` is followed by the next one, which sends the same code; a step that fails moves on at once. The last step has no timeout.`,
    type: [WorkflowStepDto],
    minItems: 1,
    maxItems: WORKFLOW_MAX_STEPS,
    example: [{ channel: Channel.WHATSAPP, timeoutSeconds: 30 }, { channel: Channel.SMS }],
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WORKFLOW_MAX_STEPS)
  @ValidateNested({ each: true })
  @Type(() => WorkflowStepDto)
  workflow?: WorkflowStepDto[];

  @ApiPropertyOptional({
    description: "Locale of the messages (default: the app's).",
    example: 'en',
  })
  @IsOptional()
  @Matches(/^[a-z]{2,3}([-_][A-Za-z]{2,4})?$/)
  locale?: string;

  @ApiPropertyOptional({
    description: "Digits in the code, 4..10 (default: the app's, 6).",
    example: 6,
    type: 'integer',
    minimum: 4,
    maximum: 10,
  })
  @IsOptional()
  @IsInt()
  @Min(4)
  @Max(10)
  codeLength?: number;

  @ApiPropertyOptional({
    description: "Time to live in seconds, 60..3600 (default: the app's, 600).",
    example: 600,
    type: 'integer',
    minimum: 60,
    maximum: 3600,
  })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(3600)
  ttlSeconds?: number;

  @ApiPropertyOptional({
    description:
      'Inbound only: `confirm` approves on a match; `code` replies with a code to check. Default `confirm`.',
    enum: InboundReply,
    example: InboundReply.CONFIRM,
  })
  @IsOptional()
  @IsEnum(InboundReply)
  inboundReply?: InboundReply;

  @ApiPropertyOptional({
    description: 'Any JSON object of at most 2 KB, echoed in client webhooks.',
    example: { userId: '42' },
    type: 'object',
    additionalProperties: true,
  })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;
}

export class CheckCodeDto {
  @ApiProperty({ description: 'The code the person typed.', example: '123456' })
  @IsString()
  @MaxLength(20)
  code: string;
}

export class CheckByPhoneDto extends CheckCodeDto {
  @ApiProperty({
    description: 'Phone of the latest pending verification of the app.',
    example: '+6281212345678',
  })
  @IsString()
  @MaxLength(40)
  phone: string;
}

export class ResendDto {
  @ApiPropertyOptional({
    description: "Channel for this send (default: the verification's).",
    enum: Channel,
    example: Channel.WHATSAPP,
  })
  @IsOptional()
  @IsEnum(Channel)
  channel?: Channel;
}
