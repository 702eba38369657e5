import { DataSource } from 'typeorm';
import { AuditRetentionService } from '../src/audit/audit-retention.service';
import {
  ADMIN_KEY,
  createTenant,
  sandboxCodeFor,
  startApp,
  TestApp,
  TestTenant,
  uniquePhone,
} from './support/harness';
import { waitFor } from './support/wait';
import { WebhookReceiver } from './support/webhook-receiver';

const admin = { Authorization: `Bearer ${ADMIN_KEY}` };

interface AuditEventBody {
  id: string;
  type: string;
  appId: string | null;
  verificationId: string | null;
  actor: { type: string; id: string | null };
  ip: string | null;
  data: Record<string, unknown> | null;
  createdAt: string;
}

describe('Audit trail', () => {
  let t: TestApp;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    await receiver.start();
    t = await startApp({ AUDIT_RETENTION_DAYS: '30' });
  });
  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });

  async function trail(
    tenant: TestTenant,
    query: Record<string, string | number>,
  ): Promise<AuditEventBody[]> {
    const res = await t.http.get('/v1/audit-events').query(query).set(tenant.auth).expect(200);
    return res.body.data as AuditEventBody[];
  }

  it('tells the story of an outbound verification in order, without codes, full phones or keys', async () => {
    const url = receiver.expect([]);
    const tenant = await createTenant(t, { webhookUrl: url });
    receiver.setSecrets(url, [tenant.webhookSecret]);
    const phone = uniquePhone();
    const created = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone, metadata: { userId: '7' } })
      .expect(201);
    const id = created.body.id as string;
    const code = await sandboxCodeFor(t, tenant, phone);
    const wrong = code === '000000' ? '111111' : '000000';
    await t.http
      .post(`/v1/verifications/${id}/check`)
      .set(tenant.auth)
      .send({ code: wrong })
      .expect(200);
    await t.http.post(`/v1/verifications/${id}/check`).set(tenant.auth).send({ code }).expect(200);

    const events = await waitFor(async () => {
      const found = await trail(tenant, { verificationId: id });
      return found.some((event) => event.type === 'webhook.delivered') ? found : undefined;
    }, 5000);
    expect(events.map((event) => event.type)).toEqual([
      'verification.created',
      'message.sent',
      'check.failed',
      'check.succeeded',
      'webhook.delivered',
    ]);
    expect(events.map((event) => event.id)).toEqual(events.map((event) => event.id).sort());
    for (const event of events) {
      expect(event).toMatchObject({ appId: tenant.appId, verificationId: id });
      expect(Number.isNaN(Date.parse(event.createdAt))).toBe(false);
    }
    expect(events[0].actor).toEqual({ type: 'api_key', id: expect.any(String) });
    expect(events[0].ip).toBe('127.0.0.1');
    expect(events[0].data).toMatchObject({
      flow: 'outbound',
      channel: 'whatsapp',
      phone: `${phone.slice(0, 6)}****${phone.slice(-4)}`,
    });
    expect(events[2].data).toEqual({ attempt: 1, requestId: expect.any(String) });
    expect(events[4].actor).toEqual({ type: 'system', id: null });
    expect(events[4].data).toMatchObject({
      event: 'verification.approved',
      attempts: 1,
      statusCode: 200,
    });

    const json = JSON.stringify(await trail(tenant, { limit: 200 }));
    expect(json).not.toContain(code);
    expect(json).not.toContain(phone.slice(1));
    expect(json).not.toContain(tenant.apiKey);
    expect(json).not.toContain(tenant.apiKey.slice(12));
    expect(json).not.toContain(tenant.webhookSecret.slice(6));
    expect(json).not.toMatch(/codeHash|code_hash|token_hash|tokenHash/);
  });

  it('keeps apps apart; the admin sees every app and may narrow to one', async () => {
    const a = await createTenant(t);
    const b = await createTenant(t);
    const phone = uniquePhone();
    const created = await t.http.post('/v1/verifications').set(a.auth).send({ phone }).expect(201);

    expect(await trail(b, { verificationId: created.body.id })).toEqual([]);
    expect((await trail(b, { limit: 200 })).every((event) => event.appId === b.appId)).toBe(true);
    const forbidden = await t.http
      .get('/v1/audit-events')
      .query({ appId: a.appId })
      .set(b.auth)
      .expect(403);
    expect(forbidden.body.code).toBe('forbidden');
    expect(
      (await trail(a, { appId: a.appId, verificationId: created.body.id })).map((e) => e.type),
    ).toEqual(['verification.created', 'message.sent']);

    const onlyA = await t.http
      .get('/v1/audit-events')
      .query({ appId: a.appId })
      .set(admin)
      .expect(200);
    expect(onlyA.body.data.map((e: AuditEventBody) => e.type)).toEqual([
      'app.created',
      'api_key.created',
      'verification.created',
      'message.sent',
    ]);
    expect(onlyA.body.data[0].actor).toEqual({ type: 'admin', id: null });
    const all = await t.http
      .get('/v1/audit-events')
      .query({ type: 'app.created', limit: 200 })
      .set(admin)
      .expect(200);
    const apps = new Set(all.body.data.map((e: AuditEventBody) => e.appId));
    expect(apps.has(a.appId) && apps.has(b.appId)).toBe(true);

    await t.http.get('/v1/audit-events').expect(401);
    await t.http.get('/v1/audit-events').set({ Authorization: 'Bearer wav_nope' }).expect(401);
  });

  it('pages oldest first by id and filters by type and time', async () => {
    const tenant = await createTenant(t);
    for (let i = 0; i < 3; i++)
      await t.http
        .post('/v1/verifications')
        .set(tenant.auth)
        .send({ phone: uniquePhone() })
        .expect(201);
    const all = await trail(tenant, { limit: 200 });
    expect(all).toHaveLength(2 + 3 * 2);

    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const res: { body: { data: AuditEventBody[]; nextCursor: string | null } } = await t.http
        .get('/v1/audit-events')
        .query({ limit: 3, ...(cursor ? { cursor } : {}) })
        .set(tenant.auth)
        .expect(200);
      seen.push(...res.body.data.map((event) => event.id));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(all.map((event) => event.id));

    expect((await trail(tenant, { type: 'message.sent' })).map((event) => event.type)).toEqual([
      'message.sent',
      'message.sent',
      'message.sent',
    ]);
    const hourAgo = new Date(Date.now() - 3600_000).toISOString();
    const inAnHour = new Date(Date.now() + 3600_000).toISOString();
    expect(await trail(tenant, { from: inAnHour })).toEqual([]);
    expect(await trail(tenant, { to: hourAgo })).toEqual([]);
    expect(await trail(tenant, { from: hourAgo, to: inAnHour, limit: 200 })).toHaveLength(
      all.length,
    );
    const middle = all[4].createdAt;
    const since = await trail(tenant, { from: middle, limit: 200 });
    expect(since.every((event) => event.createdAt >= middle)).toBe(true);
    expect(since.map((event) => event.id)).toContain(all[4].id);

    await t.http.get('/v1/audit-events').query({ from: 'yesterday' }).set(tenant.auth).expect(400);
    await t.http.get('/v1/audit-events').query({ limit: 0 }).set(tenant.auth).expect(400);
    await t.http
      .get('/v1/audit-events')
      .query({ cursor: "1' OR '1'='1" })
      .set(tenant.auth)
      .expect(400);
  });

  it('offers no way to change or delete events through the API', async () => {
    const tenant = await createTenant(t);
    const [event] = await trail(tenant, { limit: 1 });
    await t.http.delete('/v1/audit-events').set(admin).expect(404);
    await t.http.delete(`/v1/audit-events/${event.id}`).set(admin).expect(404);
    await t.http.patch(`/v1/audit-events/${event.id}`).set(admin).send({ type: 'x' }).expect(404);
    expect((await trail(tenant, { limit: 1 }))[0]).toEqual(event);
  });

  it('purges events older than the retention period in batches and keeps the rest', async () => {
    const tenant = await createTenant(t);
    const dataSource = t.app.get(DataSource);
    const recent = await trail(tenant, { limit: 200 });
    expect(recent.map((event) => event.type)).toEqual(['app.created', 'api_key.created']);
    const old = Date.now() - 31 * 24 * 3600_000;
    const rows = Array.from({ length: 2100 }, (_, i) => [
      `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`,
      'verification.created',
      tenant.appId,
      'system',
      old,
    ]);
    for (let i = 0; i < rows.length; i += 300) {
      const chunk = rows.slice(i, i + 300);
      await dataSource.query(
        `INSERT INTO audit_events (id, type, app_id, actor_type, created_at) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?)').join(', ')}`,
        chunk.flat(),
      );
    }
    expect(await trail(tenant, { limit: 200 })).toHaveLength(200);

    const purged = await t.app.get(AuditRetentionService).purge();
    expect(purged).toBeGreaterThanOrEqual(2100);
    const [{ remaining }] = await dataSource.query(
      'SELECT COUNT(*) AS remaining FROM audit_events WHERE created_at < ?',
      [Date.now() - 30 * 24 * 3600_000],
    );
    expect(Number(remaining)).toBe(0);
    expect(await trail(tenant, { limit: 200 })).toEqual(recent);
  });
});
