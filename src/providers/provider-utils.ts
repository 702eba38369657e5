import { normalisePhone } from '../common/phone';

/** Small, dependency-free helpers shared by the adapters (defensive parsing, safe error text). */

export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A non-empty string, or null. Numbers are accepted and stringified (vendor ids and codes). */
export function asString(value: unknown): string | null {
  if (typeof value === 'string') return value.length > 0 ? value : null;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/**
 * A phone number as a provider sends it (`16505551234`, `+16505551234`) to E.164. Numbers that
 * libphonenumber does not know (test ranges) keep their digits rather than being dropped.
 */
export function phoneFromProvider(value: string | null): string | null {
  if (value === null) return null;
  const digits = value.trim().replace(/^\+/, '');
  if (!/^\d{6,15}$/.test(digits)) return null;
  return normalisePhone(`+${digits}`)?.e164 ?? `+${digits}`;
}

/**
 * Vendor error text is kept for operators but may echo what we sent: the code is blanked out,
 * long digit runs (phone numbers) are masked and the length is bounded.
 */
export function safeVendorText(text: string, code?: string): string {
  let result = text;
  if (code) result = result.split(code).join('***');
  result = result.replace(/\+?\d{7,}/g, (match) => `${match.slice(0, 4)}***${match.slice(-2)}`);
  return result.length > 200 ? `${result.slice(0, 197)}...` : result;
}

/** A vendor error code as we keep it (`131026`, `63024`): short and plain, else null. */
export function errorCodeOf(value: unknown): string | null {
  const code = asString(value);
  return code !== null && /^[A-Za-z0-9_.-]{1,32}$/.test(code) ? code : null;
}
