import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import metadata from 'libphonenumber-js/metadata.max.json';

export interface NormalisedPhone {
  e164: string;
  /** ISO 3166-1 alpha-2, when known. */
  country: string | null;
  /** Country calling code without `+`, e.g. `62`. */
  callingCode: string;
  /** libphonenumber type (MOBILE, FIXED_LINE_OR_MOBILE, PREMIUM_RATE, …) or null when unknown. */
  type: string | null;
}

/**
 * Normalises the spellings people use (`+62 812-1234-5678`, `0062…`, `(+62)…`) to E.164.
 * Returns null when the input is not a valid international number.
 */
export function normalisePhone(input: string): NormalisedPhone | null {
  if (typeof input !== 'string') return null;
  const known = recentlyParsed.get(input);
  if (known !== undefined) return known;
  const parsed = parsePhone(input);
  if (recentlyParsed.size >= PARSED_CACHE_MAX) {
    recentlyParsed.delete(recentlyParsed.keys().next().value!);
  }
  recentlyParsed.set(input, parsed);
  return parsed;
}

/**
 * The same number is parsed several times per verification (the request, its conversion mark, the
 * metrics at creation and at completion) and parsing with the full metadata is among the costlier
 * steps of a request; the last few thousand inputs keep their (frozen) result.
 */
const PARSED_CACHE_MAX = 2_000;
const recentlyParsed = new Map<string, Readonly<NormalisedPhone> | null>();

function parsePhone(input: string): Readonly<NormalisedPhone> | null {
  let text = input.trim();
  if (text.length === 0 || text.length > 40) return null;
  if (text.startsWith('00')) text = `+${text.slice(2)}`;
  if (!text.startsWith('+')) {
    const digitsOnly = text.replace(/[\s\-().]/g, '');
    if (/^\d+$/.test(digitsOnly)) text = `+${digitsOnly}`;
  }
  const parsed = parsePhoneNumberFromString(text);
  if (!parsed || !parsed.isValid()) return null;
  return Object.freeze({
    e164: parsed.number,
    country: parsed.country ?? null,
    callingCode: parsed.countryCallingCode,
    type: parsed.getType() ?? null,
  });
}

/**
 * Number types that cannot hold a personal WhatsApp account, or that would cost money or
 * reach a service rather than a person. Refused with a human reason.
 *
 * Allowed: MOBILE, FIXED_LINE_OR_MOBILE (the US and others do not tell them apart), VOIP
 * (WhatsApp accepts many VoIP numbers, and refusing them locks out real people), and an
 * unknown type (metadata cannot classify every valid number; WhatsApp delivery decides).
 */
const REFUSED_PHONE_TYPES: Readonly<Record<string, string>> = {
  PREMIUM_RATE: 'Premium-rate numbers cannot be verified.',
  SHARED_COST: 'Shared-cost numbers cannot be verified.',
  TOLL_FREE: 'Toll-free numbers cannot be verified.',
  PAGER: 'Pager numbers cannot be verified.',
  UAN: 'Universal access (company) numbers cannot be verified.',
  VOICEMAIL: 'Voicemail access numbers cannot be verified.',
  PERSONAL_NUMBER: 'Personal (forwarding) numbers cannot be verified.',
  FIXED_LINE: 'Landline numbers cannot be verified: use a mobile number.',
};

/** Why this number is refused for verification, or null when it is acceptable. */
export function phoneRejection(p: NormalisedPhone): string | null {
  if (p.type === null || !Object.prototype.hasOwnProperty.call(REFUSED_PHONE_TYPES, p.type)) {
    return null;
  }
  return REFUSED_PHONE_TYPES[p.type];
}

/**
 * The main country of a calling code (`62` → `ID`, `1` → `US`, `7` → `RU`), or null when unknown:
 * libphonenumber lists the main country of a shared code first.
 */
export function mainCountryOf(callingCode: string): string | null {
  return COUNTRIES_BY_CALLING_CODE[callingCode]?.[0] ?? null;
}

const COUNTRIES_BY_CALLING_CODE: Record<string, string[]> = (
  metadata as { country_calling_codes: Record<string, string[]> }
).country_calling_codes;

/** Country calling code → the countries that share it (`001` marks non-geographic codes). */
const CALLING_CODE_COUNTRIES = (
  metadata as unknown as { country_calling_codes: Record<string, string[]> }
).country_calling_codes;

/**
 * ISO 3166-1 alpha-2 of a number already stored as E.164 (so already validated), or null. Most
 * calling codes belong to one country, answered from the metadata table without parsing; shared
 * ones (+1, +7, +44, …) are parsed. Used on hot paths (metrics, conversion counters), where a full
 * parse per event cost more than the counting itself.
 */
export function countryOfE164(e164: string | null): string | null {
  if (!e164 || e164[0] !== '+') return null;
  // Calling codes are prefix-free: the first 1-, 2- or 3-digit prefix that is one is the one.
  for (let length = 1; length <= 3; length++) {
    const countries = CALLING_CODE_COUNTRIES[e164.slice(1, 1 + length)];
    if (!countries) continue;
    if (countries.length === 1) return countries[0] === '001' ? null : countries[0];
    return normalisePhone(e164)?.country ?? null;
  }
  return null;
}
