import { Module } from '@nestjs/common';
import { HostResolver, SystemHostResolver } from './host-resolver';
import { WebhookOutbox } from './webhook-outbox.service';
import { WebhookUrlPolicy } from './webhook-url.policy';

/** What other modules need of client webhooks: the outbox to enqueue into and the URL policy. */
@Module({
  providers: [
    WebhookOutbox,
    WebhookUrlPolicy,
    { provide: HostResolver, useClass: SystemHostResolver },
  ],
  exports: [WebhookOutbox, WebhookUrlPolicy],
})
export class WebhooksCoreModule {}
