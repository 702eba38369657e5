import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { App } from '../apps/entities/app.entity';
import { AuditService } from '../audit/audit.service';
import { Actor } from '../auth/auth.types';
import { Clock } from '../common/clock';
import { DomainException, ErrorCode, notFound } from '../common/errors';
import { WebhookAttempt } from './entities/webhook-attempt.entity';
import { WebhookDelivery } from './entities/webhook-delivery.entity';
import { ListWebhookDeliveriesQueryDto } from './dto/webhook-delivery.dto';
import { WebhookDeliveryRepository } from './webhook-delivery.repository';

export interface DeliveryPage {
  data: WebhookDelivery[];
  nextCursor: string | null;
}

export interface DeliveryDetails {
  delivery: WebhookDelivery;
  attempts: WebhookAttempt[];
}

/** What an app may see and do with its client-webhook deliveries: list, inspect, retry. */
@Injectable()
export class WebhookDeliveriesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async list(app: App, query: ListWebhookDeliveriesQueryDto): Promise<DeliveryPage> {
    const limit = query.limit ?? 20;
    const rows = await this.deliveries.listForApp(app.id, {
      status: query.status,
      cursor: query.cursor,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    return { data: page, nextCursor: rows.length > limit ? page[page.length - 1].id : null };
  }

  async details(app: App, id: string): Promise<DeliveryDetails> {
    const delivery = id.length <= 40 ? await this.deliveries.findForApp(app.id, id) : null;
    if (!delivery) throw notFound('Webhook delivery');
    return { delivery, attempts: await this.deliveries.attemptsOf(id) };
  }

  /** Makes a failed (or still pending) delivery due now under the same id; a succeeded one is refused. */
  async retry(app: App, id: string, actor: Actor): Promise<DeliveryDetails> {
    const { delivery } = await this.details(app, id);
    const now = this.clock.now();
    const retried = await this.dataSource.transaction(async (manager) => {
      if (!(await this.deliveries.requestRetry(manager, app.id, id, now))) return false;
      await this.audit.record(
        {
          type: 'webhook.retry_requested',
          appId: app.id,
          verificationId: delivery.verificationId,
          actor,
          data: {
            deliveryId: id,
            event: delivery.type,
            previousStatus: delivery.status,
            attempts: delivery.attempts,
          },
        },
        manager,
      );
      return true;
    });
    if (!retried) {
      throw new DomainException(
        ErrorCode.VALIDATION_FAILED,
        'Only a failed or pending delivery can be retried',
        {
          details: [{ field: 'status', message: `the delivery has ${delivery.status}` }],
        },
      );
    }
    return this.details(app, id);
  }
}
