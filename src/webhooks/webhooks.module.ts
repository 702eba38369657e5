import { Module } from '@nestjs/common';
import { WebhookCircuitBreaker } from './webhook-circuit-breaker';
import { WebhookDeliveriesController } from './webhook-deliveries.controller';
import { WebhookDeliveriesService } from './webhook-deliveries.service';
import { WebhookDeliveryRepository } from './webhook-delivery.repository';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import { WebhookHttpClient } from './webhook-http-client';
import { WebhooksCoreModule } from './webhooks-core.module';

/** Sending the client-webhook outbox (dispatcher) and the app's view of it (deliveries API). */
@Module({
  imports: [WebhooksCoreModule],
  controllers: [WebhookDeliveriesController],
  providers: [
    WebhookDispatcher,
    WebhookCircuitBreaker,
    WebhookDeliveryRepository,
    WebhookDeliveriesService,
    WebhookHttpClient,
  ],
})
export class WebhooksModule {}
