import { Logger } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { hmacSha256Hex, safeEqual } from '../../common/crypto';
import { MetaConfig } from '../../config/app-config';
import { Channel, DeliveryStatus } from '../../verification/verification.types';
import {
  DeliveryError,
  InboundMessageEvent,
  MessagingProvider,
  OutboundMessage,
  ProviderEvent,
  SendResult,
  StatusEvent,
} from '../messaging-provider';
import {
  JsonRecord,
  asArray,
  asString,
  errorCodeOf,
  isRecord,
  phoneFromProvider,
  safeVendorText,
} from '../provider-utils';
import { ProviderHttpClient } from '../provider-http';
import { chooseTemplateLanguage } from './template-language';

/** Graph error codes that mean "throttled": worth another try later even though the HTTP status is 4xx. */
const THROTTLING_CODES = new Set(['4', '80007', '130429', '131048', '131056']);

/** Meta's error for an authentication template addressed to a business-scoped user id. */
const USER_ID_TEMPLATE_ERROR = '131062';

const SIGNATURE_HEADER = /^sha256=([0-9a-f]{64})$/i;

/**
 * WhatsApp through Meta's Cloud API: sends codes with the approved authentication template and
 * free-form texts, verifies `X-Hub-Signature-256`, and turns webhook notifications into
 * {@link ProviderEvent}s.
 */
export class MetaWhatsappProvider implements MessagingProvider {
  readonly name = 'meta' as const;
  readonly channel = Channel.WHATSAPP;
  private readonly logger = new Logger(MetaWhatsappProvider.name);
  private readonly http: ProviderHttpClient;

  constructor(
    private readonly config: MetaConfig,
    private readonly clock: Clock,
  ) {
    this.http = new ProviderHttpClient('meta', config.timeoutMs);
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    const body = this.payloadFor(message);
    const url = `${this.config.apiBaseUrl}/${this.config.apiVersion}/${this.config.phoneNumberId}/messages`;
    const { status, json } = await this.http.post(
      url,
      {
        authorization: `Bearer ${this.config.accessToken}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      JSON.stringify(body),
    );
    if (status < 200 || status >= 300) throw this.httpError(status, json, message.code);

    const messageId = isRecord(json)
      ? asString(asArray(json.messages).filter(isRecord)[0]?.id)
      : null;
    if (!messageId) {
      // The message may have gone out: another try could send it twice.
      throw new DeliveryError('meta response without a message id', false);
    }
    return { messageId, status: DeliveryStatus.ACCEPTED };
  }

  /** `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`. */
  verifySignature(rawBody: Buffer, header: string | undefined): boolean {
    if (!this.config.appSecret || typeof header !== 'string') return false;
    const match = SIGNATURE_HEADER.exec(header.trim());
    if (!match) return false;
    const expected = hmacSha256Hex(this.config.appSecret, rawBody);
    return safeEqual(match[1].toLowerCase(), expected);
  }

  /** WhatsApp Cloud API webhook notification → events. Malformed pieces are skipped, never thrown. */
  parseEvents(body: unknown): ProviderEvent[] {
    if (!isRecord(body) || body.object !== 'whatsapp_business_account') return [];
    const events: ProviderEvent[] = [];
    for (const entry of asArray(body.entry).filter(isRecord)) {
      for (const change of asArray(entry.changes).filter(isRecord)) {
        if (change.field !== 'messages' || !isRecord(change.value)) continue;
        const value = change.value;
        const metadata = isRecord(value.metadata) ? value.metadata : {};
        if (asString(metadata.phone_number_id) !== this.config.phoneNumberId) continue;
        const contacts = asArray(value.contacts).filter(isRecord);
        for (const item of asArray(value.messages).filter(isRecord)) {
          const event = this.toInboundEvent(item, contacts);
          if (event) events.push(event);
        }
        for (const item of asArray(value.statuses).filter(isRecord)) {
          const event = this.toStatusEvent(item);
          if (event) events.push(event);
        }
      }
    }
    return events;
  }

  private payloadFor(message: OutboundMessage): JsonRecord {
    // A sender known only by a business-scoped user id is addressed with `recipient` (Meta ignores
    // it when `to` is present, so the two are never sent together).
    const address = message.to
      ? { to: message.to.replace(/^\+/, '') }
      : message.toUserId
        ? { recipient: message.toUserId }
        : null;
    if (!address) throw new DeliveryError('no phone number or user id to send to', false);
    const envelope = { messaging_product: 'whatsapp', recipient_type: 'individual', ...address };
    if (message.kind === 'text') {
      return { ...envelope, type: 'text', text: { preview_url: false, body: message.text } };
    }
    if (!message.to) {
      // Meta refuses authentication templates to user ids (131062); not sent, so no charge either.
      throw new DeliveryError(
        `meta error ${USER_ID_TEMPLATE_ERROR}: authentication templates need a phone number`,
        false,
        USER_ID_TEMPLATE_ERROR,
      );
    }
    if (!message.code) throw new DeliveryError('code message without a code', false);
    const parameter = { type: 'text', text: message.code };
    return {
      ...envelope,
      type: 'template',
      template: {
        name: this.config.otpTemplate,
        language: {
          code: chooseTemplateLanguage(message.locale, this.config.templateLanguages),
        },
        components: [
          { type: 'body', parameters: [parameter] },
          { type: 'button', sub_type: 'url', index: '0', parameters: [parameter] },
        ],
      },
    };
  }

  private httpError(status: number, json: unknown, code: string | undefined): DeliveryError {
    const error = isRecord(json) && isRecord(json.error) ? json.error : null;
    const providerCode = error ? asString(error.code) : null;
    const retryable =
      status === 429 ||
      status >= 500 ||
      (providerCode !== null && THROTTLING_CODES.has(providerCode));
    this.logger.warn(
      `Graph API answered ${status}${providerCode ? ` with error ${providerCode}` : ''}` +
        `${retryable ? ' (retryable)' : ''}`,
    );
    if (!error || providerCode === null) {
      return new DeliveryError(`meta http ${status}`, retryable);
    }
    const subcode = asString(error.error_subcode);
    const title = asString(error.error_user_title) ?? asString(error.message) ?? `http ${status}`;
    const text = safeVendorText(title, code);
    return new DeliveryError(
      `meta error ${providerCode}: ${text}${subcode ? ` (subcode ${subcode})` : ''}`,
      retryable,
      providerCode,
    );
  }

  private toInboundEvent(item: JsonRecord, contacts: JsonRecord[]): InboundMessageEvent | null {
    const messageId = asString(item.id);
    if (!messageId) return null;
    const fromDigits = asString(item.from);
    const fromUserId = asString(item.from_user_id);
    const contact =
      contacts.find((c) => fromDigits !== null && asString(c.wa_id) === fromDigits) ??
      contacts.find((c) => fromUserId !== null && asString(c.user_id) === fromUserId) ??
      (contacts.length === 1 ? contacts[0] : undefined);
    const from = phoneFromProvider(fromDigits) ?? phoneFromProvider(asString(contact?.wa_id));
    const waUserId = fromUserId ?? asString(contact?.user_id);
    if (from === null && waUserId === null) return null;
    const text = item.type === 'text' && isRecord(item.text) ? asString(item.text.body) : null;
    return {
      kind: 'message',
      provider: this.name,
      channel: Channel.WHATSAPP,
      messageId,
      from,
      waUserId,
      text,
      timestamp: this.timestampOf(item.timestamp),
    };
  }

  private toStatusEvent(item: JsonRecord): StatusEvent | null {
    const messageId = asString(item.id);
    const status = MetaWhatsappProvider.deliveryStatus(asString(item.status));
    if (!messageId || status === null) return null;
    const firstError = asArray(item.errors).filter(isRecord)[0];
    let error: string | null = null;
    let errorCode: string | null = null;
    if (firstError) {
      const code = asString(firstError.code);
      errorCode = errorCodeOf(firstError.code);
      const title = asString(firstError.title) ?? asString(firstError.message);
      error = [code, title ? safeVendorText(title) : null].filter(Boolean).join(' ') || null;
    }
    return {
      kind: 'status',
      provider: this.name,
      messageId,
      status,
      error,
      errorCode,
      timestamp: this.timestampOf(item.timestamp),
      ...(isRecord(item.pricing)
        ? {
            pricing: {
              billable: item.pricing.billable === true,
              category: asString(item.pricing.category),
            },
          }
        : {}),
    };
  }

  /** The one mapping of Meta statuses to ours; unknown statuses (e.g. `deleted`) are skipped. */
  private static deliveryStatus(status: string | null): DeliveryStatus | null {
    switch (status) {
      case 'sent':
        return DeliveryStatus.SENT;
      case 'delivered':
        return DeliveryStatus.DELIVERED;
      case 'read':
        return DeliveryStatus.READ;
      case 'failed':
        return DeliveryStatus.FAILED;
      default:
        return null;
    }
  }

  /** Unix seconds (as a string) → epoch ms; the current time when missing or malformed. */
  private timestampOf(value: unknown): number {
    const seconds = Number(asString(value));
    return Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : this.clock.now();
  }
}
