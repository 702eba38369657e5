import { DataSource } from 'typeorm';
import {
  createTenant,
  e2eDatabaseUrl,
  sandboxCodeFor,
  startApp,
  TestApp,
  TestTenant,
  uniquePhone,
} from './support/harness';
import { sleep, waitFor } from './support/wait';
import { WebhookReceiver } from './support/webhook-receiver';

/** Shared by the suites: quick polling, expiry sweeps and attempt timeouts, no creation throttles. */
const BASE = {
  WEBHOOK_TIMEOUT: '2s',
  EXPIRY_SWEEP_INTERVAL: '200ms',
  RATE_LIMIT_API_KEY_PER_MINUTE: '100000',
  VELOCITY_GUARD_ENABLED: 'false',
};
const PER_APP_CAP = 3;

async function tenantWithReceiver(
  t: TestApp,
  receiver: WebhookReceiver,
): Promise<{ tenant: TestTenant; url: string }> {
  const url = receiver.expect([]);
  const tenant = await createTenant(t, { webhookUrl: url });
  receiver.setSecrets(url, [tenant.webhookSecret]);
  return { tenant, url };
}

/**
 * Queues `count` `verification.expired` webhooks for the tenant the way production does: phone-less
 * inbound verifications (one API call each) that nobody completes, moved an hour into the past
 * (time travel on the database, as in test/support/time-travel.ts) so the expiry sweep expires them.
 * Resolves once all of them are in the outbox.
 */
async function queueExpiries(t: TestApp, tenant: TestTenant, count: number): Promise<void> {
  for (let done = 0; done < count;) {
    const batch = Math.min(20, count - done);
    await Promise.all(
      Array.from({ length: batch }, () =>
        t.http.post('/v1/verifications').set(tenant.auth).send({ flow: 'inbound' }).expect(201),
      ),
    );
    done += batch;
  }
  const db = t.app.get(DataSource);
  await db.query(
    "UPDATE verifications SET created_at = created_at - 3600000, expires_at = expires_at - 3600000 WHERE app_id = ? AND status = 'pending'",
    [tenant.appId],
  );
  await waitFor(async () => (await outboxCount(t, tenant.appId)) === count, 30_000, 100);
}

async function outboxCount(t: TestApp, appId: string, status?: string): Promise<number> {
  const rows: { n: number | string }[] = await t.app
    .get(DataSource)
    .query(
      `SELECT COUNT(*) AS n FROM webhook_deliveries WHERE app_id = ?${status ? ' AND status = ?' : ''}`,
      status ? [appId, status] : [appId],
    );
  return Number(rows[0].n);
}

/** Creates an outbound verification and approves it: queues `verification.approved`; resolves when the check has answered. */
async function approve(t: TestApp, tenant: TestTenant): Promise<string> {
  const phone = uniquePhone();
  const created = await t.http
    .post('/v1/verifications')
    .set(tenant.auth)
    .send({ phone })
    .expect(201);
  const code = await sandboxCodeFor(t, tenant, phone);
  await t.http
    .post(`/v1/verifications/${created.body.id}/check`)
    .set(tenant.auth)
    .send({ code })
    .expect(200);
  return created.body.id as string;
}

describe('Client webhooks: fair dispatch across apps', () => {
  const databaseUrl = e2eDatabaseUrl();
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    await receiver.start();
  });
  afterAll(async () => receiver.stop());

  describe('one instance, per-app cap of 3, breaker out of reach', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startApp(
        {
          ...BASE,
          WEBHOOK_MAX_IN_FLIGHT_PER_APP: String(PER_APP_CAP),
          WEBHOOK_RETRY_SCHEDULE: '1s,1s,1s,1s,1s,1s,1s,1s,1s,1s',
          // The breaker stays out of it here: fairness alone must keep the other apps on time.
          WEBHOOK_BREAKER_FAILURES: '1000',
        },
        databaseUrl,
      );
    });
    afterAll(async () => t.close());

    it("delivers another app's verification.approved within 5 s while one app's receiver hangs with 500 deliveries due", async () => {
      const a = await tenantWithReceiver(t, receiver);
      const b = await tenantWithReceiver(t, receiver);
      receiver.hang(a.url);
      await queueExpiries(t, a.tenant, 500);
      await waitFor(() => receiver.concurrency(a.url).open > 0, 5000);
      expect(await outboxCount(t, a.tenant.appId, 'pending')).toBe(500);

      const verificationId = await approve(t, b.tenant);
      const approvedAt = Date.now();
      const hook = await waitFor(
        () => receiver.at(b.url).find((h) => h.body?.data.id === verificationId),
        30_000,
      );
      const latencyMs = hook.receivedAt - approvedAt;
      if (process.env.FAIRNESS_REPORT)
        console.log(`verification.approved of app B after ${latencyMs} ms`);
      expect(hook.body?.type).toBe('verification.approved');
      expect(hook.status).toBe(200);
      expect(latencyMs).toBeLessThan(5000);
      // Meanwhile the hanging app had its cap of requests open, never more, and is still owed every delivery.
      expect(receiver.concurrency(a.url).maxOpen).toBe(PER_APP_CAP);
      expect(await outboxCount(t, a.tenant.appId, 'pending')).toBe(500);
    }, 120_000);

    it('never has more than the per-app cap of requests open at one receiver, and uses all of it', async () => {
      const c = await tenantWithReceiver(t, receiver);
      receiver.slow(c.url, 500);
      await queueExpiries(t, c.tenant, 10);
      await waitFor(() => receiver.at(c.url).filter((h) => h.status === 200).length === 10, 20_000);
      expect(receiver.concurrency(c.url).maxOpen).toBe(PER_APP_CAP);
      expect(new Set(receiver.at(c.url).map((h) => h.headers['webhook-id'])).size).toBe(10);
      await waitFor(async () => (await outboxCount(t, c.tenant.appId, 'succeeded')) === 10);
    }, 60_000);
  });

  describe('circuit breaker (3 failures, 1 s cool-down doubling to 4 s)', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startApp(
        {
          ...BASE,
          // One at a time, so "after 3 failures" is exact (nothing else is in flight when it trips).
          WEBHOOK_MAX_IN_FLIGHT_PER_APP: '1',
          WEBHOOK_RETRY_SCHEDULE: Array(20).fill('100ms').join(','),
          WEBHOOK_BREAKER_FAILURES: '3',
          WEBHOOK_BREAKER_COOLDOWN: '1s',
          WEBHOOK_BREAKER_MAX_COOLDOWN: '4s',
        },
        databaseUrl,
      );
    });
    afterAll(async () => t.close());

    it('parks a failing endpoint after 3 failures, probes it once per growing cool-down, and a successful probe closes it', async () => {
      const d = await tenantWithReceiver(t, receiver);
      receiver.failAll(d.url, 503);
      await queueExpiries(t, d.tenant, 4);

      // Three failures (retries would follow every 100 ms), then nothing during the 1 s cool-down.
      await waitFor(() => receiver.at(d.url).length >= 3, 10_000, 10);
      const third = receiver.at(d.url)[2].receivedAt;
      await sleep(700);
      expect(receiver.at(d.url)).toHaveLength(3);
      const [state] = await t.app
        .get(DataSource)
        .query(
          'SELECT consecutive_failures, trips, parked_until FROM webhook_endpoints WHERE app_id = ?',
          [d.tenant.appId],
        );
      expect(Number(state.consecutive_failures)).toBe(3);
      expect(Number(state.trips)).toBe(1);
      expect(Number(state.parked_until)).toBeGreaterThan(Date.now());

      // One probe after the cool-down; it fails, so the next cool-down is 2 s.
      await waitFor(() => receiver.at(d.url).length >= 4, 5000, 10);
      const probe = receiver.at(d.url)[3].receivedAt;
      expect(probe - third).toBeGreaterThanOrEqual(950);
      await sleep(1500);
      expect(receiver.at(d.url)).toHaveLength(4);

      // The endpoint recovers: the second probe succeeds and the backlog flows again.
      receiver.failAll(d.url, null);
      await waitFor(() => receiver.at(d.url).length >= 5, 5000, 10);
      expect(receiver.at(d.url)[4].receivedAt - probe).toBeGreaterThanOrEqual(1950);
      await waitFor(async () => (await outboxCount(t, d.tenant.appId, 'succeeded')) === 4, 10_000);
      const hooks = receiver.at(d.url);
      expect(hooks.map((h) => h.status)).toEqual([503, 503, 503, 503, 200, 200, 200, 200]);
      const delivered = hooks.filter((h) => h.status === 200).map((h) => h.headers['webhook-id']);
      expect(new Set(delivered).size).toBe(4);
      // Parked deliveries were not attempted: every attempt recorded is one the receiver saw.
      const [{ total }] = await t.app
        .get(DataSource)
        .query('SELECT SUM(attempts) AS total FROM webhook_deliveries WHERE app_id = ?', [
          d.tenant.appId,
        ]);
      expect(Number(total)).toBe(8);
      const [closed] = await t.app
        .get(DataSource)
        .query(
          'SELECT consecutive_failures, trips, parked_until FROM webhook_endpoints WHERE app_id = ?',
          [d.tenant.appId],
        );
      expect(closed).toMatchObject({ parked_until: null });
      expect(Number(closed.consecutive_failures)).toBe(0);
      expect(Number(closed.trips)).toBe(0);
    }, 60_000);
  });

  describe('circuit breaker shared by two instances', () => {
    it('keeps a parked endpoint parked on every instance and lets exactly one of them probe', async () => {
      const env = {
        ...BASE,
        WEBHOOK_MAX_IN_FLIGHT_PER_APP: '1',
        WEBHOOK_RETRY_SCHEDULE: Array(20).fill('100ms').join(','),
        WEBHOOK_BREAKER_FAILURES: '3',
        WEBHOOK_BREAKER_COOLDOWN: '2s',
        WEBHOOK_BREAKER_MAX_COOLDOWN: '8s',
      };
      const first = await startApp(env, databaseUrl);
      const second = await startApp(env, databaseUrl);
      try {
        const e = await tenantWithReceiver(first, receiver);
        receiver.failAll(e.url, 503);
        await queueExpiries(first, e.tenant, 6);
        const parkedUntil = async (): Promise<number | null> => {
          const rows: { parked_until: string | number | null }[] = await first.app
            .get(DataSource)
            .query('SELECT parked_until FROM webhook_endpoints WHERE app_id = ?', [e.tenant.appId]);
          return rows[0]?.parked_until == null ? null : Number(rows[0].parked_until);
        };
        await waitFor(async () => (await parkedUntil()) !== null, 10_000, 20);
        await sleep(100);
        // 3 failures trip it; the other instance may have had one more attempt out by then.
        const atPark = receiver.at(e.url).length;
        expect(atPark).toBeGreaterThanOrEqual(3);
        expect(atPark).toBeLessThanOrEqual(5);
        await sleep(1200);
        expect(receiver.at(e.url)).toHaveLength(atPark);

        // Cool-down over: one probe from one of the two, then 4 s parked again.
        await waitFor(() => receiver.at(e.url).length > atPark, 5000, 10);
        await sleep(1500);
        expect(receiver.at(e.url)).toHaveLength(atPark + 1);

        receiver.failAll(e.url, null);
        await waitFor(
          async () => (await outboxCount(first, e.tenant.appId, 'succeeded')) === 6,
          15_000,
        );
        const hooks = receiver.at(e.url);
        expect(hooks.slice(0, atPark + 1).every((h) => h.status === 503)).toBe(true);
        expect(hooks.slice(atPark + 1).map((h) => h.status)).toEqual(Array(6).fill(200));
        expect(new Set(hooks.slice(atPark + 1).map((h) => h.headers['webhook-id'])).size).toBe(6);
      } finally {
        await first.close();
        await second.close();
      }
    }, 60_000);
  });
});
