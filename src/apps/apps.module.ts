import { Module } from '@nestjs/common';
import { VerificationModule } from '../verification/verification.module';
import { WebhooksCoreModule } from '../webhooks/webhooks-core.module';
import { ApiKeysService } from './api-keys.service';
import { AppsController } from './apps.controller';
import { AppsService } from './apps.service';

@Module({
  imports: [WebhooksCoreModule, VerificationModule],
  controllers: [AppsController],
  providers: [AppsService, ApiKeysService],
  exports: [AppsService, ApiKeysService],
})
export class AppsModule {}
