import { Module } from '@nestjs/common';
import { VerificationModule } from '../verification/verification.module';
import { WebhooksCoreModule } from '../webhooks/webhooks-core.module';
import { ExpiryRepository } from './expiry.repository';
import { ExpirySweeper } from './expiry-sweeper.service';

/** Expires pending verifications in the background (also enforced on use by VerificationService). */
@Module({
  imports: [VerificationModule, WebhooksCoreModule],
  providers: [ExpirySweeper, ExpiryRepository],
  exports: [ExpirySweeper],
})
export class ExpiryModule {}
