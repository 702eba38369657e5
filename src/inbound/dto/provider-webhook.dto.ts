import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/** `GET /v1/webhooks/meta` query: Meta's subscription handshake. */
export class MetaHandshakeQueryDto {
  @ApiPropertyOptional({
    name: 'hub.mode',
    description: 'Always `subscribe` for a handshake.',
    example: 'subscribe',
  })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  'hub.mode'?: string;

  @ApiPropertyOptional({
    name: 'hub.verify_token',
    description: 'Must equal META_VERIFY_TOKEN.',
    example: 'my-verify-token',
  })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  'hub.verify_token'?: string;

  @ApiPropertyOptional({
    name: 'hub.challenge',
    description: 'Echoed back as plain text when the token matches.',
    example: '1158201444',
  })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  'hub.challenge'?: string;
}

/** Answer to a provider notification whose signature verified. */
export class WebhookAckDto {
  @ApiProperty({
    description: 'Events that were new and are now queued for processing.',
    example: 1,
    type: 'integer',
  })
  received: number;

  @ApiProperty({
    description: 'Events already received before (redeliveries), ignored.',
    example: 0,
    type: 'integer',
  })
  duplicates: number;
}

// ---- Documentation of the vendor payloads (the handlers read the raw, signed body; these classes only describe it). ----

export class MetaWebhookMetadataDto {
  @ApiProperty({ description: 'The business number as displayed.', example: '15550001111' })
  display_phone_number: string;

  @ApiProperty({
    description: 'Must be META_PHONE_NUMBER_ID; notifications for other numbers are ignored.',
    example: '106540352242922',
  })
  phone_number_id: string;
}

export class MetaWebhookContactDto {
  @ApiPropertyOptional({
    description: 'Profile of the sender.',
    example: { name: 'Sheena Nelson' },
  })
  profile?: Record<string, unknown>;

  @ApiPropertyOptional({
    description: 'Sender phone number (digits); absent when the phone is hidden behind a username.',
    example: '6281212345678',
  })
  wa_id?: string;

  @ApiPropertyOptional({
    description: 'Business-scoped user id of the sender.',
    example: 'US.13491208655302741918',
  })
  user_id?: string;
}

export class MetaWebhookMessageDto {
  @ApiPropertyOptional({ description: 'Sender phone number (digits).', example: '6281212345678' })
  from?: string;

  @ApiProperty({
    description: 'WhatsApp message id (the dedupe key).',
    example: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
  })
  id: string;

  @ApiProperty({ description: 'Unix seconds.', example: '1749416383' })
  timestamp: string;

  @ApiProperty({ description: 'Message type; only `text` can carry a token.', example: 'text' })
  type: string;

  @ApiPropertyOptional({
    description: 'Text message content.',
    example: {
      body: 'Verify my number for Acme: WAV-7KQ2-M9XD-4HTB. Send this message without changing it.',
    },
  })
  text?: { body: string };
}

export class MetaWebhookStatusDto {
  @ApiProperty({
    description: 'Id of the message we sent.',
    example: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA',
  })
  id: string;

  @ApiProperty({ description: '`sent`, `delivered`, `read` or `failed`.', example: 'delivered' })
  status: string;

  @ApiProperty({ description: 'Unix seconds.', example: '1749416383' })
  timestamp: string;

  @ApiPropertyOptional({
    description: 'Recipient phone number (digits).',
    example: '6281212345678',
  })
  recipient_id?: string;

  @ApiPropertyOptional({
    description: 'Why a message failed.',
    example: [{ code: 131026, title: 'Message undeliverable' }],
    type: 'array',
    items: { type: 'object', additionalProperties: true },
  })
  errors?: Record<string, unknown>[];
}

export class MetaWebhookValueDto {
  @ApiProperty({ description: 'Always `whatsapp`.', example: 'whatsapp' })
  messaging_product: string;

  @ApiProperty({
    description: 'Which business number the notification is for.',
    type: MetaWebhookMetadataDto,
  })
  metadata: MetaWebhookMetadataDto;

  @ApiPropertyOptional({ description: 'Senders of `messages`.', type: [MetaWebhookContactDto] })
  contacts?: MetaWebhookContactDto[];

  @ApiPropertyOptional({
    description: 'Messages people sent to the business number.',
    type: [MetaWebhookMessageDto],
  })
  messages?: MetaWebhookMessageDto[];

  @ApiPropertyOptional({
    description: 'Delivery statuses of messages we sent.',
    type: [MetaWebhookStatusDto],
  })
  statuses?: MetaWebhookStatusDto[];
}

export class MetaWebhookChangeDto {
  @ApiProperty({ description: 'Only `messages` is handled.', example: 'messages' })
  field: string;

  @ApiProperty({ description: 'The notification content.', type: MetaWebhookValueDto })
  value: MetaWebhookValueDto;
}

export class MetaWebhookEntryDto {
  @ApiProperty({ description: 'WhatsApp Business Account id.', example: '102290129340398' })
  id: string;

  @ApiProperty({ description: 'Changes in this notification.', type: [MetaWebhookChangeDto] })
  changes: MetaWebhookChangeDto[];
}

/** WhatsApp Cloud API webhook notification (`messages` field). */
export class MetaWebhookNotificationDto {
  @ApiProperty({
    description: 'Always `whatsapp_business_account`.',
    example: 'whatsapp_business_account',
  })
  object: string;

  @ApiProperty({ description: 'One entry per business account.', type: [MetaWebhookEntryDto] })
  entry: MetaWebhookEntryDto[];
}

/** Twilio status callback or inbound message (form fields; the ones we read). */
export class TwilioWebhookFormDto {
  @ApiProperty({
    description: 'Twilio message SID (the dedupe key).',
    example: 'SM0123456789abcdef0123456789abcdef',
  })
  MessageSid: string;

  @ApiProperty({
    description: 'Must be TWILIO_ACCOUNT_SID.',
    example: 'AC0123456789abcdef0123456789abcdef',
  })
  AccountSid: string;

  @ApiProperty({
    description: 'Sender (`whatsapp:+…` for WhatsApp).',
    example: 'whatsapp:+6281212345678',
  })
  From: string;

  @ApiProperty({ description: 'Recipient.', example: 'whatsapp:+15550001111' })
  To: string;

  @ApiPropertyOptional({
    description: 'Text of an inbound message.',
    example: 'Verify my number for Acme: WAV-7KQ2-M9XD-4HTB.',
  })
  Body?: string;

  @ApiPropertyOptional({
    description:
      'Status of a message we sent (`sent`, `delivered`, `read`, `failed`, `undelivered`, …); `received` for inbound messages.',
    example: 'delivered',
  })
  MessageStatus?: string;

  @ApiPropertyOptional({ description: 'Twilio error code of a failed message.', example: '30008' })
  ErrorCode?: string;
}
