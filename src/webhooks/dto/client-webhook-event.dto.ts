import { ApiProperty } from '@nestjs/swagger';
import { VerificationResponseDto } from '../../verification/dto/verification-response.dto';
import { WebhookEventType } from '../webhook-events';

/** Body of every client webhook (documented under `webhooks` in the OpenAPI document). */
export class ClientWebhookEventDto {
  @ApiProperty({
    description: 'Event type.',
    enum: WebhookEventType,
    enumName: 'WebhookEventType',
    example: WebhookEventType.APPROVED,
  })
  type: WebhookEventType;

  @ApiProperty({
    description: 'When the event happened (ISO 8601); the same on every retry.',
    example: '2026-11-21T10:00:00.000Z',
    format: 'date-time',
  })
  timestamp: string;

  @ApiProperty({
    description: 'The verification as `GET /v1/verifications/{id}` shows it at that moment.',
    type: VerificationResponseDto,
  })
  data: VerificationResponseDto;
}
