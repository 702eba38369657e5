import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AbuseModule } from './abuse/abuse.module';
import { AppsModule } from './apps/apps.module';
import { AuditModule } from './audit/audit.module';
import { ApiAuthGuard } from './auth/api-auth.guard';
import { HttpErrorFilter } from './common/http-error.filter';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { ProvidersModule } from './providers/providers.module';
import { VerificationModule } from './verification/verification.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(config, config.runMigrations),
        AuditModule,
        HealthModule,
        AppsModule,
        ProvidersModule,
        VerificationModule,
        AbuseModule,
      ],
      providers: [
        { provide: APP_GUARD, useClass: ApiAuthGuard },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
      ],
    };
  }
}
