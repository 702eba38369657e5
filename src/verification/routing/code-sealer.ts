import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * Keeps a code that a later delivery step must send again (the same code stays valid through a
 * workflow): AES-256-GCM under a key derived from OTP_PEPPER, which never lives in the database, and
 * bound to the verification id, so a database dump alone reveals no code and a sealed code cannot
 * be moved to another verification.
 */
export class CodeSealer {
  private readonly key: Buffer;

  constructor(pepper: string) {
    this.key = Buffer.from(
      hkdfSync('sha256', pepper, 'wa-verify', 'delivery-step-code', 32) as ArrayBuffer,
    );
  }

  seal(verificationId: string, code: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(verificationId));
    const body = Buffer.concat([cipher.update(code, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), body]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** The code, or null when the value was not sealed for this verification with this pepper. */
  open(verificationId: string, sealed: string): string | null {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || body === undefined) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(verificationId));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(body, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      return null;
    }
  }
}
