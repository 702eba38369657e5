import { createHmac } from 'node:crypto';
import type { TestApp } from './harness';

/**
 * WhatsApp Cloud API (Meta) webhook notifications, shaped like Meta's documented examples, and the
 * `X-Hub-Signature-256` header Meta signs them with. Builders return the raw body: the signature
 * covers those exact bytes.
 */

export const META_WABA_ID = '102290129340398';
export const META_DISPLAY_PHONE_NUMBER = '15550001111';

const digits = (phone: string): string => phone.replace(/^\+/, '');
const nowSeconds = (): string => String(Math.floor(Date.now() / 1000));

/** `sha256=<hex HMAC of the raw body under the app secret>`, as Meta sends it. */
export function metaSignature(raw: string | Buffer, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`;
}

/** One inbound text message. `from` is the sender's phone; `userId` their BSUID (user_id). */
export interface MetaTextMessage {
  from?: string;
  userId?: string;
  id: string;
  text: string;
  /** The contact's profile; `{ name: 'Sheena Nelson' }` unless given. */
  profile?: Record<string, unknown>;
  timestamp?: string;
}

/** One delivery status update for a message we sent. */
export interface MetaStatusUpdate {
  messageId: string;
  recipient: string;
  status: string;
  errors?: Record<string, unknown>[];
  pricing?: Record<string, unknown>;
  timestamp?: string;
}

export type MetaChange = Record<string, unknown>;

/** The pricing block Meta attaches to an authentication-template status. */
export function metaPricing(billable = true): Record<string, unknown> {
  return { billable, pricing_model: 'PMP', category: 'authentication' };
}

/** One `messages` change for a business phone number, carrying `value` (contacts, messages, statuses…). */
export function metaChange(phoneNumberId: string, value: Record<string, unknown>): MetaChange {
  return {
    field: 'messages',
    value: {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: META_DISPLAY_PHONE_NUMBER, phone_number_id: phoneNumberId },
      ...value,
    },
  };
}

/** The `value` of a change carrying inbound text messages and their contacts. */
export function metaTextValue(messages: MetaTextMessage[]): Record<string, unknown> {
  return {
    contacts: messages.map((m) => ({
      profile: m.profile ?? { name: 'Sheena Nelson' },
      ...(m.from !== undefined ? { wa_id: digits(m.from) } : {}),
      ...(m.userId !== undefined ? { user_id: m.userId } : {}),
    })),
    messages: messages.map((m) => ({
      ...(m.from !== undefined ? { from: digits(m.from) } : {}),
      ...(m.userId !== undefined ? { from_user_id: m.userId } : {}),
      id: m.id,
      timestamp: m.timestamp ?? nowSeconds(),
      text: { body: m.text },
      type: 'text',
    })),
  };
}

/** A single status object (as in `value.statuses`). */
export function metaStatusObject(update: MetaStatusUpdate): Record<string, unknown> {
  return {
    id: update.messageId,
    status: update.status,
    timestamp: update.timestamp ?? nowSeconds(),
    recipient_id: digits(update.recipient),
    ...(update.errors !== undefined ? { errors: update.errors } : {}),
    ...(update.pricing !== undefined ? { pricing: update.pricing } : {}),
  };
}

/** Meta escapes non-ASCII characters in the JSON it signs (`é` → `\u00e9`). */
function escapeNonAscii(json: string): string {
  return json.replace(
    /[\u007f-\uffff]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export interface MetaJsonOptions {
  /** Escape non-ASCII characters like Meta does (default: plain `JSON.stringify`). */
  escapeNonAscii?: boolean;
}

/** The raw body of one notification, one entry of the business account per change. */
export function metaNotification(changes: MetaChange[], options: MetaJsonOptions = {}): string {
  const json = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: changes.map((change) => ({ id: META_WABA_ID, changes: [change] })),
  });
  return options.escapeNonAscii ? escapeNonAscii(json) : json;
}

/** The raw body of a notification with inbound text messages for `phoneNumberId`. */
export function metaInboundText(
  phoneNumberId: string,
  messages: MetaTextMessage | MetaTextMessage[],
  options?: MetaJsonOptions,
): string {
  const list = Array.isArray(messages) ? messages : [messages];
  return metaNotification([metaChange(phoneNumberId, metaTextValue(list))], options);
}

/** The raw body of a notification with status updates for `phoneNumberId`. */
export function metaStatus(
  phoneNumberId: string,
  updates: MetaStatusUpdate | MetaStatusUpdate[],
  options?: MetaJsonOptions,
): string {
  const list = Array.isArray(updates) ? updates : [updates];
  return metaNotification(
    [metaChange(phoneNumberId, { statuses: list.map(metaStatusObject) })],
    options,
  );
}

/** POSTs a raw notification to `/v1/webhooks/meta` with the given signature (none if undefined). */
export function postMetaWebhook(t: Pick<TestApp, 'http'>, raw: string, signature?: string) {
  const req = t.http.post('/v1/webhooks/meta').set('Content-Type', 'application/json');
  if (signature !== undefined) req.set('X-Hub-Signature-256', signature);
  return req.send(raw);
}
