import { toString as qrToString } from 'qrcode';

/**
 * `https://wa.me/<digits>?text=<message>`: opens a chat with the business number, prefilled
 * with `message`. wa.me wants the number as digits only (no `+`, spaces or dashes).
 * Throws when `businessNumberE164` is not an E.164 number: that is a configuration error.
 */
export function buildWaLink(businessNumberE164: string, message: string): string {
  const digits = businessNumberE164.replace(/[\s\-().]/g, '').replace(/^\+/, '');
  if (!/^[1-9]\d{6,14}$/.test(digits)) {
    throw new Error('The WhatsApp business number must be in E.164 format, e.g. +15550001111');
  }
  return `https://wa.me/${digits}?text=${encodeURIComponent(message)}`;
}

/** The link as a QR code: an SVG image in a `data:` URL, ready for an `<img src>`. */
export async function buildQrDataUrl(link: string): Promise<string> {
  const svg = await qrToString(link, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
}
