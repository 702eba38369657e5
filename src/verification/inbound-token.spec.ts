import { randomBytes } from 'node:crypto';
import {
  findTokenInText,
  hashToken,
  normaliseToken,
  TOKEN_ALPHABET,
  TOKEN_ENTROPY_BITS,
  TOKEN_LENGTH,
  tokenFromSeed,
} from './inbound-token';
import { renderMessage, SUPPORTED_LOCALES } from './messages';

describe('inbound token', () => {
  const generator = { generate: (): string => tokenFromSeed(randomBytes(16)) };

  describe('alphabet and entropy', () => {
    it('has no look-alike characters and no duplicates', () => {
      expect(TOKEN_ALPHABET).toHaveLength(30);
      expect(new Set(TOKEN_ALPHABET).size).toBe(TOKEN_ALPHABET.length);
      for (const ch of ['0', 'O', '1', 'I', 'L', 'U']) expect(TOKEN_ALPHABET).not.toContain(ch);
      expect(TOKEN_ALPHABET).toMatch(/^[2-9A-Z]+$/);
    });

    it('gives at least 40 bits (3 groups of 4 from 30 characters ≈ 58.9 bits)', () => {
      expect(TOKEN_LENGTH).toBe(12);
      expect(TOKEN_ENTROPY_BITS).toBeGreaterThanOrEqual(58);
      expect(TOKEN_ENTROPY_BITS).toBeCloseTo(12 * Math.log2(30), 10);
    });
  });

  describe('tokenFromSeed', () => {
    it('returns WAV- then three groups of four alphabet characters', () => {
      const token = generator.generate();
      expect(token).toMatch(
        /^WAV-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$/,
      );
    });

    it('draws every alphabet character and never repeats a token in 5000 draws', () => {
      const tokens = Array.from({ length: 5000 }, () => generator.generate());
      expect(new Set(tokens).size).toBe(tokens.length);
      const seen = new Set(tokens.flatMap((t) => [...normaliseToken(t)]));
      expect([...seen].sort().join('')).toBe([...TOKEN_ALPHABET].sort().join(''));
    });
  });

  describe('normaliseToken', () => {
    it.each([
      ['WAV-7KQ2-M9XD-4HTB', '7KQ2M9XD4HTB'],
      ['wav 7kq2 m9xd 4htb', '7KQ2M9XD4HTB'],
      ['  WAV—7KQ2 – M9XD – 4HTB ', '7KQ2M9XD4HTB'],
      ['7KQ2-M9XD-4HTB', '7KQ2M9XD4HTB'],
      ['7KQ2M9XD4HTB', '7KQ2M9XD4HTB'],
    ])('%s → %s', (raw, expected) => {
      expect(normaliseToken(raw)).toBe(expected);
    });

    it('keeps a token that itself starts with W, A, V (only an extra prefix is removed)', () => {
      expect(normaliseToken('WAV-WAVX-2345-6789')).toBe('WAVX23456789');
      expect(normaliseToken('WAVX23456789')).toBe('WAVX23456789');
      expect(normaliseToken('wavx-2345-6789')).toBe('WAVX23456789');
    });

    it('is idempotent on generated tokens', () => {
      for (let i = 0; i < 200; i += 1) {
        const once = normaliseToken(generator.generate());
        expect(normaliseToken(once)).toBe(once);
        expect(once).toHaveLength(TOKEN_LENGTH);
      }
    });
  });

  describe('hashToken', () => {
    it('is SHA-256 hex', () => {
      expect(hashToken('abc')).toBe(
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      );
    });

    it('gives the same hash for every spelling of one token, another for another token', () => {
      const a = hashToken(normaliseToken('WAV-7KQ2-M9XD-4HTB'));
      expect(hashToken(normaliseToken('wav 7kq2m9xd4htb'))).toBe(a);
      expect(hashToken(normaliseToken('WAV-7KQ2-M9XD-4HTC'))).not.toBe(a);
      expect(a).toMatch(/^[0-9a-f]{64}$/);
    });
  });

  describe('findTokenInText', () => {
    it.each(SUPPORTED_LOCALES)(
      'finds the token in the %s prefilled message, with and without a brand',
      (locale) => {
        for (const brand of ['Acme', 'WAV Studio 2024', 'Waves', null, undefined, '']) {
          for (let i = 0; i < 100; i += 1) {
            const token = generator.generate();
            const text = renderMessage(locale, 'inboundRequest', { brand, token });
            expect(findTokenInText(text)).toBe(normaliseToken(token));
          }
        }
      },
    );

    const T = '7KQ2M9XD4HTB';
    it.each([
      ['the token alone', 'WAV-7KQ2-M9XD-4HTB'],
      ['inside the prefilled sentence', 'Verify my number for Acme: WAV-7KQ2-M9XD-4HTB. Send it.'],
      ['lower case', 'verify my number: wav-7kq2-m9xd-4htb.'],
      ['mixed case', 'Wav-7Kq2-m9Xd-4hTb'],
      ['spaces instead of dashes', 'WAV 7KQ2 M9XD 4HTB'],
      ['no separators', 'wav7kq2m9xd4htb'],
      ['prefix separated, groups joined', 'wav 7kq2m9xd4htb please'],
      ['extra spaces around dashes', 'WAV-7KQ2 - M9XD -  4HTB'],
      ['several dashes', 'WAV--7KQ2--M9XD--4HTB'],
      ['typographic dashes', 'WAV–7KQ2—M9XD‐4HTB'],
      ['no-break and zero-width spaces', 'WAV\u00a07KQ2\u200bM9XD\u00a04HTB'],
      ['line breaks', 'Verify my number:\nWAV-7KQ2-M9XD-4HTB\nSend this message'],
      ['prefix then colon', 'WAV: 7KQ2-M9XD-4HTB'],
      ['between brackets', '(WAV-7KQ2-M9XD-4HTB)'],
      ['followed by punctuation', 'WAV-7KQ2-M9XD-4HTB!!'],
      ['the same token twice', 'WAV-7KQ2-M9XD-4HTB WAV 7kq2 m9xd 4htb'],
      [
        'missing prefix, exact groups',
        'Verify my number for Acme: 7KQ2-M9XD-4HTB. Send this message.',
      ],
      ['missing prefix, lower case', 'kode saya 7kq2-m9xd-4htb'],
      ['missing prefix, spaces around dashes', '7KQ2 - M9XD - 4HTB'],
      ['mangled prefix', 'WA 7KQ2-M9XD-4HTB'],
      ['emoji around it', '✅ WAV-7KQ2-M9XD-4HTB 🙏'],
    ])('finds it: %s', (_case, text) => {
      expect(findTokenInText(text)).toBe(T);
    });

    it('finds a token made only of letters when the prefix is there', () => {
      expect(findTokenInText('Verify: WAV-ABCD-EFGH-JKMN.')).toBe('ABCDEFGHJKMN');
    });

    it.each([
      ['empty text', ''],
      ['a greeting', 'Hello, I want to verify my number'],
      ['twelve letters of a word', 'STRENGTHENED'],
      ['hyphenated four-letter words', 'we have-been-sent here'],
      ['space-separated four-letter words', 'THAT WHEN SEND DEAR'],
      ['prefixless groups with spaces only', '7KQ2 M9XD 4HTB'],
      ['prefixless groups joined', '7KQ2M9XD4HTB'],
      ['prefixless letters only', 'ABCD-EFGH-JKMN'],
      ['two groups only', 'WAV-7KQ2-M9XD'],
      ['a group too short', 'WAV-7KQ2-M9X-4HTB'],
      ['a 13th character', 'WAV-7KQ2-M9XD-4HTBX'],
      ['a look-alike character (O)', 'WAV-7KQ2-M9XD-4HTO'],
      ['a look-alike character (1)', 'WAV-7KQ2-M9XD-1HTB'],
      ['prefix glued to a word', 'SWAV-7KQ2-M9XD-4HTB'],
      ['prefixless inside a longer dashed code', 'X-7KQ2-M9XD-4HTB'],
      ['prefixless followed by another group', '7KQ2-M9XD-4HTB-2345'],
      ['two different tokens', 'WAV-7KQ2-M9XD-4HTB or WAV-2345-6789-ABCD'],
      ['two different prefixless tokens', '7KQ2-M9XD-4HTB 2345-6789-ABCD'],
      ['a phone number', '+62 812-1234-5678'],
      ['a date and time', '2024-05-06 12:34'],
    ])('finds nothing: %s', (_case, text) => {
      expect(findTokenInText(text)).toBeNull();
    });

    it('prefers the prefixed token over a prefixless-looking one', () => {
      expect(findTokenInText('ref 2345-6789-ABCD, WAV-7KQ2-M9XD-4HTB')).toBe(T);
    });

    it('stays fast on long hostile input', () => {
      const hostile = `${'WAV-'.repeat(2000)}${'2345-'.repeat(2000)}`;
      const started = Date.now();
      expect(findTokenInText(hostile)).toBeNull();
      expect(Date.now() - started).toBeLessThan(500);
    });
  });
});
