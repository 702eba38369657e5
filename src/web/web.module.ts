import { Module } from '@nestjs/common';
import { AbuseModule } from '../abuse/abuse.module';
import { RateLimitStorageModule } from '../abuse/rate-limit-storage.module';
import { AppsModule } from '../apps/apps.module';
import { InboundModule } from '../inbound/inbound.module';
import { ProvidersModule } from '../providers/providers.module';
import { VerificationModule } from '../verification/verification.module';
import { DemoApiController } from './demo-api.controller';
import { DemoRateLimiter } from './demo-rate-limiter';
import { DemoService } from './demo.service';
import { WebPageFiles } from './web-assets';
import { WebPagesController } from './web-pages.controller';

/** The /demo and /console pages (built by Vite into dist/web) and the demo's server side. */
@Module({
  imports: [
    AbuseModule,
    RateLimitStorageModule,
    AppsModule,
    InboundModule,
    ProvidersModule,
    VerificationModule,
  ],
  controllers: [WebPagesController, DemoApiController],
  providers: [
    { provide: WebPageFiles, useFactory: () => new WebPageFiles() },
    DemoService,
    DemoRateLimiter,
  ],
})
export class WebModule {}
