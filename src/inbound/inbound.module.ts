import { Module } from '@nestjs/common';
import { AbuseModule } from '../abuse/abuse.module';
import { ProvidersModule } from '../providers/providers.module';
import { VerificationModule } from '../verification/verification.module';
import { WebhooksCoreModule } from '../webhooks/webhooks-core.module';
import { DeliveryStatusHandler } from './delivery-status.handler';
import { InboundMessageHandler } from './inbound-message.handler';
import { InboundSenderRepository } from './inbound-sender.repository';
import { InboxRepository } from './inbox.repository';
import { InboxService } from './inbox.service';
import { ProviderWebhooksController } from './provider-webhooks.controller';
import { ProviderWebhooksService } from './provider-webhooks.service';
import { SandboxInboundController } from './sandbox-inbound.controller';
import { SandboxInboundService } from './sandbox-inbound.service';
import { WaUserPhoneRepository } from './wa-user-phone.repository';

/** User-first verification: provider webhooks and the sandbox feed an inbox; its processor matches tokens and tracks delivery. */
@Module({
  imports: [ProvidersModule, VerificationModule, WebhooksCoreModule, AbuseModule],
  controllers: [ProviderWebhooksController, SandboxInboundController],
  providers: [
    ProviderWebhooksService,
    SandboxInboundService,
    InboxService,
    InboxRepository,
    InboundSenderRepository,
    WaUserPhoneRepository,
    InboundMessageHandler,
    DeliveryStatusHandler,
  ],
  exports: [SandboxInboundService],
})
export class InboundModule {}
