/**
 * Comparison of phone numbers as WhatsApp reports them.
 *
 * WhatsApp's `wa_id` (the sender of an inbound message) is not always the number a person
 * typed in E.164, for two known reasons:
 *
 * - Brazil (+55): mobile numbers gained a ninth digit (a leading `9`) between 2012 and 2016.
 *   Accounts created before the change often still carry the old 8-digit form in `wa_id`:
 *   `+55 11 98765-4321` arrives as `55 11 8765-4321`. Before the change, mobile subscriber
 *   numbers started with 6, 7, 8 or 9; fixed lines start with 2 to 5 and never had a ninth
 *   digit, so `+55 11 3333-4444` (a landline) must never match `+55 11 93333-4444`.
 * - Mexico (+52): until 2019, mobiles were dialled from abroad as `+52 1` + 10 digits. The
 *   `1` was dropped, but WhatsApp still reports many numbers as `521…`. Mexican national
 *   numbers are 10 digits and no area code starts with 1, so `+52 1` + 10 digits and
 *   `+52` + the same 10 digits are one number.
 *
 * No other country is loosened: everywhere else the two numbers must be equal.
 */

/**
 * Brazil without the ninth digit: country code, 2-digit area code (11–99), then an 8-digit
 * mobile number from before the change (first digit 6–9). Its canonical form inserts the `9`.
 */
const BR_EIGHT_DIGIT = /^55([1-9][1-9])([6-9]\d{7})$/;
/**
 * Mexico with the old mobile `1`: `52 1` + a 10-digit national number (which never starts
 * with 0 or 1). Its canonical form drops the `1`.
 */
const MX_WITH_ONE = /^521([2-9]\d{9})$/;

/** Digits of an E.164 number (`+` optional; spaces, dashes, dots and brackets ignored). */
function e164Digits(value: string): string | null {
  if (typeof value !== 'string') return null;
  const digits = value.replace(/[\s\-().]/g, '').replace(/^\+/, '');
  return /^[1-9]\d{6,14}$/.test(digits) ? digits : null;
}

/** The one spelling of a number under the rules above (Brazil: with the 9; Mexico: without the 1). */
function canonicalDigits(digits: string): string {
  const brazil = BR_EIGHT_DIGIT.exec(digits);
  if (brazil) return `55${brazil[1]}9${brazil[2]}`;
  const mexico = MX_WITH_ONE.exec(digits);
  if (mexico) return `52${mexico[1]}`;
  return digits;
}

/**
 * True when `a` and `b` are the same WhatsApp number: equal, or equal under the Brazil
 * ninth-digit or Mexico `1` rules. Invalid input is never the same as anything.
 */
export function samePhone(a: string, b: string): boolean {
  const left = e164Digits(a);
  const right = e164Digits(b);
  if (left === null || right === null) return false;
  if (left === right) return true;
  return canonicalDigits(left) === canonicalDigits(right);
}
