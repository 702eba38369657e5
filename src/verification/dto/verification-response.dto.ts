import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Channel, DeliveryStatus, Flow, VerificationStatus } from '../verification.types';

export class DeliveryDto {
  @ApiProperty({
    description: 'Channel that carried the last message.',
    enum: Channel,
    example: Channel.WHATSAPP,
  })
  channel: Channel;

  @ApiProperty({
    description: 'Delivery status of the last message.',
    enum: DeliveryStatus,
    example: DeliveryStatus.ACCEPTED,
  })
  status: DeliveryStatus;

  @ApiProperty({
    description: 'Provider message id.',
    example: 'wamid.HBgNNjI4MTIxMjM0NTY3OBUCABEYEjQ1',
    nullable: true,
    type: String,
  })
  messageId: string | null;

  @ApiProperty({
    description:
      "The provider's error code of the latest failure while delivering the current code (Meta `131026`, Twilio `63024`; see docs/providers.md), or null.",
    example: null,
    nullable: true,
    type: String,
  })
  errorCode: string | null;
}

export class WorkflowStepResponseDto {
  @ApiProperty({ description: 'Channel of this step.', enum: Channel, example: Channel.WHATSAPP })
  channel: Channel;

  @ApiProperty({
    description: 'Seconds to wait for `delivered` before the next step (null on the last step).',
    example: 30,
    nullable: true,
    type: 'integer',
  })
  timeoutSeconds: number | null;
}

export class VerificationResponseDto {
  @ApiProperty({ description: 'Verification id.', example: '01936d1e-7b9a-7c4e-9f1a-2b3c4d5e6f70' })
  id: string;

  @ApiProperty({ description: 'Owning app.', example: '01936d1e-7b9a-7c4e-9f1a-2b3c4d5e6f71' })
  appId: string;

  @ApiProperty({ description: 'Flow.', enum: Flow, example: Flow.OUTBOUND })
  flow: Flow;

  @ApiProperty({
    description: 'Phone in E.164 (null for an inbound verification nobody answered yet).',
    example: '+6281212345678',
    nullable: true,
    type: String,
  })
  phone: string | null;

  @ApiProperty({ description: 'Requested channel.', enum: Channel, example: Channel.WHATSAPP })
  channel: Channel;

  @ApiProperty({
    description: 'The channel workflow given at creation, or null.',
    type: [WorkflowStepResponseDto],
    nullable: true,
  })
  workflow: WorkflowStepResponseDto[] | null;

  @ApiProperty({
    description: 'Status; only `pending` moves.',
    enum: VerificationStatus,
    example: VerificationStatus.PENDING,
  })
  status: VerificationStatus;

  @ApiProperty({ description: 'Wrong codes still allowed.', example: 5, type: 'integer' })
  attemptsRemaining: number;

  @ApiProperty({ description: 'Resends still allowed.', example: 4, type: 'integer' })
  sendsRemaining: number;

  @ApiProperty({
    description: 'When the verification expires.',
    example: '2026-11-21T10:10:00.000Z',
  })
  expiresAt: string;

  @ApiProperty({ description: 'Creation time.', example: '2026-11-21T10:00:00.000Z' })
  createdAt: string;

  @ApiProperty({ description: 'Approval time.', example: null, nullable: true, type: String })
  approvedAt: string | null;

  @ApiProperty({
    description: 'The metadata given at creation.',
    example: { userId: '42' },
    type: 'object',
    additionalProperties: true,
  })
  metadata: Record<string, unknown>;

  @ApiProperty({
    description: 'WhatsApp business-scoped user id of the sender, when WhatsApp hid the phone.',
    example: null,
    nullable: true,
    type: String,
  })
  waUserId: string | null;

  @ApiProperty({
    description: 'The last message sent (null when nothing was sent).',
    type: DeliveryDto,
    nullable: true,
  })
  delivery: DeliveryDto | null;

  @ApiPropertyOptional({
    description:
      'Inbound: link that opens a chat with the business number, prefilled with `waMessage`.',
    example:
      'https://wa.me/15550001111?text=Verify%20my%20number%20for%20Acme%3A%20WAV-7KQ2-M9XD-4HTP',
  })
  waLink?: string;

  @ApiPropertyOptional({
    description: 'Inbound: the message the person sends (contains the one-time token).',
    example:
      'Verify my number for Acme: WAV-7KQ2-M9XD-4HTP. Send this message without changing it.',
  })
  waMessage?: string;

  @ApiPropertyOptional({
    description: 'Inbound: QR code of `waLink` as a data URL.',
    example: 'data:image/svg+xml;base64,PHN2ZyB4bWxucz0i...',
  })
  qrCode?: string;
}

export class CheckResultDto {
  @ApiProperty({ description: 'Verification id.', example: '01936d1e-7b9a-7c4e-9f1a-2b3c4d5e6f70' })
  id: string;

  @ApiProperty({
    description: 'Status after this check.',
    enum: VerificationStatus,
    example: VerificationStatus.APPROVED,
  })
  status: VerificationStatus;

  @ApiProperty({ description: 'Whether the code was right.', example: true })
  valid: boolean;

  @ApiPropertyOptional({
    description: 'Wrong codes still allowed (when the code was wrong).',
    example: 4,
    type: 'integer',
  })
  attemptsRemaining?: number;
}

export class VerificationPageDto {
  @ApiProperty({ description: 'Verifications, newest first.', type: [VerificationResponseDto] })
  data: VerificationResponseDto[];

  @ApiProperty({
    description: 'Cursor of the next page, or null.',
    example: null,
    nullable: true,
    type: String,
  })
  nextCursor: string | null;
}
