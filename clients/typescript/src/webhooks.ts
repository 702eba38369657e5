import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { components } from './schema';

export { WebhookVerificationError } from 'standardwebhooks';

/** A verified client webhook: `{ type, timestamp, data }`, `data` being the verification. */
export type WebhookEvent = components['schemas']['ClientWebhookEventDto'];
/** `verification.approved`, `verification.failed`, … (the `webhooks` of the OpenAPI document). */
export type WebhookEventType = components['schemas']['WebhookEventType'];

/** Every event type, exhaustively (the compiler fails here when the document adds one). */
const EVENT_TYPES: Record<WebhookEventType, true> = {
  'verification.approved': true,
  'verification.failed': true,
  'verification.expired': true,
  'verification.max_attempts_reached': true,
  'verification.delivery_updated': true,
  'verification.inbound_mismatch': true,
};

/**
 * The request headers: Node's `req.headers` (`IncomingHttpHeaders`), a Fetch `Headers`, or a plain
 * object. Only `webhook-id`, `webhook-timestamp` and `webhook-signature` are read.
 */
export type WebhookHeaders =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Verifies a client webhook (Standard Webhooks: HMAC-SHA256 over `id.timestamp.body` with the app's
 * `whsec_…` secret, timestamp within 5 minutes) and returns its event; throws
 * {@link WebhookVerificationError} when the signature, the timestamp or the body is wrong.
 *
 * `rawBody` must be the body exactly as received (a `Buffer` from `express.raw()` or from a
 * Fastify content-type parser with `parseAs: 'buffer'`, `await request.text()` in a Fetch
 * handler…): JSON that was parsed and serialised again no longer matches the signature. After a secret rotation both the new and the previous secret sign for 24 h, so
 * either one verifies.
 */
export function verifyWebhook(
  secret: string,
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
): WebhookEvent {
  // standardwebhooks signs and checks the body as UTF-8 text.
  const payload = typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody);
  const event = new Webhook(secret).verify(payload, {
    'webhook-id': header(headers, 'webhook-id'),
    'webhook-timestamp': header(headers, 'webhook-timestamp'),
    'webhook-signature': header(headers, 'webhook-signature'),
  });
  if (!isWebhookEvent(event)) throw new WebhookVerificationError('Unexpected webhook body');
  return event;
}

function header(headers: WebhookHeaders, name: string): string {
  const value = isFetchHeaders(headers) ? headers.get(name) : lookup(headers, name);
  if (!value) throw new WebhookVerificationError(`Missing ${name} header`);
  return value;
}

function isFetchHeaders(headers: WebhookHeaders): headers is { get(name: string): string | null } {
  return 'get' in headers && typeof headers.get === 'function';
}

function lookup(
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
  name: string,
): string | null {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    if (typeof value === 'string') return value;
    if (value?.length === 1) return value[0] ?? null;
  }
  return null;
}

/** Checks the envelope (the signature already proved that wa-verify sent it). */
function isWebhookEvent(body: unknown): body is WebhookEvent {
  return (
    typeof body === 'object' &&
    body !== null &&
    'type' in body &&
    typeof body.type === 'string' &&
    Object.hasOwn(EVENT_TYPES, body.type) &&
    'timestamp' in body &&
    typeof body.timestamp === 'string' &&
    'data' in body &&
    typeof body.data === 'object' &&
    body.data !== null &&
    'id' in body.data &&
    typeof body.data.id === 'string' &&
    'status' in body.data &&
    typeof body.data.status === 'string'
  );
}
