/** Client webhook event types (API.md). */
export enum WebhookEventType {
  APPROVED = 'verification.approved',
  FAILED = 'verification.failed',
  EXPIRED = 'verification.expired',
  MAX_ATTEMPTS_REACHED = 'verification.max_attempts_reached',
  DELIVERY_UPDATED = 'verification.delivery_updated',
  INBOUND_MISMATCH = 'verification.inbound_mismatch',
}
