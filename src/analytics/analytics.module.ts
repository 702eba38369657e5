import { Global, Module } from '@nestjs/common';
import { AbuseModule } from '../abuse/abuse.module';
import { AnalyticsController } from './analytics.controller';
import { AnalyticsQueryService } from './analytics-query.service';
import { ConversionCounters } from './conversion-counters.service';
import { ConversionFolder } from './conversion-folder.service';
import { ConversionGuard } from './conversion-guard.service';
import { ConversionBlockRepository, ConversionRepository } from './conversion.repository';
import { CountryBlocksController } from './country-blocks.controller';
import { CountryBlocksService } from './country-blocks.service';

/**
 * Conversion analytics (outcomes marked as things happen, folded into counters, the report) and the
 * conversion guard.
 * Global: the lifecycle (verification, inbound, expiry) calls ConversionCounters in its transactions.
 */
@Global()
@Module({
  imports: [AbuseModule],
  controllers: [AnalyticsController, CountryBlocksController],
  providers: [
    ConversionRepository,
    ConversionBlockRepository,
    ConversionCounters,
    ConversionFolder,
    ConversionGuard,
    AnalyticsQueryService,
    CountryBlocksService,
  ],
  exports: [ConversionCounters, ConversionGuard],
})
export class AnalyticsModule {}
