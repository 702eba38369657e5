import { Injectable } from '@nestjs/common';
import { randomInt } from 'node:crypto';

/** Numeric one-time codes from a CSPRNG (`crypto.randomInt`, no modulo bias). */
@Injectable()
export class OtpGenerator {
  generate(length: number): string {
    let code = '';
    for (let i = 0; i < length; i++) code += String(randomInt(0, 10));
    return code;
  }
}
