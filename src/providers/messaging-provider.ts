import { Channel, DeliveryStatus } from '../verification/verification.types';

/** The port every messaging adapter implements (one adapter per provider and channel). */

export type ProviderName = 'sandbox' | 'meta' | 'twilio';

export interface OutboundMessage {
  /** Recipient in E.164; null when WhatsApp hides the phone and only {@link toUserId} is known. */
  to: string | null;
  /**
   * WhatsApp business-scoped user id (BSUID) of the recipient, used when `to` is null: Meta sends
   * free-form text to it (`recipient`); authentication templates cannot go to one, and adapters
   * without user ids refuse such a message.
   */
  toUserId?: string | null;
  channel: Channel;
  /**
   * `code`: a one-time code. On WhatsApp via Meta it goes through the approved authentication
   * template (body parameter and copy-code button = code); elsewhere `text` is sent.
   * `text`: a free-form message (inbound replies inside the 24-hour window).
   */
  kind: 'code' | 'text';
  /** The code, for `kind: 'code'`. Never logged. */
  code?: string;
  /** Rendered text: the whole message for `text`, the SMS/sandbox/Twilio body for `code`. */
  text: string;
  /** BCP-47-ish locale (`en`, `id`, `pt_BR`); Meta picks the template language from it. */
  locale: string;
  /**
   * The app the message is sent for, when there is one. Only the sandbox adapter keeps it (each app
   * sees only its own sandbox messages); vendor adapters ignore it.
   */
  appId?: string | null;
}

export interface SendResult {
  /** The provider's message id (Meta `wamid…`, Twilio `SM…`, sandbox id). */
  messageId: string;
  status: DeliveryStatus;
}

/** A send that the provider refused or that never reached it; the message never leaks the code. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    /** True for timeouts, 5xx and rate limits: another try later may work. */
    readonly retryable: boolean,
    readonly providerCode?: string,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

export interface MessagingProvider {
  readonly name: ProviderName;
  readonly channel: Channel;
  send(message: OutboundMessage): Promise<SendResult>;
}

/** A message a person sent to the business number, as parsed from a verified provider webhook. */
export interface InboundMessageEvent {
  kind: 'message';
  provider: ProviderName;
  channel: Channel;
  /** Provider message id (`wamid…`, Twilio `SM…`): the dedupe key. */
  messageId: string;
  /** Sender in E.164, or null when WhatsApp hid the phone behind a business-scoped user id. */
  from: string | null;
  /** WhatsApp business-scoped user id, when given. */
  waUserId: string | null;
  /** Text of a text message; null for media, reactions and other types. */
  text: string | null;
  /** Epoch milliseconds. */
  timestamp: number;
  /**
   * Set only for a message injected through the sandbox: the app whose API key injected it. Such a
   * message can only match that app's verifications (another app's token counts as unknown).
   */
  appId?: string;
}

/** A delivery status update for a message we sent. */
export interface StatusEvent {
  kind: 'status';
  provider: ProviderName;
  messageId: string;
  status: DeliveryStatus;
  /** Provider error summary for `failed` (code and title), never message content. */
  error: string | null;
  /** The provider's error code alone (Meta `131026`, Twilio `63024`), when the status carries one. */
  errorCode?: string | null;
  timestamp: number;
  /** Meta `pricing` of the message, when the status carries it (`billable`: WhatsApp charges it). */
  pricing?: { billable: boolean; category: string | null } | null;
}

export type ProviderEvent = InboundMessageEvent | StatusEvent;
