import { Injectable } from '@nestjs/common';
import { App } from '../apps/entities/app.entity';
import { Actor } from '../auth/auth.types';
import { DomainException, ErrorCode } from '../common/errors';
import { NormalisedPhone, phoneRejection } from '../common/phone';
import { PhoneRateLimiter } from './phone-rate-limiter';
import { VelocityGuard } from './velocity-guard.service';

/**
 * Fraud checks that run before a verification is created (SMS pumping / toll fraud), cheapest first:
 * the app's allowed countries (403), the number's type (premium-rate, toll-free, landline… → 400
 * `invalid_phone`), an active velocity block of the calling code (403), the per-phone limits (429),
 * then the creation is counted by the velocity guard (which may block the code: 403).
 * Only creations that pass the first three are counted against the phone and the country.
 *
 * A test number of the app (see TestNumbers: no message is ever sent to it) skips the checks here:
 * nothing costs money or reaches a person, so it is neither counted against its country nor refused
 * by it. Only in production do the per-phone limits still count, because there they are what bounds
 * the guesses at its fixed code. This is the one place that exemption lives.
 */
@Injectable()
export class CreationGuard {
  constructor(
    private readonly phoneLimiter: PhoneRateLimiter,
    private readonly velocity: VelocityGuard,
  ) {}

  async assertAllowed(
    app: App,
    phone: NormalisedPhone,
    actor: Actor,
    testNumber: { countPerPhone: boolean } | null = null,
  ): Promise<void> {
    if (testNumber) {
      if (testNumber.countPerPhone) await this.phoneLimiter.consume(app, phone, actor);
      return;
    }
    if (
      app.allowedCountries &&
      app.allowedCountries.length > 0 &&
      (!phone.country || !app.allowedCountries.includes(phone.country))
    ) {
      throw new DomainException(
        ErrorCode.COUNTRY_NOT_ALLOWED,
        `Phone numbers of ${phone.country ?? 'this country'} are not allowed for this app`,
      );
    }
    const rejection = phoneRejection(phone);
    if (rejection)
      throw new DomainException(ErrorCode.INVALID_PHONE, rejection, {
        details: [{ field: 'phone', message: rejection }],
      });
    await this.velocity.assertNotBlocked(app, phone);
    await this.phoneLimiter.consume(app, phone, actor);
    await this.velocity.recordCreation(app, phone);
  }
}
