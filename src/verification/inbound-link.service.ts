import { Inject, Injectable } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { App } from '../apps/entities/app.entity';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Verification } from './entities/verification.entity';
import { hashToken, normaliseToken, tokenFromSeed } from './inbound-token';
import { renderMessage } from './messages';
import { buildQrDataUrl, buildWaLink } from './wa-link';
import { InboundLink } from './verification.view';

/**
 * The inbound token of a verification is derived from its id with HMAC-SHA256 keyed by OTP_PEPPER:
 * unpredictable without the pepper (~59 bits), never stored (the database keeps only its SHA-256
 * for look-up), and reproducible, so a pending verification can show its link again (GET, or an
 * idempotent replay of the create request).
 */
@Injectable()
export class InboundLinkService {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  tokenFor(verificationId: string): string {
    return tokenFromSeed(
      createHmac('sha256', this.config.otpPepper)
        .update(`inbound-token:${verificationId}`)
        .digest(),
    );
  }

  tokenHash(verificationId: string): string {
    return hashToken(normaliseToken(this.tokenFor(verificationId)));
  }

  async linkFor(app: App, verification: Verification): Promise<InboundLink> {
    const waMessage = renderMessage(verification.locale, 'inboundRequest', {
      brand: app.brandName,
      token: this.tokenFor(verification.id),
    });
    const waLink = buildWaLink(this.config.whatsappBusinessNumber, waMessage);
    return { waLink, waMessage, qrCode: await buildQrDataUrl(waLink) };
  }
}
