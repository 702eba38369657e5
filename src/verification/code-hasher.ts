import { Injectable } from '@nestjs/common';
import * as bcrypt from 'bcrypt';
import { hmacSha256Hex, safeEqual } from '../common/crypto';

/**
 * How stored codes are hashed. The code is bound to its verification id, so a hash is useless for
 * any other verification. Choose with OTP_HASHER.
 */
export abstract class CodeHasher {
  abstract hash(verificationId: string, code: string): Promise<string>;
  abstract verify(verificationId: string, code: string, stored: string): Promise<boolean>;
  /**
   * The stored hash `code` would have, when the hasher is deterministic (no salt), so a database
   * can compare it without reading the row first; null otherwise.
   */
  abstract predictableHash(verificationId: string, code: string): string | null;
  /** Whether {@link predictableHash} answers (a deterministic hasher). */
  abstract readonly predictable: boolean;
}

/** Default: HMAC-SHA256 keyed with OTP_PEPPER (which never lives in the database). Fast, so fine on the hot path. */
@Injectable()
export class HmacCodeHasher extends CodeHasher {
  readonly predictable = true;

  constructor(private readonly pepper: string) {
    super();
  }

  async hash(verificationId: string, code: string): Promise<string> {
    return this.predictableHash(verificationId, code);
  }

  async verify(verificationId: string, code: string, stored: string): Promise<boolean> {
    return safeEqual(this.predictableHash(verificationId, code), stored);
  }

  predictableHash(verificationId: string, code: string): string {
    return `hmac$${hmacSha256Hex(this.pepper, `${verificationId}:${code}`)}`;
  }
}

/**
 * Optional slow hash: bcrypt over HMAC-SHA256(OTP_PEPPER, `id:code`), so a database dump alone
 * cannot be brute-forced (a 6-digit code space is searched in seconds without the pepper). The hex
 * digest is 64 bytes, inside bcrypt's 72-byte limit. bcrypt's async API runs on the libuv thread
 * pool, off the event loop.
 */
@Injectable()
export class BcryptCodeHasher extends CodeHasher {
  readonly predictable = false;

  constructor(
    private readonly pepper: string,
    private readonly cost: number,
  ) {
    super();
  }

  hash(verificationId: string, code: string): Promise<string> {
    return bcrypt.hash(this.peppered(verificationId, code), this.cost);
  }

  async verify(verificationId: string, code: string, stored: string): Promise<boolean> {
    if (!stored.startsWith('$2')) return false;
    return bcrypt.compare(this.peppered(verificationId, code), stored);
  }

  /** Salted: every hash differs, so only a compare with the stored one can tell. */
  predictableHash(): null {
    return null;
  }

  private peppered(verificationId: string, code: string): string {
    return hmacSha256Hex(this.pepper, `${verificationId}:${code}`);
  }
}
