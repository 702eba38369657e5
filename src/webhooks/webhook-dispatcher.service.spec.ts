import { Test } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource, EntityManager, FindOperator } from 'typeorm';
import { App } from '../apps/entities/app.entity';
import { AuditEntry, AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { MetricsService } from '../metrics/metrics.service';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { WebhookDelivery, WebhookDeliveryStatus } from './entities/webhook-delivery.entity';
import { WebhookEndpoint } from './entities/webhook-endpoint.entity';
import { endpointKey, ProbeClaim, WebhookCircuitBreaker } from './webhook-circuit-breaker';
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
  /** Apps reported as having due work; defaults to the apps of `due`. */
  dueApps: string[] | null = null;
  allotments: Map<string, number>[] = [];
  outcomes: { kind: string; attempt: AttemptRecord; nextAttemptAt?: number }[] = [];
  async appsWithDueWork(): Promise<string[]> {
    return this.dueApps ?? [...new Set(this.due.map((lease) => lease.delivery.appId))].sort();
  }
  async leaseDue(_now: number, allotments: ReadonlyMap<string, number>): Promise<LeasedDelivery[]> {
    this.allotments.push(new Map(allotments));
    const taken = new Map<string, number>();
    const leased = this.due.filter((lease) => {
      const appId = lease.delivery.appId;
      if ((taken.get(appId) ?? 0) >= (allotments.get(appId) ?? 0)) return false;
      taken.set(appId, (taken.get(appId) ?? 0) + 1);
      return true;
    });
    this.due = this.due.filter((lease) => !leased.includes(lease));
    const order = [...allotments.keys()];
    return leased.sort((x, y) => order.indexOf(x.delivery.appId) - order.indexOf(y.delivery.appId));
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

/** The breaker's decisions are the real ones; its storage is a map. */
class FakeBreaker {
  open = new Map<string, WebhookEndpoint>();
  calls: string[] = [];
  claimable = true;
  stateOf = WebhookCircuitBreaker.prototype.stateOf;
  async openEndpoints(): Promise<Map<string, WebhookEndpoint>> {
    return this.open;
  }
  async claimProbe(
    appId: string,
    url: string,
    trips: number,
    _until: number,
    token: string,
  ): Promise<ProbeClaim | null> {
    this.calls.push(`claim ${appId}`);
    return this.claimable ? { appId, urlHash: endpointKey(url), token, trips } : null;
  }
  async releaseProbe(probe: ProbeClaim): Promise<void> {
    this.calls.push(`release ${probe.appId}`);
  }
  async recordSuccess(appId: string): Promise<void> {
    this.calls.push(`success ${appId}`);
  }
  async recordFailure(appId: string): Promise<number | null> {
    this.calls.push(`failure ${appId}`);
    return null;
  }
  async recordProbeFailure(probe: ProbeClaim): Promise<number> {
    this.calls.push(`probe failure ${probe.appId} after ${probe.trips} trips`);
    return NOW + 60_000;
  }
}

function endpoint(appId: string, parkedUntil: number, trips = 1): WebhookEndpoint {
  return {
    appId,
    urlHash: endpointKey(`https://hooks.example.com/${appId}`),
    consecutiveFailures: 5,
    trips,
    parkedUntil,
    probeToken: null,
    updatedAt: NOW,
  };
}

let sequence = 0;
function leased(attempts: number, appId = 'app-1'): LeasedDelivery {
  sequence += 1;
  const delivery: WebhookDelivery = {
    id: `msg_${String(sequence).padStart(32, '0')}`,
    appId,
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
  let breaker: FakeBreaker;
  let answer: WebhookPostResult;
  let audited: AuditEntry[];
  let sent: { url: string; headers: Record<string, string>; body: string }[];

  beforeEach(async () => {
    repository = new FakeRepository();
    breaker = new FakeBreaker();
    audited = [];
    sent = [];
    answer = { statusCode: 500, latencyMs: 12, error: 'HTTP 500' };
    const appFor = (id: string): App =>
      ({
        id,
        webhookUrl: `https://hooks.example.com/${id}`,
        webhookSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        previousWebhookSecret: null,
        previousWebhookSecretExpiresAt: null,
      }) as App;
    const dataSource = {
      getRepository: () => ({
        findBy: async ({ id }: { id: FindOperator<string[]> }) =>
          (id.value as unknown as string[]).map(appFor),
      }),
      transaction: async <T>(work: (manager: EntityManager) => Promise<T>) =>
        work({} as EntityManager),
    };
    const moduleRef = await Test.createTestingModule({
      providers: [
        WebhookDispatcher,
        MetricsService,
        { provide: getDataSourceToken(), useValue: dataSource as unknown as DataSource },
        {
          provide: APP_CONFIG,
          useValue: {
            backgroundJobs: true,
            webhookRetryScheduleMs: [1000, 2000],
            webhookTimeoutMs: 5000,
            webhookDispatchIntervalMs: 1000,
            webhookDispatch: {
              maxInFlight: 5,
              maxInFlightPerApp: 2,
              breakerFailures: 5,
              breakerCooldownMs: 30_000,
              breakerMaxCooldownMs: 1_800_000,
            },
          } as AppConfig,
        },
        { provide: WebhookDeliveryRepository, useValue: repository },
        { provide: WebhookCircuitBreaker, useValue: breaker },
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

  async function runOnce(...deliveries: LeasedDelivery[]): Promise<void> {
    repository.due = deliveries;
    dispatcher.onApplicationBootstrap();
    await dispatcher.poll();
    await dispatcher.onModuleDestroy();
  }

  it('sends the stored payload, signed, to the URL the app has now', async () => {
    answer = { statusCode: 204, latencyMs: 5, error: null };
    await runOnce(leased(0));
    expect(sent).toEqual([
      {
        url: 'https://hooks.example.com/app-1',
        body: '{"type":"verification.approved"}',
        headers: expect.objectContaining({ 'webhook-id': expect.stringMatching(/^msg_\d{32}$/) }),
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

  it('deals the free slots one per app per pass, never above the per-app cap', async () => {
    answer = { statusCode: 200, latencyMs: 5, error: null };
    await runOnce(
      ...['a', 'a', 'a', 'a', 'b', 'b', 'b', 'c'].map((appId) => leased(0, `app-${appId}`)),
    );
    // 5 slots, cap 2: a, b, c, then a and b again.
    expect(repository.allotments[0]).toEqual(
      new Map([
        ['app-a', 2],
        ['app-b', 2],
        ['app-c', 1],
      ]),
    );
    expect(sent.map((s) => s.url)).toEqual(
      ['a', 'a', 'b', 'b', 'c'].map((id) => `https://hooks.example.com/app-${id}`),
    );
  });

  it('starts the next round after the app it served last (round-robin)', async () => {
    answer = { statusCode: 200, latencyMs: 5, error: null };
    repository.dueApps = ['app-a', 'app-b', 'app-c', 'app-d', 'app-e', 'app-f'];
    repository.due = ['a', 'b', 'c', 'd', 'e', 'f', 'a'].map((id) => leased(0, `app-${id}`));
    dispatcher.onApplicationBootstrap();
    await dispatcher.poll();
    for (let i = 0; i < 100 && repository.allotments.length < 2; i++)
      await new Promise((resolve) => setTimeout(resolve, 5));
    await dispatcher.onModuleDestroy();
    // 5 slots: a to e; the round after (when the first slot frees up) begins with f, not a again.
    expect([...repository.allotments[0].keys()]).toEqual([
      'app-a',
      'app-b',
      'app-c',
      'app-d',
      'app-e',
    ]);
    expect([...repository.allotments[1].keys()][0]).toBe('app-f');
  });

  it('leases nothing for a parked endpoint and claims one probe for a half-open one', async () => {
    breaker.open.set('app-a', endpoint('app-a', NOW + 10_000));
    breaker.open.set('app-b', endpoint('app-b', NOW - 1, 2));
    await runOnce(leased(0, 'app-a'), leased(0, 'app-b'), leased(0, 'app-b'), leased(0, 'app-c'));
    expect(repository.allotments[0]).toEqual(
      new Map([
        ['app-b', 1],
        ['app-c', 2],
      ]),
    );
    expect(sent.map((s) => s.url)).toEqual([
      'https://hooks.example.com/app-b',
      'https://hooks.example.com/app-c',
    ]);
    expect(breaker.calls).toEqual(
      expect.arrayContaining(['claim app-b', 'probe failure app-b after 2 trips', 'failure app-c']),
    );
    expect(breaker.calls).not.toContain('failure app-b');
  });

  it('treats a parked state as closed once the app has a new URL', async () => {
    breaker.open.set('app-a', { ...endpoint('app-a', NOW + 10_000), urlHash: endpointKey('old') });
    answer = { statusCode: 204, latencyMs: 5, error: null };
    await runOnce(leased(0, 'app-a'));
    expect(sent).toHaveLength(1);
    expect(breaker.calls).toEqual(['success app-a']);
  });

  it('hands an unused probe back when the half-open app had nothing left to lease', async () => {
    breaker.open.set('app-b', endpoint('app-b', NOW - 1));
    repository.dueApps = ['app-b'];
    await runOnce();
    expect(breaker.calls).toEqual(['claim app-b', 'release app-b']);
    expect(sent).toEqual([]);
  });
});
