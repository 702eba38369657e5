import { ProviderName } from './messaging-provider';

/**
 * What a provider's error code says to do next with a code that did not get through. The port owns
 * this vocabulary; the tables below are the codes we act on (docs/providers.md lists them).
 */
export enum DeliveryRoute {
  /** The recipient cannot get it on this channel: the next channel of the plan, at once. */
  NEXT_CHANNEL = 'next_channel',
  /** Throttled: the same channel again after a pause, while the verification lives. */
  RETRY_LATER = 'retry_later',
  /** Free-form text outside WhatsApp's 24-hour window: send the code as the authentication template. */
  AS_TEMPLATE = 'as_template',
}

/** How the failed message went out: Meta sends codes as its authentication template, everything else is free-form. */
export type SentAs = 'template' | 'text';

interface Rule {
  template: DeliveryRoute;
  text: DeliveryRoute;
}

const both = (route: DeliveryRoute): Rule => ({ template: route, text: route });

/** Graph API / Cloud API webhook error codes. */
export const META_ERROR_ROUTES: Readonly<Record<string, Rule>> = {
  // Message undeliverable (not on WhatsApp, old client, terms not accepted…).
  '131026': both(DeliveryRoute.NEXT_CHANNEL),
  // An authentication template to a recipient known only by a username (BSUID).
  '131062': both(DeliveryRoute.NEXT_CHANNEL),
  // Re-engagement: outside the 24-hour window. A template needs no window, so a template that gets
  // it cannot be helped on WhatsApp; free-form text can go as the template instead.
  '470': { template: DeliveryRoute.NEXT_CHANNEL, text: DeliveryRoute.AS_TEMPLATE },
  '131047': { template: DeliveryRoute.NEXT_CHANNEL, text: DeliveryRoute.AS_TEMPLATE },
  // Pair rate limit (one business number to one person) and cloud throughput limit.
  '131056': both(DeliveryRoute.RETRY_LATER),
  '130429': both(DeliveryRoute.RETRY_LATER),
};

/**
 * Twilio error codes with the same meaning. Twilio sends our WhatsApp codes as `Body` text, which
 * has no template form here, so 63016 (outside the window) moves on. 63038 is a rolling 24-hour
 * account limit: no pause within a verification's TTL (at most an hour) lifts it, so it moves on too.
 */
export const TWILIO_ERROR_ROUTES: Readonly<Record<string, Rule>> = {
  '63016': both(DeliveryRoute.NEXT_CHANNEL),
  '63024': both(DeliveryRoute.NEXT_CHANNEL),
  '21211': both(DeliveryRoute.NEXT_CHANNEL),
  '21614': both(DeliveryRoute.NEXT_CHANNEL),
  '63038': both(DeliveryRoute.NEXT_CHANNEL),
  '63018': both(DeliveryRoute.RETRY_LATER),
};

/**
 * The next step for a failed send or a `failed` status. Codes not in the tables (and failures
 * without a code: timeouts, 5xx) move on to the next channel, as a failed message will not arrive.
 */
export function routeForError(
  provider: ProviderName | 'none' | null,
  errorCode: string | null | undefined,
  sentAs: SentAs,
): DeliveryRoute {
  const table =
    provider === 'meta' ? META_ERROR_ROUTES : provider === 'twilio' ? TWILIO_ERROR_ROUTES : null;
  const rule = errorCode && table ? table[errorCode] : undefined;
  return rule ? rule[sentAs] : DeliveryRoute.NEXT_CHANNEL;
}

/** How a provider sends a message of our `kind`: only Meta turns a code into a template. */
export function sentAs(provider: ProviderName | 'none' | null, kind: 'code' | 'text'): SentAs {
  return provider === 'meta' && kind === 'code' ? 'template' : 'text';
}
