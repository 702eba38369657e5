import { Module } from '@nestjs/common';
import { CreationGuard } from './creation-guard.service';

@Module({
  providers: [CreationGuard],
  exports: [CreationGuard],
})
export class AbuseModule {}
