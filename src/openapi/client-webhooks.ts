import type { OperationObject, WebhooksObject } from '@nestjs/swagger';
import { WebhookEventType } from '../webhooks/webhook-events';

const WHEN: Record<
  WebhookEventType,
  { operationId: string; summary: string; description: string }
> = {
  [WebhookEventType.APPROVED]: {
    operationId: 'onVerificationApproved',
    summary: 'A verification was approved',
    description:
      'The right code was checked (outbound, or inbound with `inboundReply: code`), or the person sent the prefilled message from the expected number (inbound with `inboundReply: confirm`). `data.status` is `approved`.',
  },
  [WebhookEventType.FAILED]: {
    operationId: 'onVerificationFailed',
    summary: 'No channel could deliver the code',
    description:
      'Every channel (the first and the fallbacks) refused or failed to deliver the message. `data.status` is `failed`.',
  },
  [WebhookEventType.EXPIRED]: {
    operationId: 'onVerificationExpired',
    summary: 'A pending verification expired',
    description: 'It reached `expiresAt` while still pending. `data.status` is `expired`.',
  },
  [WebhookEventType.MAX_ATTEMPTS_REACHED]: {
    operationId: 'onVerificationMaxAttemptsReached',
    summary: 'Too many wrong codes',
    description:
      'The last allowed wrong code was checked (5 in all, across resends). `data.status` is `max_attempts_reached`.',
  },
  [WebhookEventType.DELIVERY_UPDATED]: {
    operationId: 'onVerificationDeliveryUpdated',
    summary: 'The delivery status of the last message moved',
    description:
      "The provider reported the last message as `sent`, `delivered`, `read` or `failed`, or a delivery step sent the code on a channel (each step of a `workflow`, a fallback, a retry after throttling); see `data.delivery`, with the provider's `errorCode` of the latest failure. The verification status itself may be unchanged.",
  },
  [WebhookEventType.INBOUND_MISMATCH]: {
    operationId: 'onVerificationInboundMismatch',
    summary: 'The inbound token came from another number',
    description:
      'Someone sent the prefilled message of an inbound verification from a number other than `data.phone` (or with a hidden number). The verification stays `pending`.',
  },
};

const SIGNATURE_HEADERS: OperationObject['parameters'] = [
  {
    name: 'webhook-id',
    in: 'header',
    required: true,
    description:
      'Delivery id: the same on every retry of this event, so use it to ignore duplicates (delivery is at least once).',
    schema: { type: 'string', example: 'msg_019a8c1e7b9a7c4e9f1a2b3c4d5e6f70' },
  },
  {
    name: 'webhook-timestamp',
    in: 'header',
    required: true,
    description:
      'Unix seconds of this attempt; refuse it when far from your clock (e.g. more than 5 minutes).',
    schema: { type: 'string', pattern: '^[0-9]+$', example: '1763719200' },
  },
  {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    description:
      "Standard Webhooks signature: space-separated `v1,<base64 HMAC-SHA256>` of `<webhook-id>.<webhook-timestamp>.<raw body>` keyed with the app's `whsec_…` secret (the bytes of the base64 after `whsec_`). For 24 h after a secret rotation a second `v1,` signature made with the previous secret follows. Accept the request when one of them matches (constant-time comparison).",
    schema: {
      type: 'string',
      example: 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
    },
  },
];

/**
 * The client webhooks wa-verify POSTs to the app's `webhookUrl` (OpenAPI 3.1 `webhooks`), one per
 * event type, with the Standard Webhooks headers and the `{ type, timestamp, data }` body.
 */
export function clientWebhooks(): WebhooksObject {
  const webhooks: WebhooksObject = {};
  for (const type of Object.values(WebhookEventType)) {
    const { operationId, summary, description } = WHEN[type];
    webhooks[type] = {
      post: {
        operationId,
        summary,
        description: `${description}\n\nSent as \`POST <webhookUrl>\`; answer any 2xx within WEBHOOK_TIMEOUT (10 s by default). Anything else is retried with backoff (WEBHOOK_RETRY_SCHEDULE, up to 24 h by default) with the same \`webhook-id\`; every attempt is in \`GET /v1/webhook-deliveries\`.`,
        tags: ['client webhooks'],
        security: [],
        parameters: SIGNATURE_HEADERS,
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                allOf: [
                  { $ref: '#/components/schemas/ClientWebhookEventDto' },
                  {
                    type: 'object',
                    properties: { type: { type: 'string', enum: [type] } },
                  },
                ],
              },
              example: {
                type,
                timestamp: '2026-11-21T10:00:00.000Z',
                data: {
                  id: '01936d1e-7b9a-7c4e-9f1a-2b3c4d5e6f70',
                  appId: '01936d1e-7b9a-7c4e-9f1a-2b3c4d5e6f71',
                  flow: type === WebhookEventType.INBOUND_MISMATCH ? 'inbound' : 'outbound',
                  phone: '+6281212345678',
                  channel: 'whatsapp',
                  workflow: null,
                  status: STATUS_AFTER[type],
                  attemptsRemaining: type === WebhookEventType.MAX_ATTEMPTS_REACHED ? 0 : 4,
                  sendsRemaining: 4,
                  expiresAt: '2026-11-21T10:10:00.000Z',
                  createdAt: '2026-11-21T09:59:00.000Z',
                  approvedAt:
                    type === WebhookEventType.APPROVED ? '2026-11-21T10:00:00.000Z' : null,
                  metadata: { userId: '42' },
                  waUserId: null,
                  delivery: {
                    channel: 'whatsapp',
                    status: type === WebhookEventType.FAILED ? 'failed' : 'delivered',
                    messageId: 'wamid.HBgNNjI4MTIxMjM0NTY3OBUCABEYEjQ1',
                    errorCode: type === WebhookEventType.FAILED ? '131026' : null,
                  },
                },
              },
            },
          },
        },
        responses: {
          '200': { description: 'Received (any 2xx counts).' },
          '400': {
            description:
              'Refused, e.g. a signature that does not match: retried, then the delivery is `failed` (retry it with `POST /v1/webhook-deliveries/{id}/retry`).',
          },
        },
      },
    };
  }
  return webhooks;
}

const STATUS_AFTER: Record<WebhookEventType, string> = {
  [WebhookEventType.APPROVED]: 'approved',
  [WebhookEventType.FAILED]: 'failed',
  [WebhookEventType.EXPIRED]: 'expired',
  [WebhookEventType.MAX_ATTEMPTS_REACHED]: 'max_attempts_reached',
  [WebhookEventType.DELIVERY_UPDATED]: 'pending',
  [WebhookEventType.INBOUND_MISMATCH]: 'pending',
};
