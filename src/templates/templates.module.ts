import { Module } from '@nestjs/common';
import { ProvidersModule } from '../providers/providers.module';
import { TemplatesController } from './templates.controller';
import { TemplatesService } from './templates.service';

/** WhatsApp authentication templates on the Business Account (admin API and CLI). */
@Module({
  imports: [ProvidersModule],
  controllers: [TemplatesController],
  providers: [TemplatesService],
  exports: [TemplatesService],
})
export class TemplatesModule {}
