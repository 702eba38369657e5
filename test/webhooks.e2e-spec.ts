import { DataSource } from 'typeorm';
import { WebhookDeliveryRepository } from '../src/webhooks/webhook-delivery.repository';
import {
  ADMIN_KEY,
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

const RETRIES = { WEBHOOK_RETRY_SCHEDULE: '200ms,200ms,200ms', WEBHOOK_TIMEOUT: '2s' };
const admin = { Authorization: `Bearer ${ADMIN_KEY}` };

/** Creates an outbound verification and approves it with the sandbox code: queues `verification.approved`. */
async function approve(
  t: TestApp,
  tenant: TestTenant,
  metadata: Record<string, unknown> = {},
): Promise<string> {
  const phone = uniquePhone();
  const created = await t.http
    .post('/v1/verifications')
    .set(tenant.auth)
    .send({ phone, metadata })
    .expect(201);
  const code = await sandboxCodeFor(t, tenant, phone);
  await t.http
    .post(`/v1/verifications/${created.body.id}/check`)
    .set(tenant.auth)
    .send({ code })
    .expect(200);
  return created.body.id as string;
}

async function tenantWithReceiver(
  t: TestApp,
  receiver: WebhookReceiver,
): Promise<{ tenant: TestTenant; url: string }> {
  const url = receiver.expect([]);
  const tenant = await createTenant(t, { webhookUrl: url });
  receiver.setSecrets(url, [tenant.webhookSecret]);
  return { tenant, url };
}

describe('Client webhooks', () => {
  const databaseUrl = e2eDatabaseUrl();
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    await receiver.start();
  });
  afterAll(async () => receiver.stop());

  describe('on one instance', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startApp(RETRIES, databaseUrl);
    });
    afterAll(async () => t.close());

    it('delivers verification.approved within seconds, signed, with the verification and its metadata', async () => {
      const { tenant, url } = await tenantWithReceiver(t, receiver);
      const id = await approve(t, tenant, { userId: '42', plan: 'pro' });
      const hook = await waitFor(() => receiver.at(url).find((h) => h.status === 200), 5000);
      expect(hook.verifiedWith).toEqual([0]);
      expect(hook.headers['content-type']).toBe('application/json');
      expect(hook.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
      expect(Math.abs(Number(hook.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(
        10,
      );
      expect(hook.body).toMatchObject({
        type: 'verification.approved',
        data: {
          id,
          appId: tenant.appId,
          status: 'approved',
          metadata: { userId: '42', plan: 'pro' },
        },
      });
      expect(new Date(hook.body!.timestamp).toISOString()).toBe(hook.body!.timestamp);
      expect(hook.rawBody).not.toMatch(/codeHash|code_hash|tokenHash/);

      const deliveryId = String(hook.headers['webhook-id']);
      const detail = await waitFor(async () => {
        const res = await t.http
          .get(`/v1/webhook-deliveries/${deliveryId}`)
          .set(tenant.auth)
          .expect(200);
        return res.body.status === 'succeeded' ? res.body : undefined;
      });
      expect(detail).toMatchObject({
        id: deliveryId,
        type: 'verification.approved',
        verificationId: id,
        attempts: 1,
        nextAttemptAt: null,
        lastStatusCode: 200,
        lastError: null,
      });
      expect(detail.deliveredAt).not.toBeNull();
      expect(detail.payload).toEqual(JSON.parse(hook.rawBody));
      expect(detail.attemptsLog).toEqual([
        {
          attempt: 1,
          statusCode: 200,
          latencyMs: expect.any(Number),
          error: null,
          createdAt: expect.any(String),
        },
      ]);
    });

    it('retries a failing receiver with backoff under the same webhook-id and records every attempt', async () => {
      const { tenant, url } = await tenantWithReceiver(t, receiver);
      receiver.failNext(url, 2, 503);
      await approve(t, tenant);
      await waitFor(() => receiver.at(url).some((h) => h.status === 200), 8000);
      const hooks = receiver.at(url);
      expect(hooks.map((h) => h.status)).toEqual([503, 503, 200]);
      expect(new Set(hooks.map((h) => h.headers['webhook-id'])).size).toBe(1);
      expect(
        hooks.every((h) => h.verifiedWith.length === 1 && h.rawBody === hooks[0].rawBody),
      ).toBe(true);

      const deliveryId = String(hooks[0].headers['webhook-id']);
      const detail = await waitFor(async () => {
        const res = await t.http
          .get(`/v1/webhook-deliveries/${deliveryId}`)
          .set(tenant.auth)
          .expect(200);
        return res.body.status === 'succeeded' ? res.body : undefined;
      });
      expect(detail.attempts).toBe(3);
      expect(
        detail.attemptsLog.map(
          (a: { attempt: number; statusCode: number; error: string | null }) => [
            a.attempt,
            a.statusCode,
            a.error,
          ],
        ),
      ).toEqual([
        [1, 503, 'HTTP 503'],
        [2, 503, 'HTTP 503'],
        [3, 200, null],
      ]);
    });

    it('marks a delivery failed after the last scheduled delay, and a manual retry delivers it under the same id', async () => {
      const { tenant, url } = await tenantWithReceiver(t, receiver);
      receiver.failAll(url, 500);
      const verificationId = await approve(t, tenant);
      const failed = await waitFor(async () => {
        const res = await t.http
          .get('/v1/webhook-deliveries')
          .query({ status: 'failed' })
          .set(tenant.auth)
          .expect(200);
        return res.body.data[0];
      }, 8000);
      expect(failed).toMatchObject({
        status: 'failed',
        attempts: 4,
        lastStatusCode: 500,
        lastError: 'HTTP 500',
        nextAttemptAt: null,
        deliveredAt: null,
        verificationId,
      });
      expect(receiver.at(url)).toHaveLength(4);

      receiver.failAll(url, null);
      const retried = await t.http
        .post(`/v1/webhook-deliveries/${failed.id}/retry`)
        .set(tenant.auth)
        .expect(200);
      expect(retried.body).toMatchObject({ id: failed.id, status: 'pending' });
      const delivered = await waitFor(async () => {
        const res = await t.http
          .get(`/v1/webhook-deliveries/${failed.id}`)
          .set(tenant.auth)
          .expect(200);
        return res.body.status === 'succeeded' ? res.body : undefined;
      });
      expect(delivered.attempts).toBe(5);
      expect(receiver.at(url).map((h) => h.headers['webhook-id'])).toEqual(
        Array(5).fill(failed.id),
      );

      const again = await t.http
        .post(`/v1/webhook-deliveries/${failed.id}/retry`)
        .set(tenant.auth)
        .expect(400);
      expect(again.body.code).toBe('validation_failed');

      const audit = await t.http
        .get('/v1/audit-events')
        .query({ verificationId })
        .set(tenant.auth)
        .expect(200);
      const types = audit.body.data.map((e: { type: string }) => e.type);
      expect(types.filter((type: string) => type.startsWith('webhook.'))).toEqual([
        'webhook.failed',
        'webhook.retry_requested',
        'webhook.delivered',
      ]);
      const retryEvent = audit.body.data.find(
        (e: { type: string }) => e.type === 'webhook.retry_requested',
      );
      expect(retryEvent.actor.type).toBe('api_key');
      expect(retryEvent.data).toMatchObject({ deliveryId: failed.id, previousStatus: 'failed' });
    });

    it('lists deliveries newest first with keyset pagination and keeps them per app', async () => {
      const a = await tenantWithReceiver(t, receiver);
      const b = await tenantWithReceiver(t, receiver);
      await approve(t, a.tenant);
      await approve(t, a.tenant);
      await approve(t, a.tenant);
      await waitFor(() => receiver.at(a.url).filter((h) => h.status === 200).length === 3);
      const first = await t.http
        .get('/v1/webhook-deliveries')
        .query({ limit: 2 })
        .set(a.tenant.auth)
        .expect(200);
      expect(first.body.data).toHaveLength(2);
      expect(first.body.nextCursor).toBe(first.body.data[1].id);
      expect(first.body.data[0].attemptsLog).toBeUndefined();
      const second = await t.http
        .get('/v1/webhook-deliveries')
        .query({ limit: 2, cursor: first.body.nextCursor })
        .set(a.tenant.auth)
        .expect(200);
      expect(second.body.data).toHaveLength(1);
      expect(second.body.nextCursor).toBeNull();
      const ids = [...first.body.data, ...second.body.data].map((d: { id: string }) => d.id);
      expect([...ids].sort().reverse()).toEqual(ids);

      const other = await t.http.get('/v1/webhook-deliveries').set(b.tenant.auth).expect(200);
      expect(other.body.data).toEqual([]);
      await t.http.get(`/v1/webhook-deliveries/${ids[0]}`).set(b.tenant.auth).expect(404);
      const foreignRetry = await t.http
        .post(`/v1/webhook-deliveries/${ids[0]}/retry`)
        .set(b.tenant.auth)
        .expect(404);
      expect(foreignRetry.body.code).toBe('not_found');
      await t.http.get('/v1/webhook-deliveries').set(admin).expect(401);
      await t.http
        .get('/v1/webhook-deliveries')
        .query({ status: 'nope' })
        .set(a.tenant.auth)
        .expect(400);
      await t.http
        .get('/v1/webhook-deliveries')
        .query({ cursor: "x' OR 1=1" })
        .set(a.tenant.auth)
        .expect(400);
    });

    it('signs with the previous secret too for 24 h after a rotation', async () => {
      const { tenant, url } = await tenantWithReceiver(t, receiver);
      await t.http
        .post(`/v1/apps/${tenant.appId}/webhook-secret/rotate`)
        .set(tenant.auth)
        .expect(401);
      await t.http
        .post('/v1/apps/00000000-0000-0000-0000-000000000000/webhook-secret/rotate')
        .set(admin)
        .expect(404);
      const rotated = await t.http
        .post(`/v1/apps/${tenant.appId}/webhook-secret/rotate`)
        .set(admin)
        .expect(201);
      expect(rotated.body.webhookSecret).toMatch(/^whsec_/);
      expect(rotated.body.webhookSecret).not.toBe(tenant.webhookSecret);
      const expires = Date.parse(rotated.body.previousSecretExpiresAt) - Date.now();
      expect(expires).toBeGreaterThan(23.9 * 3600_000);
      expect(expires).toBeLessThanOrEqual(24 * 3600_000);

      receiver.setSecrets(url, [rotated.body.webhookSecret, tenant.webhookSecret]);
      await approve(t, tenant);
      const hook = await waitFor(() => receiver.at(url).find((h) => h.status === 200));
      expect(hook.verifiedWith).toEqual([0, 1]);
      expect(String(hook.headers['webhook-signature'])).toMatch(/^v1,\S+ v1,\S+$/);

      const read = await t.http.get(`/v1/apps/${tenant.appId}`).set(admin).expect(200);
      expect(JSON.stringify(read.body)).not.toContain(rotated.body.webhookSecret);
      const audit = await t.http
        .get('/v1/audit-events')
        .query({ appId: tenant.appId, type: 'webhook_secret.rotated' })
        .set(admin)
        .expect(200);
      expect(audit.body.data).toHaveLength(1);
      expect(audit.body.data[0].actor.type).toBe('admin');
      const trail = JSON.stringify(
        (
          await t.http
            .get('/v1/audit-events')
            .query({ appId: tenant.appId, limit: 200 })
            .set(admin)
            .expect(200)
        ).body,
      );
      expect(trail).not.toContain(rotated.body.webhookSecret.slice(6));
      expect(trail).not.toContain(tenant.webhookSecret.slice(6));
    });

    it('documents the new routes in the OpenAPI document', async () => {
      const doc = (await t.http.get('/docs-json').expect(200)).body as {
        paths: Record<string, Record<string, unknown>>;
        components: { schemas: Record<string, unknown> };
      };
      expect(Object.keys(doc.paths['/v1/webhook-deliveries'])).toContain('get');
      expect(Object.keys(doc.paths['/v1/webhook-deliveries/{id}'])).toContain('get');
      expect(Object.keys(doc.paths['/v1/webhook-deliveries/{id}/retry'])).toContain('post');
      expect(Object.keys(doc.paths['/v1/apps/{id}/webhook-secret/rotate'])).toContain('post');
      expect(Object.keys(doc.paths['/v1/audit-events'])).toContain('get');
      for (const schema of [
        'WebhookDeliveryDetailDto',
        'WebhookDeliveryPageDto',
        'AuditEventPageDto',
        'WebhookSecretRotatedDto',
      ])
        expect(doc.components.schemas[schema]).toBeDefined();
    });

    it('keeps the API fast while a receiver hangs', async () => {
      const { tenant, url } = await tenantWithReceiver(t, receiver);
      receiver.delayMs = 1500;
      try {
        for (let i = 0; i < 3; i++) await approve(t, tenant);
        const started = Date.now();
        await t.http.get('/v1/verifications').set(tenant.auth).expect(200);
        expect(Date.now() - started).toBeLessThan(1000);
        await waitFor(() => receiver.at(url).length === 3, 5000);
      } finally {
        receiver.delayMs = 0;
      }
    });
  });

  describe('across restarts and instances', () => {
    it('delivers after a restart what was still pending when the service stopped', async () => {
      const first = await startApp(RETRIES, databaseUrl);
      let tenant: TestTenant;
      let url: string;
      try {
        ({ tenant, url } = await tenantWithReceiver(first, receiver));
        receiver.failAll(url, 503);
        await approve(first, tenant);
        await waitFor(() => receiver.at(url).length >= 1);
      } finally {
        await first.close();
      }
      const seen = receiver.at(url).length;
      const deliveryId = String(receiver.at(url)[0].headers['webhook-id']);
      receiver.failAll(url, null);
      await sleep(400);
      expect(receiver.at(url)).toHaveLength(seen);

      const second = await startApp(RETRIES, databaseUrl);
      try {
        const hook = await waitFor(() => receiver.at(url).find((h) => h.status === 200), 5000);
        expect(hook.headers['webhook-id']).toBe(deliveryId);
        const detail = await waitFor(async () => {
          const res = await second.http
            .get(`/v1/webhook-deliveries/${deliveryId}`)
            .set(tenant.auth)
            .expect(200);
          return res.body.status === 'succeeded' ? res.body : undefined;
        });
        // seen + 1, or seen when the close aborted a request in flight (its lease is handed back uncounted).
        expect(detail.attempts).toBeGreaterThanOrEqual(seen);
        expect(detail.attempts).toBeLessThanOrEqual(seen + 1);
      } finally {
        await second.close();
      }
    });

    it('takes over a delivery leased by an instance that died (kill -9) once the lease expires', async () => {
      const t = await startApp(RETRIES, databaseUrl);
      try {
        const { tenant, url } = await tenantWithReceiver(t, receiver);
        receiver.failAll(url, 503);
        await approve(t, tenant);
        const deliveryId = String((await waitFor(() => receiver.at(url)[0])).headers['webhook-id']);
        const leasedUntil = Date.now() + 1500;
        // What a killed instance leaves behind: the row leased by it, mid-delivery.
        await t.app
          .get(DataSource)
          .query(
            "UPDATE webhook_deliveries SET locked_until = ?, locked_by = 'dead-instance', next_attempt_at = ? WHERE id = ?",
            [leasedUntil, Date.now(), deliveryId],
          );
        receiver.failAll(url, null);
        const hook = await waitFor(() => receiver.at(url).find((h) => h.status === 200), 6000);
        expect(receiver.at(url).indexOf(hook)).toBeGreaterThan(0);
        expect(Date.now()).toBeGreaterThanOrEqual(leasedUntil);
        expect(hook.headers['webhook-id']).toBe(deliveryId);
      } finally {
        await t.close();
      }
    });

    it('two instances racing for the same due rows lease each row to exactly one of them', async () => {
      const a = await startApp(RETRIES, databaseUrl);
      const b = await startApp(RETRIES, databaseUrl);
      try {
        const tenant = await createTenant(a);
        // Due only at a "now" far ahead, so the live dispatchers leave these rows to the race below.
        const now = Date.now() + 10 * 24 * 3600_000;
        const tag = Date.now().toString(16).padStart(16, '0');
        const ids = Array.from(
          { length: 40 },
          (_, i) => `msg_${tag}${String(i).padStart(16, '0')}`,
        );
        await a.app.get(DataSource).query(
          `INSERT INTO webhook_deliveries (id, app_id, verification_id, type, payload, status, attempts, next_attempt_at, created_at, updated_at)
           VALUES ${ids.map(() => "(?, ?, NULL, 'verification.approved', '{}', 'pending', 0, ?, ?, ?)").join(', ')}`,
          ids.flatMap((id, i) => [id, tenant.appId, now - 1000, now - 1000 + i, now - 1000]),
        );
        const leasedBy = new Map<string, string[]>();
        for (let round = 0; round < 20; round++) {
          const results = await Promise.all(
            [a, b].map((instance, n) =>
              instance.app
                .get(WebhookDeliveryRepository)
                .leaseDue(
                  now,
                  new Map([[tenant.appId, 8]]),
                  now + 60_000,
                  () => `race-${n}-${round}-${Math.random().toString(16).slice(2, 10)}`,
                ),
            ),
          );
          for (const [n, leased] of results.entries()) {
            for (const { delivery } of leased) {
              if (!ids.includes(delivery.id)) continue;
              leasedBy.set(delivery.id, [...(leasedBy.get(delivery.id) ?? []), `instance ${n}`]);
            }
          }
          if (leasedBy.size === ids.length) break;
        }
        expect([...leasedBy.keys()].sort()).toEqual(ids);
        expect([...leasedBy.entries()].filter(([, holders]) => holders.length > 1)).toEqual([]);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('two instances on one database deliver each event once', async () => {
      const a = await startApp(RETRIES, databaseUrl);
      const b = await startApp(RETRIES, databaseUrl);
      try {
        const { tenant, url } = await tenantWithReceiver(a, receiver);
        receiver.delayMs = 300;
        const ids: string[] = [];
        for (let i = 0; i < 12; i++) ids.push(await approve(i % 2 === 0 ? a : b, tenant));
        await waitFor(
          () => new Set(receiver.at(url).map((h) => h.body?.data.id)).size === ids.length,
          15_000,
        );
        await sleep(1000);
        const hooks = receiver.at(url);
        expect(hooks.every((h) => h.status === 200)).toBe(true);
        const perVerification = new Map<string, number>();
        for (const hook of hooks)
          perVerification.set(
            hook.body!.data.id,
            (perVerification.get(hook.body!.data.id) ?? 0) + 1,
          );
        expect([...perVerification.keys()].sort()).toEqual([...ids].sort());
        expect([...perVerification.values()].every((count) => count === 1)).toBe(true);
        expect(new Set(hooks.map((h) => h.headers['webhook-id'])).size).toBe(ids.length);
      } finally {
        receiver.delayMs = 0;
        await a.close();
        await b.close();
      }
    });
  });
});
