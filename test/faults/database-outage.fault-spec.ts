import { sleep, waitFor } from '../support/wait';
import { WebhookReceiver } from '../support/webhook-receiver';
import { approve, createTenant, createVerification, Tenant } from './support/api';
import { freshDatabase, FreshDatabase } from './support/mariadb';
import { ADMIN_KEY, call, ServiceProcess } from './support/service';
import { TcpProxy } from './support/tcp-proxy';

/**
 * MariaDB goes away under a running service (a TCP proxy the test owns sits between them; the
 * machine's MariaDB is never touched). The service must answer 503 `service_unavailable` with
 * Retry-After within 5 s instead of hanging or crashing, and serve again without a restart once
 * the database is back, with nothing pending lost.
 */
describe('MariaDB outage', () => {
  let db: FreshDatabase;
  let proxy: TcpProxy;
  let service: ServiceProcess;
  const receiver = new WebhookReceiver();
  let hookUrl: string;
  let tenant: Tenant;
  const pending: { id: string; code: string }[] = [];
  let queuedWebhookFor: string;

  beforeAll(async () => {
    db = await freshDatabase('dbcut');
    proxy = new TcpProxy(db.host, db.port);
    await receiver.start();
    hookUrl = receiver.expect([]);
    receiver.failAll(hookUrl, 500);
    service = await ServiceProcess.start({
      DATABASE_URL: db.urlVia(await proxy.start()),
      WEBHOOK_RETRY_SCHEDULE: '1s,2s,5s,10s,30s,1m,5m',
      EXPIRY_SWEEP_INTERVAL: '1s',
      INBOUND_RETRY_INTERVAL: '1s',
    });

    tenant = await createTenant(service, { webhookUrl: hookUrl });
    receiver.setSecrets(hookUrl, [tenant.webhookSecret]);
    for (let i = 0; i < 3; i++) pending.push(await createVerification(service, tenant));
    // One approval whose client webhook stays queued (the receiver answers 500 for now).
    const approved = await createVerification(service, tenant);
    await approve(service, tenant, approved);
    queuedWebhookFor = approved.id;
    await waitFor(() => receiver.at(hookUrl).length > 0, 15_000);
  });

  afterAll(async () => {
    await service?.stop();
    await proxy?.close();
    await receiver.stop();
    await db?.drop();
  });

  async function expectUnavailable(
    method: string,
    path: string,
    key: string,
    body?: unknown,
  ): Promise<void> {
    const res = await call(service, method, path, { key, body, timeoutMs: 15_000 });
    expect({ path, status: res.status, code: res.body?.code }).toEqual({
      path,
      status: 503,
      code: 'service_unavailable',
    });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(res.text).not.toMatch(/ECONN|ETIMEDOUT|PROTOCOL_|\bat .+\.js/);
    expect(res.ms).toBeLessThan(5_000);
  }

  for (const mode of ['blackhole', 'refuse'] as const) {
    it(`${mode}: answers 503 service_unavailable within 5 s, stays alive, and serves again once the database is back`, async () => {
      await proxy.cut(mode);

      const ready = await call(service, 'GET', '/health/ready', { timeoutMs: 15_000 });
      expect(ready.status).toBe(503);
      expect(ready.body.checks.database).toBe('down');
      expect(ready.ms).toBeLessThan(5_000);

      await expectUnavailable('GET', `/v1/verifications/${pending[0].id}`, tenant.apiKey);
      await expectUnavailable('POST', '/v1/verifications', tenant.apiKey, {
        phone: '+6281299990000',
      });
      await expectUnavailable('GET', `/v1/apps/${tenant.appId}`, ADMIN_KEY);
      // A burst at once: every one bounded too, none queued forever behind the others.
      const burst = await Promise.all(
        Array.from({ length: 8 }, () =>
          call(service, 'GET', '/v1/verifications?limit=5', {
            key: tenant.apiKey,
            timeoutMs: 15_000,
          }),
        ),
      );
      expect(burst.map((res) => res.status)).toEqual(Array(8).fill(503));
      expect(Math.max(...burst.map((res) => res.ms))).toBeLessThan(5_000);

      // Background jobs (dispatcher, inbox, sweeper) keep failing for a while: the process lives on.
      await sleep(3_000);
      expect(service.alive).toBe(true);
      expect((await call(service, 'GET', '/health/live')).status).toBe(200);

      await proxy.restore();
      const back = await waitFor(
        async () => {
          const res = await call(service, 'GET', '/health/ready', { timeoutMs: 5_000 });
          return res.status === 200 ? res : undefined;
        },
        20_000,
        250,
      );
      expect(back.body.checks.database).toBe('up');
      for (const { id } of pending) {
        const res = await call(service, 'GET', `/v1/verifications/${id}`, { key: tenant.apiKey });
        expect({ id, status: res.status, state: res.body.status }).toEqual({
          id,
          status: 200,
          state: 'pending',
        });
      }
      expect(
        (
          await call(service, 'POST', '/v1/verifications', {
            key: tenant.apiKey,
            body: { phone: '+6281299990001' },
          })
        ).status,
      ).toBe(201);
    });
  }

  it('loses nothing: the pending verifications still approve and the queued webhook is delivered', async () => {
    for (const verification of pending) await approve(service, tenant, verification);
    receiver.failAll(hookUrl, null);
    const delivered = (id: string) =>
      receiver
        .at(hookUrl)
        .find(
          (hook) =>
            hook.status === 200 &&
            hook.body?.data.id === id &&
            hook.body.type === 'verification.approved',
        );
    const first = receiver.at(hookUrl).find((hook) => hook.body?.data.id === queuedWebhookFor)!;
    const late = await waitFor(() => delivered(queuedWebhookFor), 60_000, 200);
    expect(late.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(late.rawBody).toBe(first.rawBody);
    for (const { id } of pending) await waitFor(() => delivered(id), 30_000, 200);
    // Outage noise stays in a few one-line warnings (each background job and the error filter at
    // most once a minute), never a stack trace or a warning per tick. Each 503 still has its one
    // access line ("request failed"): that is the request log, not noise, so it is not counted.
    expect(service.output).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
    const noisy = service.output
      .split('\n')
      .filter((line) => /WARN|ERROR/.test(line) && !line.includes('request failed'));
    expect(noisy.length).toBeLessThan(25);
    expect(service.alive).toBe(true);
  });
});
