import { buildQrDataUrl, buildWaLink } from './wa-link';

describe('wa.me link', () => {
  it('puts the business number as digits and the message URL-encoded', () => {
    expect(buildWaLink('+15550001111', 'Verify my number: WAV-7KQ2-M9XD-4HTB.')).toBe(
      'https://wa.me/15550001111?text=Verify%20my%20number%3A%20WAV-7KQ2-M9XD-4HTB.',
    );
  });

  it('encodes spaces as %20 and + as %2B (a literal + would read as a space)', () => {
    const link = buildWaLink('+6281212345678', 'a + b');
    expect(link).toBe('https://wa.me/6281212345678?text=a%20%2B%20b');
    expect(new URL(link).searchParams.get('text')).toBe('a + b');
  });

  it('round-trips non-ASCII text, reserved characters and line breaks', () => {
    const message = 'Verifikasi nomor São Paulo — café ✅ & ?#=/%\nbaris dua';
    const link = buildWaLink('+5511987654321', message);
    expect(link).toMatch(/^https:\/\/wa\.me\/5511987654321\?text=[A-Za-z0-9%\-_.!~*'()]+$/);
    expect(link).toContain('S%C3%A3o');
    expect(new URL(link).searchParams.get('text')).toBe(message);
  });

  it('accepts the number with spacing or without the +', () => {
    expect(buildWaLink('+1 555-000-1111', 'x')).toBe('https://wa.me/15550001111?text=x');
    expect(buildWaLink('15550001111', 'x')).toBe('https://wa.me/15550001111?text=x');
  });

  it.each(['', '+', 'abc', '+0123456789', '+1234567890123456', '+1555000111a'])(
    'refuses a business number that is not E.164: %p',
    (number) => {
      expect(() => buildWaLink(number, 'x')).toThrow(/E\.164/);
    },
  );
});

describe('QR code', () => {
  it('is an SVG data URL of the link', async () => {
    const link = buildWaLink('+15550001111', 'Verify my number for Acme: WAV-7KQ2-M9XD-4HTB.');
    const dataUrl = await buildQrDataUrl(link);
    const prefix = 'data:image/svg+xml;base64,';
    expect(dataUrl.startsWith(prefix)).toBe(true);
    const base64 = dataUrl.slice(prefix.length);
    expect(base64).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    const svg = Buffer.from(base64, 'base64').toString('utf8');
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('<path');
  });

  it('differs for different links and is stable for one link', async () => {
    const a = await buildQrDataUrl('https://wa.me/15550001111?text=a');
    const b = await buildQrDataUrl('https://wa.me/15550001111?text=b');
    expect(a).not.toBe(b);
    await expect(buildQrDataUrl('https://wa.me/15550001111?text=a')).resolves.toBe(a);
  });
});
