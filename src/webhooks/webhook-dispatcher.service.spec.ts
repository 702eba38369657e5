import { Test } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { App } from '../apps/entities/app.entity';
import { AuditEntry, AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { WebhookDelivery, WebhookDeliveryStatus } from './entities/webhook-delivery.entity';
import {
  AttemptRecord,
  LeasedDelivery,
  WebhookDeliveryRepository,
} from './webhook-delivery.repository';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import { WebhookHttpClient, WebhookPostResult } from './webhook-http-client';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

class FakeRepository {
  due: LeasedDelivery[] = [];
  outcomes: { kind: string; attempt: AttemptRecord; nextAttemptAt?: number }[] = [];
  async leaseDue(): Promise<LeasedDelivery[]> {
    const due = this.due;
    this.due = [];
    return due;
  }
  async markSucceeded(
    _m: EntityManager,
    _l: LeasedDelivery,
    attempt: AttemptRecord,
  ): Promise<boolean> {
    this.outcomes.push({ kind: 'succeeded', attempt });
    return true;
  }
  async markRetry(
    _m: EntityManager,
    _l: LeasedDelivery,
    attempt: AttemptRecord,
    nextAttemptAt: number,
  ): Promise<boolean> {
    this.outcomes.push({ kind: 'retry', attempt, nextAttemptAt });
    return true;
  }
  async markFailed(
    _m: EntityManager,
    _l: LeasedDelivery,
    attempt: AttemptRecord,
  ): Promise<boolean> {
    this.outcomes.push({ kind: 'failed', attempt });
    return true;
  }
  async releaseLease(): Promise<void> {}
}

function leased(attempts: number): LeasedDelivery {
  const delivery: WebhookDelivery = {
    id: 'msg_0000000000000000000000000000000a',
    appId: 'app-1',
    verificationId: 'ver-1',
    type: 'verification.approved',
    payload: '{"type":"verification.approved"}',
    status: WebhookDeliveryStatus.PENDING,
    attempts,
    nextAttemptAt: NOW,
    lockedUntil: NOW + 40_000,
    lockedBy: 'token',
    lastStatusCode: null,
    lastError: null,
    createdAt: NOW,
    updatedAt: NOW,
    deliveredAt: null,
  };
  return { delivery, leaseToken: 'token' };
}

describe('WebhookDispatcher', () => {
  let dispatcher: WebhookDispatcher;
  let repository: FakeRepository;
  let answer: WebhookPostResult;
  let audited: AuditEntry[];
  let sent: { url: string; headers: Record<string, string>; body: string }[];

  beforeEach(async () => {
    repository = new FakeRepository();
    audited = [];
    sent = [];
    answer = { statusCode: 500, latencyMs: 12, error: 'HTTP 500' };
    const app = {
      id: 'app-1',
      webhookUrl: 'https://hooks.example.com/x',
      webhookSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      previousWebhookSecret: null,
      previousWebhookSecretExpiresAt: null,
    } as App;
    const dataSource = {
      getRepository: () => ({ findOneBy: async () => app }),
      transaction: async <T>(work: (manager: EntityManager) => Promise<T>) =>
        work({} as EntityManager),
    };
    const moduleRef = await Test.createTestingModule({
      providers: [
        WebhookDispatcher,
        { provide: getDataSourceToken(), useValue: dataSource as unknown as DataSource },
        {
          provide: APP_CONFIG,
          useValue: {
            webhookRetryScheduleMs: [1000, 2000],
            webhookTimeoutMs: 5000,
            webhookDispatchIntervalMs: 1000,
          } as AppConfig,
        },
        { provide: WebhookDeliveryRepository, useValue: repository },
        {
          provide: WebhookHttpClient,
          useValue: {
            post: async (url: string, headers: Record<string, string>, body: string) => (
              sent.push({ url, headers, body }),
              answer
            ),
          },
        },
        {
          provide: AuditService,
          useValue: { record: async (entry: AuditEntry) => void audited.push(entry) },
        },
        { provide: Clock, useValue: { now: () => NOW } },
      ],
    }).compile();
    dispatcher = moduleRef.get(WebhookDispatcher);
  });

  async function runOnce(delivery: LeasedDelivery): Promise<void> {
    repository.due = [delivery];
    dispatcher.onApplicationBootstrap();
    await dispatcher.poll();
    await dispatcher.onModuleDestroy();
  }

  it('sends the stored payload, signed, to the URL the app has now', async () => {
    answer = { statusCode: 204, latencyMs: 5, error: null };
    await runOnce(leased(0));
    expect(sent).toEqual([
      {
        url: 'https://hooks.example.com/x',
        body: '{"type":"verification.approved"}',
        headers: expect.objectContaining({ 'webhook-id': 'msg_0000000000000000000000000000000a' }),
      },
    ]);
    expect(repository.outcomes.map((o) => o.kind)).toEqual(['succeeded']);
    expect(audited).toEqual([
      expect.objectContaining({
        type: 'webhook.delivered',
        appId: 'app-1',
        verificationId: 'ver-1',
        actor: expect.objectContaining({ type: 'system' }),
      }),
    ]);
  });

  it('schedules a retry within the jitter bounds while the schedule lasts', async () => {
    await runOnce(leased(1));
    expect(repository.outcomes).toHaveLength(1);
    const [outcome] = repository.outcomes;
    expect(outcome.kind).toBe('retry');
    expect(outcome.nextAttemptAt! - NOW).toBeGreaterThanOrEqual(1800);
    expect(outcome.nextAttemptAt! - NOW).toBeLessThanOrEqual(2200);
    expect(audited).toEqual([]);
  });

  it('fails the delivery and audits it after the last scheduled delay', async () => {
    await runOnce(leased(2));
    expect(repository.outcomes.map((o) => o.kind)).toEqual(['failed']);
    expect(audited).toEqual([
      expect.objectContaining({
        type: 'webhook.failed',
        data: expect.objectContaining({ attempts: 3, lastError: 'HTTP 500', lastStatusCode: 500 }),
      }),
    ]);
  });
});
