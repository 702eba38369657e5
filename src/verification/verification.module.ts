import { Module } from '@nestjs/common';
import { AbuseModule } from '../abuse/abuse.module';
import { AuditModule } from '../audit/audit.module';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ProvidersModule } from '../providers/providers.module';
import { WebhooksCoreModule } from '../webhooks/webhooks-core.module';
import { BcryptCodeHasher, CodeHasher, HmacCodeHasher } from './code-hasher';
import { CodeSender } from './code-sender.service';
import { IdempotencyService } from './idempotency.service';
import { InboundLinkService } from './inbound-link.service';
import { OtpGenerator } from './otp-generator';
import { CodeSealer } from './routing/code-sealer';
import { DeliveryRouter } from './routing/delivery-router.service';
import { DeliveryStepRepository } from './routing/delivery-step.repository';
import { TestNumbers } from './test-numbers';
import { VerificationController } from './verification.controller';
import { RecentCodes } from './recent-codes';
import { VerificationRepository } from './verification.repository';
import { VerificationService } from './verification.service';

@Module({
  imports: [ProvidersModule, AuditModule, WebhooksCoreModule, AbuseModule],
  controllers: [VerificationController],
  providers: [
    VerificationService,
    VerificationRepository,
    RecentCodes,
    CodeSender,
    IdempotencyService,
    InboundLinkService,
    OtpGenerator,
    TestNumbers,
    DeliveryStepRepository,
    DeliveryRouter,
    {
      provide: CodeSealer,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): CodeSealer => new CodeSealer(config.otpPepper),
    },
    {
      provide: CodeHasher,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): CodeHasher =>
        config.otpHasher === 'bcrypt'
          ? new BcryptCodeHasher(config.otpPepper, config.otpHashCost)
          : new HmacCodeHasher(config.otpPepper),
    },
  ],
  exports: [
    VerificationService,
    VerificationRepository,
    CodeSender,
    CodeHasher,
    OtpGenerator,
    InboundLinkService,
    IdempotencyService,
    TestNumbers,
    DeliveryRouter,
    DeliveryStepRepository,
  ],
})
export class VerificationModule {}
