import { en } from './en';
import { id } from './id';
import { MessageCatalog, MessageKey, renderMessage, resolveLocale, SUPPORTED_LOCALES } from '.';

const KEYS: MessageKey[] = [
  'inboundRequest',
  'inboundConfirmed',
  'inboundCode',
  'inboundMismatch',
  'inboundExpired',
  'inboundHelp',
  'inboundRefused',
  'inboundSharePhone',
  'otpCode',
];

describe('messages', () => {
  describe('resolveLocale', () => {
    it.each([
      ['id', 'id'],
      ['id-ID', 'id'],
      ['id_ID', 'id'],
      ['ID', 'id'],
      [' id-id ', 'id'],
      ['in', 'id'],
      ['in-ID', 'id'],
      ['en', 'en'],
      ['en-US', 'en'],
      ['en_GB', 'en'],
      ['fr', 'en'],
      ['pt-BR', 'en'],
      ['', 'en'],
      ['-', 'en'],
      [null, 'en'],
      [undefined, 'en'],
      ['__proto__', 'en'],
      ['constructor', 'en'],
    ])('%p → %s', (locale, expected) => {
      expect(resolveLocale(locale)).toBe(expected);
    });
  });

  it('offers en and id', () => {
    expect([...SUPPORTED_LOCALES].sort()).toEqual(['en', 'id']);
  });

  describe('renderMessage in English', () => {
    it('writes the prefilled request with brand and token', () => {
      expect(
        renderMessage('en', 'inboundRequest', { brand: 'Acme', token: 'WAV-7KQ2-M9XD-4HTB' }),
      ).toBe(
        'Verify my number for Acme: WAV-7KQ2-M9XD-4HTB. Send this message without changing it.',
      );
    });

    it('writes the code reply with the minutes, singular and plural', () => {
      expect(
        renderMessage('en-US', 'inboundCode', { brand: 'Acme', code: '123456', minutes: 10 }),
      ).toBe('123456 is your Acme verification code. It expires in 10 minutes.');
      expect(renderMessage('en', 'inboundCode', { code: '123456', minutes: 1 })).toBe(
        '123456 is your verification code. It expires in 1 minute.',
      );
    });

    it('writes the outbound code', () => {
      expect(renderMessage('en', 'otpCode', { brand: 'Acme', code: '042917' })).toBe(
        '042917 is your Acme verification code. Do not share it.',
      );
    });

    it('writes the replies', () => {
      expect(renderMessage('en', 'inboundConfirmed', { brand: 'Acme' })).toBe(
        'Your number is verified. You can go back to the Acme app.',
      );
      expect(renderMessage('en', 'inboundMismatch', { brand: 'Acme' })).toContain(
        'requested for a different phone number',
      );
      expect(renderMessage('en', 'inboundExpired', { brand: 'Acme' })).toBe(
        'This verification has expired or was already used. Please start again in the Acme app.',
      );
      expect(renderMessage('en', 'inboundHelp', { brand: 'Acme' })).toBe(
        'To verify your number, use the link from the Acme app.',
      );
    });

    it('uses neutral wording when the brand is absent or blank', () => {
      for (const brand of [undefined, null, '', '   ']) {
        expect(renderMessage('en', 'inboundConfirmed', { brand })).toBe(
          'Your number is verified. You can go back to the app.',
        );
        expect(renderMessage('en', 'inboundRequest', { brand, token: 'WAV-X' })).toBe(
          'Verify my number: WAV-X. Send this message without changing it.',
        );
        expect(renderMessage('en', 'otpCode', { brand, code: '1234' })).toBe(
          '1234 is your verification code. Do not share it.',
        );
      }
    });

    it('keeps a brand on one line', () => {
      expect(renderMessage('en', 'inboundHelp', { brand: '  Acme\n  Bank\t' })).toBe(
        'To verify your number, use the link from the Acme Bank app.',
      );
    });
  });

  describe('renderMessage in Indonesian', () => {
    it.each(['id', 'id-ID', 'id_ID', 'in'])('answers %s in Indonesian', (locale) => {
      expect(
        renderMessage(locale, 'inboundCode', { brand: 'Tokoku', code: '123456', minutes: 5 }),
      ).toBe('123456 adalah kode verifikasi Tokoku Anda. Kode ini berlaku selama 5 menit.');
    });

    it('writes the prefilled request and the replies', () => {
      expect(
        renderMessage('id', 'inboundRequest', { brand: 'Tokoku', token: 'WAV-7KQ2-M9XD-4HTB' }),
      ).toBe(
        'Verifikasi nomor saya untuk Tokoku: WAV-7KQ2-M9XD-4HTB. Kirim pesan ini tanpa mengubahnya.',
      );
      expect(renderMessage('id', 'inboundConfirmed', {})).toBe(
        'Nomor Anda berhasil diverifikasi. Silakan kembali ke aplikasi.',
      );
      expect(renderMessage('id', 'otpCode', { code: '9876' })).toBe(
        '9876 adalah kode verifikasi Anda. Jangan berikan kode ini kepada siapa pun.',
      );
    });
  });

  it('falls back to English for an unknown locale', () => {
    for (const key of KEYS) {
      const vars = { brand: 'Acme', token: 'WAV-7KQ2-M9XD-4HTB', code: '123456', minutes: 10 };
      expect(renderMessage('xx-YY', key, vars)).toBe(renderMessage('en', key, vars));
    }
  });

  describe.each([
    ['en', en],
    ['id', id],
  ] as Array<[string, MessageCatalog]>)('catalog %s', (_locale, catalog) => {
    it.each(KEYS)('renders %s with the brand and every variable, on one line', (key) => {
      const text = renderMessage(_locale, key, {
        brand: 'Zyxbrand',
        token: 'WAV-7KQ2-M9XD-4HTB',
        code: '864209',
        minutes: 7,
      });
      expect(catalog[key]).toBeInstanceOf(Function);
      expect(text).toContain('Zyxbrand');
      expect(text).not.toMatch(/[\n{}]|undefined|null|\s{2}/);
      if (key === 'inboundRequest') expect(text).toContain('WAV-7KQ2-M9XD-4HTB');
      if (key === 'inboundCode' || key === 'otpCode') expect(text).toContain('864209');
      if (key === 'inboundCode') expect(text).toContain('7');
    });
  });
});
