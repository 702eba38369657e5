import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AbuseModule } from './abuse/abuse.module';
import { AnalyticsModule } from './analytics/analytics.module';
import { ApiKeyThrottlerGuard } from './abuse/api-key-throttler.guard';
import { AppsModule } from './apps/apps.module';
import { AuditModule } from './audit/audit.module';
import { ApiAuthGuard } from './auth/api-auth.guard';
import { HttpErrorFilter } from './common/http-error.filter';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { ExpiryModule } from './expiry/expiry.module';
import { HealthModule } from './health/health.module';
import { InboundModule } from './inbound/inbound.module';
import { MetricsModule } from './metrics/metrics.module';
import { ProvidersModule } from './providers/providers.module';
import { TemplatesModule } from './templates/templates.module';
import { VerificationModule } from './verification/verification.module';
import { WebModule } from './web/web.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(config, config.runMigrations),
        MetricsModule,
        AuditModule,
        HealthModule,
        AppsModule,
        ProvidersModule,
        VerificationModule,
        InboundModule,
        AbuseModule,
        ExpiryModule,
        WebhooksModule,
        AnalyticsModule,
        WebModule,
        TemplatesModule,
      ],
      providers: [
        // Guard order is registration order: authenticate, then count per API key. Failed
        // authentications are counted (and refused per IP) by HttpErrorFilter, so valid credentials
        // are never refused by the failed-auth limit.
        { provide: APP_GUARD, useClass: ApiAuthGuard },
        { provide: APP_GUARD, useExisting: ApiKeyThrottlerGuard },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
      ],
    };
  }
}
