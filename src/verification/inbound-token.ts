import { createHash } from 'node:crypto';

/**
 * One-time token carried by the prefilled inbound message, e.g. `WAV-7KQ2-M9XD-4HTB`.
 *
 * Alphabet: digits and capitals without look-alikes: no `0`/`O`, `1`/`I`/`L`, and no `U`
 * (avoids accidental words, as in Crockford's base32). 30 characters.
 *
 * Format: prefix `WAV-` then 3 groups of 4 characters: 12 random characters, drawn uniformly
 * with `crypto.randomInt`, so log2(30^12) ≈ 58.9 bits of entropy. Two groups (8 characters,
 * ≈ 39 bits) would not reach the 40 bits we want for a secret that is stored as an unsalted
 * SHA-256 hash and looked up by that hash.
 */
export const TOKEN_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
export const TOKEN_PREFIX = 'WAV';
export const TOKEN_GROUPS = 3;
export const TOKEN_GROUP_LENGTH = 4;
/** Length of the normalised token (no prefix, no separators). */
export const TOKEN_LENGTH = TOKEN_GROUPS * TOKEN_GROUP_LENGTH;
/** Bits of entropy of a generated token: log2(alphabet size ^ token length). */
export const TOKEN_ENTROPY_BITS = TOKEN_LENGTH * Math.log2(TOKEN_ALPHABET.length);

/**
 * The display token (`WAV-XXXX-XXXX-XXXX`) for a seed of at least 16 random-looking bytes (an HMAC
 * of the verification id in production, see InboundLinkService). 2^128 seeds onto 30^12 tokens:
 * the bias is negligible.
 */
export function tokenFromSeed(seed: Buffer): string {
  if (seed.length < 16) throw new Error('a token seed needs 16 bytes');
  let value = BigInt(`0x${seed.subarray(0, 16).toString('hex')}`);
  const base = BigInt(TOKEN_ALPHABET.length);
  let chars = '';
  for (let i = 0; i < TOKEN_LENGTH; i++) {
    chars += TOKEN_ALPHABET[Number(value % base)];
    value /= base;
  }
  const groups = Array.from({ length: TOKEN_GROUPS }, (_, g) =>
    chars.slice(g * TOKEN_GROUP_LENGTH, (g + 1) * TOKEN_GROUP_LENGTH),
  );
  return [TOKEN_PREFIX, ...groups].join('-');
}

/**
 * Canonical form used for hashing and comparison: upper case, only alphabet characters,
 * without the `WAV` prefix, dashes or spaces. Idempotent: a normalised token stays the same.
 */
export function normaliseToken(raw: string): string {
  let compact = raw.toUpperCase().replace(/[^A-Z0-9]/g, '');
  // Only strip the prefix when it is extra: a token may itself start with W, A, V.
  if (compact.length > TOKEN_LENGTH && compact.startsWith(TOKEN_PREFIX)) {
    compact = compact.slice(TOKEN_PREFIX.length);
  }
  return [...compact].filter((ch) => TOKEN_ALPHABET.includes(ch)).join('');
}

/** SHA-256 hex of a normalised token: what the database stores and looks up. */
export function hashToken(normalised: string): string {
  return createHash('sha256').update(normalised, 'utf8').digest('hex');
}

// One alphabet character, any case (the `i` flag never lets in i/l/o/u: their capitals are absent).
const CHAR = '[2-9A-HJKMNP-TV-Z]';
const GROUP = `(${CHAR}{${TOKEN_GROUP_LENGTH}})`;
// Spaces (including no-break and zero-width ones) and the dashes/underscores/dots people type.
const SEP = '[\\s\\u200b-\\u200d\\u2060\\-\\u2010-\\u2015\\u2212_.:]';
const NOT_ALNUM_BEFORE = '(?<![A-Za-z0-9])';
const NOT_ALNUM_AFTER = '(?![A-Za-z0-9])';

/**
 * With the prefix: any run of separators (or none) between prefix and groups and between
 * groups, so `WAV-7KQ2-M9XD-4HTB`, `wav 7kq2m9xd4htb` and `WAV-7KQ2 - M9XD - 4HTB` all match.
 */
const PREFIXED = new RegExp(
  `${NOT_ALNUM_BEFORE}${TOKEN_PREFIX}${SEP}*` +
    Array.from({ length: TOKEN_GROUPS }, () => GROUP).join(`${SEP}*`) +
    NOT_ALNUM_AFTER,
  'gi',
);

/**
 * Without the prefix, only the exact group structure counts: groups of 4 joined by a dash
 * (spaces allowed around it), standing alone, with at least one digit. Plain words such as
 * `have-been-sent` or space-separated four-letter words never match.
 */
const UNPREFIXED = new RegExp(
  `(?<![A-Za-z0-9\\-\\u2010-\\u2015])` +
    Array.from({ length: TOKEN_GROUPS }, () => GROUP).join(
      '[ \\u00a0]*[\\-\\u2010-\\u2015][ \\u00a0]*',
    ) +
    `(?![A-Za-z0-9\\-\\u2010-\\u2015])`,
  'gi',
);

function uniqueCandidates(text: string, pattern: RegExp, needsDigit: boolean): string[] {
  const found = new Set<string>();
  for (const match of text.matchAll(pattern)) {
    const token = match
      .slice(1, 1 + TOKEN_GROUPS)
      .join('')
      .toUpperCase();
    if (needsDigit && !/[0-9]/.test(token)) continue;
    found.add(token);
  }
  return [...found];
}

/**
 * Finds the token in a free-text inbound message (the whole prefilled sentence, possibly
 * edited: changed case, extra or missing spaces and dashes). Returns the normalised token,
 * or null when there is none or when the text holds several different candidates.
 */
export function findTokenInText(text: string): string | null {
  if (typeof text !== 'string' || text.length === 0) return null;
  // Bound the work on hostile input; a real prefilled message is far shorter.
  const input = text.length > 4096 ? text.slice(0, 4096) : text;

  const prefixed = uniqueCandidates(input, PREFIXED, false);
  if (prefixed.length > 0) return prefixed.length === 1 ? prefixed[0] : null;

  const bare = uniqueCandidates(input, UNPREFIXED, true);
  return bare.length === 1 ? bare[0] : null;
}
