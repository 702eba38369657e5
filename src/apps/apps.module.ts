import { Module } from '@nestjs/common';
import { WebhooksCoreModule } from '../webhooks/webhooks-core.module';
import { ApiKeysService } from './api-keys.service';
import { AppsController } from './apps.controller';
import { AppsService } from './apps.service';

@Module({
  imports: [WebhooksCoreModule],
  controllers: [AppsController],
  providers: [AppsService, ApiKeysService],
  exports: [AppsService, ApiKeysService],
})
export class AppsModule {}
