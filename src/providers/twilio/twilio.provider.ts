import { Logger } from '@nestjs/common';
import twilio from 'twilio';
import { Clock } from '../../common/clock';
import { TwilioConfig } from '../../config/app-config';
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
  asString,
  errorCodeOf,
  isRecord,
  phoneFromProvider,
  safeVendorText,
} from '../provider-utils';
import { ProviderHttpClient } from '../provider-http';

const WHATSAPP_PREFIX = 'whatsapp:';

/** Twilio statuses that describe a message coming in, not one of ours going out. */
const INBOUND_STATUSES = new Set(['received', 'receiving']);

/**
 * SMS or WhatsApp through Twilio's Messages API (one instance per channel). Also verifies
 * `X-Twilio-Signature` and turns status callbacks and inbound messages into {@link ProviderEvent}s;
 * those two do not depend on the instance's channel.
 */
export class TwilioProvider implements MessagingProvider {
  readonly name = 'twilio' as const;
  private readonly http: ProviderHttpClient;
  private readonly logger = new Logger(TwilioProvider.name);

  constructor(
    readonly channel: Channel,
    private readonly config: TwilioConfig,
    private readonly clock: Clock,
  ) {
    this.http = new ProviderHttpClient('twilio', config.timeoutMs);
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    // Twilio addresses WhatsApp users by phone only.
    if (!message.to) throw new DeliveryError('no phone number to send to', false);
    const from = this.channel === Channel.WHATSAPP ? this.config.whatsappFrom : this.config.smsFrom;
    const form = new URLSearchParams({
      To: this.address(message.to),
      From: this.address(from),
      Body: message.text,
    });
    if (this.config.webhookUrl) form.set('StatusCallback', this.config.webhookUrl);
    const url = `${this.config.apiBaseUrl}/2010-04-01/Accounts/${encodeURIComponent(this.config.accountSid)}/Messages.json`;
    const credentials = Buffer.from(`${this.config.accountSid}:${this.config.authToken}`).toString(
      'base64',
    );

    const { status: httpStatus, json } = await this.http.post(
      url,
      {
        authorization: `Basic ${credentials}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      form.toString(),
    );
    if (httpStatus < 200 || httpStatus >= 300) throw this.httpError(httpStatus, json, message.code);

    const sid = isRecord(json) ? asString(json.sid) : null;
    if (!sid) throw new DeliveryError('twilio response without a message sid', false);
    const status = isRecord(json) ? TwilioProvider.deliveryStatus(asString(json.status)) : null;
    return { messageId: sid, status: status ?? DeliveryStatus.ACCEPTED };
  }

  /** `X-Twilio-Signature` over the public webhook URL and the POSTed form parameters. */
  verifySignature(
    url: string,
    params: Record<string, string>,
    header: string | undefined,
  ): boolean {
    if (!this.config.authToken || typeof header !== 'string' || header.length === 0) return false;
    try {
      return twilio.validateRequest(this.config.authToken, header, url, params);
    } catch {
      return false;
    }
  }

  /** A status callback or an inbound message (form parameters) → events; anything else → []. */
  parseEvents(params: Record<string, string>): ProviderEvent[] {
    if (!isRecord(params)) return [];
    const accountSid = asString(params.AccountSid);
    if (accountSid !== null && accountSid !== this.config.accountSid) return [];
    const messageSid = asString(params.MessageSid) ?? asString(params.SmsMessageSid);
    if (!messageSid) return [];
    const rawStatus = asString(params.MessageStatus);
    if (rawStatus !== null && !INBOUND_STATUSES.has(rawStatus)) {
      const event = this.toStatusEvent(messageSid, rawStatus, params);
      return event ? [event] : [];
    }
    const event = this.toInboundEvent(messageSid, params);
    return event ? [event] : [];
  }

  private toStatusEvent(
    messageId: string,
    rawStatus: string,
    params: Record<string, string>,
  ): StatusEvent | null {
    const status = TwilioProvider.deliveryStatus(rawStatus);
    if (status === null) return null;
    const code = asString(params.ErrorCode);
    const detail = asString(params.ErrorMessage);
    const error = code
      ? [code, detail ? safeVendorText(detail) : null].filter(Boolean).join(' ')
      : null;
    return {
      kind: 'status',
      provider: this.name,
      messageId,
      status,
      error,
      errorCode: errorCodeOf(code),
      timestamp: this.clock.now(),
    };
  }

  private toInboundEvent(
    messageId: string,
    params: Record<string, string>,
  ): InboundMessageEvent | null {
    const rawFrom = asString(params.From);
    if (!rawFrom) return null;
    const isWhatsapp = rawFrom.startsWith(WHATSAPP_PREFIX);
    const from = phoneFromProvider(isWhatsapp ? rawFrom.slice(WHATSAPP_PREFIX.length) : rawFrom);
    if (!from) return null;
    return {
      kind: 'message',
      provider: this.name,
      channel: isWhatsapp ? Channel.WHATSAPP : Channel.SMS,
      messageId,
      from,
      waUserId: null,
      text: asString(params.Body),
      timestamp: this.clock.now(),
    };
  }

  /** The one mapping of Twilio message statuses to ours; unknown ones give null. */
  private static deliveryStatus(status: string | null): DeliveryStatus | null {
    switch (status) {
      case 'queued':
        return DeliveryStatus.QUEUED;
      case 'accepted':
      case 'scheduled':
      case 'sending':
        return DeliveryStatus.ACCEPTED;
      case 'sent':
        return DeliveryStatus.SENT;
      case 'delivered':
        return DeliveryStatus.DELIVERED;
      case 'read':
        return DeliveryStatus.READ;
      case 'failed':
      case 'undelivered':
      case 'canceled':
        return DeliveryStatus.FAILED;
      default:
        return null;
    }
  }

  private address(phone: string): string {
    if (this.channel !== Channel.WHATSAPP || phone.startsWith(WHATSAPP_PREFIX)) return phone;
    return `${WHATSAPP_PREFIX}${phone}`;
  }

  private httpError(status: number, json: unknown, code: string | undefined): DeliveryError {
    const retryable = status === 429 || status >= 500;
    const providerCode = isRecord(json) ? asString(json.code) : null;
    this.logger.warn(
      `Twilio API answered ${status}${providerCode ? ` with error ${providerCode}` : ''}` +
        `${retryable ? ' (retryable)' : ''}`,
    );
    if (providerCode === null) return new DeliveryError(`twilio http ${status}`, retryable);
    const detail = isRecord(json) ? asString(json.message) : null;
    const text = detail ? safeVendorText(detail, code) : `http ${status}`;
    return new DeliveryError(`twilio error ${providerCode}: ${text}`, retryable, providerCode);
  }
}
