/** Vocabulary of a verification, shared by every module (values are part of the public contract). */
export enum VerificationStatus {
  PENDING = 'pending',
  APPROVED = 'approved',
  CANCELED = 'canceled',
  EXPIRED = 'expired',
  MAX_ATTEMPTS_REACHED = 'max_attempts_reached',
  FAILED = 'failed',
}

export enum Flow {
  OUTBOUND = 'outbound',
  INBOUND = 'inbound',
}

export enum Channel {
  WHATSAPP = 'whatsapp',
  SMS = 'sms',
}

export enum InboundReply {
  CONFIRM = 'confirm',
  CODE = 'code',
}

export enum DeliveryStatus {
  QUEUED = 'queued',
  ACCEPTED = 'accepted',
  SENT = 'sent',
  DELIVERED = 'delivered',
  READ = 'read',
  FAILED = 'failed',
}

/** Order of delivery statuses: a late `sent` never overwrites `read`. `failed` always wins. */
export const DELIVERY_STATUS_RANK: Record<DeliveryStatus, number> = {
  [DeliveryStatus.QUEUED]: 0,
  [DeliveryStatus.ACCEPTED]: 1,
  [DeliveryStatus.SENT]: 2,
  [DeliveryStatus.DELIVERED]: 3,
  [DeliveryStatus.READ]: 4,
  [DeliveryStatus.FAILED]: 5,
};

/** Time to live of a verification when neither the request nor the app sets one. */
export const DEFAULT_TTL_SECONDS = 600;

export const MAX_CHECK_ATTEMPTS = 5;
export const MAX_SENDS = 5;
export const RESEND_COOLDOWN_MS = 30_000;

/**
 * One step of a delivery plan: the channel, and how long to wait for `delivered` before the next
 * step sends (none: the next step sends only when this one fails).
 */
export interface WorkflowStep {
  channel: Channel;
  timeoutSeconds?: number;
}

export const WORKFLOW_MAX_STEPS = 3;
export const WORKFLOW_MIN_TIMEOUT_SECONDS = 10;
export const WORKFLOW_MAX_TIMEOUT_SECONDS = 600;
