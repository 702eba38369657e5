import { AbuseEntities } from '../abuse/entities';
import { ConversionCounter } from '../analytics/entities/conversion-counter.entity';
import { ConversionMark } from '../analytics/entities/conversion-mark.entity';
import { ApiKey } from '../apps/entities/api-key.entity';
import { App } from '../apps/entities/app.entity';
import { AuditEvent } from '../audit/entities/audit-event.entity';
import { InboundEvent } from '../inbound/entities/inbound-event.entity';
import { InboundSender } from '../inbound/entities/inbound-sender.entity';
import { WaUserPhone } from '../inbound/entities/wa-user-phone.entity';
import { SandboxMessage } from '../providers/entities/sandbox-message.entity';
import { IdempotencyKey } from '../verification/entities/idempotency-key.entity';
import { VerificationMessage } from '../verification/entities/verification-message.entity';
import { Verification } from '../verification/entities/verification.entity';
import { DeliveryStep } from '../verification/routing/delivery-step.entity';
import { WebhookAttempt } from '../webhooks/entities/webhook-attempt.entity';
import { WebhookDelivery } from '../webhooks/entities/webhook-delivery.entity';
import { WebhookEndpoint } from '../webhooks/entities/webhook-endpoint.entity';

/** Every entity of the service, registered once with the data source. */
export const ENTITIES = [
  App,
  ApiKey,
  Verification,
  VerificationMessage,
  IdempotencyKey,
  InboundEvent,
  InboundSender,
  WaUserPhone,
  WebhookDelivery,
  WebhookAttempt,
  WebhookEndpoint,
  AuditEvent,
  SandboxMessage,
  ...AbuseEntities,
  ConversionCounter,
  ConversionMark,
  DeliveryStep,
];
