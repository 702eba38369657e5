import { Injectable } from '@nestjs/common';
import { App } from '../apps/entities/app.entity';
import { Actor } from '../auth/auth.types';
import { DomainException, ErrorCode } from '../common/errors';
import { NormalisedPhone } from '../common/phone';

/**
 * Fraud checks that run before a verification is created (SMS pumping / toll fraud):
 * the app's allowed countries, and the number's type.
 */
@Injectable()
export class CreationGuard {
  async assertAllowed(app: App, phone: NormalisedPhone, _actor: Actor): Promise<void> {
    if (app.allowedCountries && app.allowedCountries.length > 0 && (!phone.country || !app.allowedCountries.includes(phone.country))) {
      throw new DomainException(ErrorCode.COUNTRY_NOT_ALLOWED, `Phone numbers of ${phone.country ?? 'this country'} are not allowed for this app`);
    }
  }
}
