import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEnum, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { Channel, Flow, VerificationStatus } from '../verification/verification.types';

/** Languages the demo page speaks (and the verification messages it asks for). */
export const DEMO_LOCALES = ['en', 'id'] as const;
export type DemoLocale = (typeof DEMO_LOCALES)[number];

export class DemoConfigDto {
  @ApiProperty({
    description:
      'A sandbox provider is in use: the page shows the phone simulator (`/demo/api/verifications/{handle}/messages` and `/inbound` exist).',
    example: true,
  })
  sandbox: boolean;

  @ApiProperty({ description: 'The business number people write to.', example: '+15550001111' })
  businessNumber: string;

  @ApiProperty({
    description: 'Brand name of the development app, shown in the messages.',
    example: 'wa-verify',
    nullable: true,
    type: String,
  })
  brandName: string | null;
}

export class CreateDemoVerificationDto {
  @ApiProperty({ description: 'Which flow to start.', enum: Flow, example: Flow.OUTBOUND })
  @IsEnum(Flow)
  flow: Flow;

  @ApiPropertyOptional({
    description: 'Phone in E.164 (outbound only; common spellings are normalised).',
    example: '+6281212345678',
    maxLength: 40,
  })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  phone?: string;

  @ApiPropertyOptional({
    description: 'Language of the messages. Default `en`.',
    enum: DEMO_LOCALES,
    example: 'en',
  })
  @IsOptional()
  @IsIn(DEMO_LOCALES)
  locale?: DemoLocale;
}

export class DemoCheckDto {
  @ApiProperty({ description: 'The code the person typed.', example: '482913', maxLength: 16 })
  @IsString()
  @MinLength(1)
  @MaxLength(16)
  code: string;
}

export class DemoInboundDto {
  @ApiProperty({
    description: 'The number the simulated person writes from (E.164).',
    example: '+6281212345678',
    maxLength: 32,
  })
  @IsString()
  @MaxLength(32)
  @Matches(/\d/, { message: 'from must be a phone number' })
  from: string;

  @ApiPropertyOptional({
    description: "What the person sends. Default: the verification's prefilled `waMessage`.",
    example:
      'Verify my number for wa-verify: WAV-7KQ2-M9XD-4HTB. Send this message without changing it.',
    maxLength: 1024,
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  text?: string;
}

/** A verification as the demo page sees it: addressed by a demo-issued handle, never by id alone. */
export class DemoVerificationDto {
  @ApiProperty({
    description:
      'Unguessable handle the demo issued for this verification (the demo routes accept nothing else).',
    example: '01936d1e-7b9a-7c4e-9f1a-2b3c4d5e6f70.q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c',
  })
  handle: string;

  @ApiProperty({ enum: Flow, example: Flow.OUTBOUND })
  flow: Flow;

  @ApiProperty({ enum: VerificationStatus, example: VerificationStatus.PENDING })
  status: VerificationStatus;

  @ApiProperty({
    description: 'E.164 (null for an inbound verification nobody answered yet).',
    example: '+6281212345678',
    nullable: true,
    type: String,
  })
  phone: string | null;

  @ApiProperty({ enum: Channel, example: Channel.WHATSAPP })
  channel: Channel;

  @ApiProperty({ type: 'integer', example: 5 })
  attemptsRemaining: number;

  @ApiProperty({ type: 'integer', example: 4 })
  sendsRemaining: number;

  @ApiProperty({ format: 'date-time', example: '2025-01-01T12:10:00.000Z' })
  expiresAt: string;

  @ApiProperty({
    description: 'When a resend is allowed (the cooldown); null when no code was sent.',
    format: 'date-time',
    example: '2025-01-01T12:00:30.000Z',
    nullable: true,
    type: String,
  })
  resendAvailableAt: string | null;

  @ApiProperty({
    format: 'date-time',
    example: null,
    nullable: true,
    type: String,
  })
  approvedAt: string | null;

  @ApiPropertyOptional({
    description: 'Inbound, on creation only: the wa.me link.',
    example: 'https://wa.me/15550001111?text=Verify%20my%20number',
  })
  waLink?: string;

  @ApiPropertyOptional({ description: 'Inbound, on creation only: the prefilled message.' })
  waMessage?: string;

  @ApiPropertyOptional({
    description: 'Inbound, on creation only: the wa.me link as a PNG data URL.',
    example: 'data:image/png;base64,iVBORw0KGgo=',
  })
  qrCode?: string;
}

export class DemoCheckResultDto {
  @ApiProperty({ description: 'The code was right.', example: true })
  valid: boolean;

  @ApiProperty({ type: DemoVerificationDto })
  verification: DemoVerificationDto;
}

export class DemoMessageDto {
  @ApiProperty({ example: '01936d1e-7b9a-7c4e-9f1a-2b3c4d5e6f72' })
  id: string;

  @ApiProperty({ enum: Channel, example: Channel.WHATSAPP })
  channel: Channel;

  @ApiProperty({ description: 'Recipient (E.164).', example: '+6281212345678' })
  to: string;

  @ApiProperty({ example: '482913 is your wa-verify verification code. Do not share it.' })
  text: string;

  @ApiProperty({ format: 'date-time', example: '2025-01-01T12:00:00.000Z' })
  sentAt: string;
}

export class DemoInboundResultDto {
  @ApiProperty({ description: 'The message went through the inbound pipeline.', example: true })
  accepted: boolean;

  @ApiProperty({
    description: 'What the sandbox answered the sender, oldest first.',
    type: [DemoMessageDto],
  })
  replies: DemoMessageDto[];
}
