/**
 * Variables each message needs. `brand` is the app's brand name; when it is absent, each
 * language falls back to neutral wording ("the app", "aplikasi").
 */
export interface MessageVars {
  /** The prefilled text the person sends to the business number. */
  inboundRequest: { brand?: string | null; token: string };
  /** Reply after an inbound verification is approved. */
  inboundConfirmed: { brand?: string | null };
  /** Reply carrying a code (inboundReply `code`). */
  inboundCode: { brand?: string | null; code: string; minutes: number };
  /** Reply when the token was requested for another phone number. */
  inboundMismatch: { brand?: string | null };
  /** Reply when the token is unknown to a pending verification: expired or already used. */
  inboundExpired: { brand?: string | null };
  /** Reply to a message that carries no token. */
  inboundHelp: { brand?: string | null };
  /**
   * Reply when a phone-less verification cannot be completed with the sender's number (country not
   * allowed for the app, number type refused, too many verifications for the number).
   */
  inboundRefused: { brand?: string | null };
  /**
   * Reply to a sender whose phone WhatsApp hides (username, business-scoped user id only) when the
   * verification needs the number: share it in the chat, then send the message again.
   */
  inboundSharePhone: { brand?: string | null };
  /** Outbound code (SMS, sandbox). */
  otpCode: { brand?: string | null; code: string };
}

export type MessageKey = keyof MessageVars;

/** What a template receives: `brand` already trimmed, null when absent. */
export type TemplateVars<K extends MessageKey> = Omit<MessageVars[K], 'brand'> & {
  brand: string | null;
};

/** One language: a template per key. Adding a language is adding one such file. */
export type MessageCatalog = {
  [K in MessageKey]: (vars: TemplateVars<K>) => string;
};
