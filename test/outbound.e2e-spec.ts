import { DataSource } from 'typeorm';
import { App } from '../src/apps/entities/app.entity';
import { Actor } from '../src/auth/auth.types';
import { VerificationService } from '../src/verification/verification.service';
import { IdempotencyService } from '../src/verification/idempotency.service';
import {
  createTenant,
  sandboxCodeFor,
  startApp,
  TestApp,
  TestTenant,
  uniquePhone,
} from './support/harness';
import { ageVerification } from './support/time-travel';
import { ConversionFolder } from '../src/analytics/conversion-folder.service';

describe('Outbound verification flow (sandbox provider)', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startApp();
    tenant = await createTenant(t);
  });
  afterAll(async () => t.close());

  async function start(
    body: Record<string, unknown> = {},
  ): Promise<{ id: string; phone: string; body: Record<string, unknown> }> {
    const phone = (body.phone as string) ?? uniquePhone();
    const res = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone, ...body })
      .expect(201);
    return { id: res.body.id, phone, body: res.body };
  }

  it('creates, sends a code through the sandbox, and approves the right code once', async () => {
    const { id, phone, body } = await start({ metadata: { userId: '42' } });
    expect(body).toMatchObject({
      id,
      appId: tenant.appId,
      flow: 'outbound',
      phone,
      channel: 'whatsapp',
      status: 'pending',
      attemptsRemaining: 5,
      sendsRemaining: 4,
      approvedAt: null,
      metadata: { userId: '42' },
      waUserId: null,
      delivery: { channel: 'whatsapp', status: 'accepted' },
    });
    expect(body.waLink).toBeUndefined();
    expect(JSON.stringify(body)).not.toMatch(/codeHash|code_hash|tokenHash/);

    const code = await sandboxCodeFor(t, tenant, phone);
    expect(code).toHaveLength(6);
    const wrong = code === '000000' ? '111111' : '000000';
    const miss = await t.http
      .post(`/v1/verifications/${id}/check`)
      .set(tenant.auth)
      .send({ code: wrong })
      .expect(200);
    expect(miss.body).toEqual({ id, status: 'pending', valid: false, attemptsRemaining: 4 });

    const hit = await t.http
      .post(`/v1/verifications/${id}/check`)
      .set(tenant.auth)
      .send({ code })
      .expect(200);
    expect(hit.body).toEqual({ id, status: 'approved', valid: true });

    const again = await t.http
      .post(`/v1/verifications/${id}/check`)
      .set(tenant.auth)
      .send({ code })
      .expect(409);
    expect(again.body).toMatchObject({
      statusCode: 409,
      code: 'verification_not_pending',
      status: 'approved',
    });

    const read = await t.http.get(`/v1/verifications/${id}`).set(tenant.auth).expect(200);
    expect(read.body.status).toBe('approved');
    expect(read.body.approvedAt).not.toBeNull();
  });

  it('locks the verification after the fifth wrong code', async () => {
    const { id, phone } = await start({ codeLength: 4 });
    const code = await sandboxCodeFor(t, tenant, phone);
    expect(code).toHaveLength(4);
    const wrong = code === '0000' ? '1111' : '0000';
    for (let i = 1; i <= 4; i++) {
      const res = await t.http
        .post(`/v1/verifications/${id}/check`)
        .set(tenant.auth)
        .send({ code: wrong })
        .expect(200);
      expect(res.body).toMatchObject({ status: 'pending', valid: false, attemptsRemaining: 5 - i });
    }
    const fifth = await t.http
      .post(`/v1/verifications/${id}/check`)
      .set(tenant.auth)
      .send({ code: wrong })
      .expect(200);
    expect(fifth.body).toEqual({
      id,
      status: 'max_attempts_reached',
      valid: false,
      attemptsRemaining: 0,
    });
    const right = await t.http
      .post(`/v1/verifications/${id}/check`)
      .set(tenant.auth)
      .send({ code })
      .expect(409);
    expect(right.body.status).toBe('max_attempts_reached');
  });

  it('approves exactly once when 20 requests race with the right code', async () => {
    const { id, phone } = await start();
    const code = await sandboxCodeFor(t, tenant, phone);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.http.post(`/v1/verifications/${id}/check`).set(tenant.auth).send({ code }),
      ),
    );
    const approvals = results.filter((res) => res.status === 200 && res.body.valid === true);
    expect(approvals).toHaveLength(1);
    for (const res of results.filter((r) => r !== approvals[0])) {
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('verification_not_pending');
    }
    const audit = await t.http
      .get('/v1/audit-events')
      .query({ verificationId: id, type: 'check.succeeded' })
      .set(tenant.auth);
    if (audit.status === 200) expect(audit.body.data).toHaveLength(1);
  });

  it('writes one approved webhook, one approved count and one check.succeeded when right codes race', async () => {
    const hooked = await createTenant(t, { webhookUrl: 'http://127.0.0.1:9/hooks' });
    const phone = uniquePhone();
    const { body } = await t.http
      .post('/v1/verifications')
      .set(hooked.auth)
      .send({ phone })
      .expect(201);
    const code = await sandboxCodeFor(t, hooked, phone);
    // Through the service itself, so the checks truly overlap (HTTP requests from one client
    // arrive too far apart to race): every check reads `pending`, one approves, the rest lose.
    const db = t.app.get(DataSource);
    const app = await db.getRepository(App).findOneByOrFail({ id: hooked.appId });
    const actor: Actor = { type: 'api_key', id: null, ip: '127.0.0.1' };
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () =>
        t.app.get(VerificationService).check(app, body.id as string, code, actor),
      ),
    );
    const approvals = results.filter(
      (result) => result.status === 'fulfilled' && result.value.valid,
    );
    expect(approvals).toHaveLength(1);
    for (const result of results.filter((r) => r !== approvals[0])) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toMatchObject({
        code: 'verification_not_pending',
      });
    }
    const hooks: { type: string }[] = await db.query(
      'SELECT type FROM webhook_deliveries WHERE verification_id = ?',
      [body.id],
    );
    expect(hooks.map((hook) => hook.type)).toEqual(['verification.approved']);
    // The counters as a report sees them: every mark committed so far folded in.
    await t.app.get(ConversionFolder).foldCommitted();
    const [counts]: { approved: number | string; created: number | string }[] = await db.query(
      'SELECT SUM(approved_count) AS approved, SUM(created_count) AS created FROM conversion_counters WHERE app_id = ?',
      [hooked.appId],
    );
    expect([Number(counts.created), Number(counts.approved)]).toEqual([1, 1]);
    const audit = await t.http
      .get('/v1/audit-events')
      .query({ verificationId: body.id, type: 'check.succeeded' })
      .set(hooked.auth)
      .expect(200);
    expect(audit.body.data).toHaveLength(1);
    expect(audit.body.data[0].data).toMatchObject({ attempt: 1 });
  });

  it('counts wrong codes atomically when they race', async () => {
    const { id, phone } = await start();
    const code = await sandboxCodeFor(t, tenant, phone);
    const wrong = code === '000000' ? '111111' : '000000';
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        t.http.post(`/v1/verifications/${id}/check`).set(tenant.auth).send({ code: wrong }),
      ),
    );
    expect(results.filter((res) => res.status === 200)).toHaveLength(5);
    expect(results.filter((res) => res.status === 409)).toHaveLength(3);
    const read = await t.http.get(`/v1/verifications/${id}`).set(tenant.auth).expect(200);
    expect(read.body).toMatchObject({ status: 'max_attempts_reached', attemptsRemaining: 0 });
    // One audit event per counted attempt, whichever way it was counted, with attempts 1..5.
    const audit = await t.http
      .get('/v1/audit-events')
      .query({ verificationId: id, limit: 50 })
      .set(tenant.auth)
      .expect(200);
    const checks = (audit.body.data as { type: string; data: { attempt: number } }[]).filter(
      (event) => event.type.startsWith('check.'),
    );
    expect(checks.map((event) => event.type).sort()).toEqual([
      'check.failed',
      'check.failed',
      'check.failed',
      'check.failed',
      'check.max_attempts',
    ]);
    expect(checks.map((event) => event.data.attempt).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it("answers 404 to another app's key, right code or wrong, and counts nothing", async () => {
    const { id, phone } = await start();
    const code = await sandboxCodeFor(t, tenant, phone);
    const other = await createTenant(t);
    for (const typed of [code === '000000' ? '111111' : '000000', code]) {
      const res = await t.http
        .post(`/v1/verifications/${id}/check`)
        .set(other.auth)
        .send({ code: typed })
        .expect(404);
      expect(res.body.code).toBe('not_found');
    }
    const read = await t.http.get(`/v1/verifications/${id}`).set(tenant.auth).expect(200);
    expect(read.body).toMatchObject({ status: 'pending', attemptsRemaining: 5 });
    const audit = await t.http
      .get('/v1/audit-events')
      .query({ verificationId: id, limit: 50 })
      .set(tenant.auth)
      .expect(200);
    expect(
      (audit.body.data as { type: string }[]).filter((event) => event.type.startsWith('check.')),
    ).toEqual([]);
  });

  it('records each wrong code as check.failed with its attempt number and request id only', async () => {
    const { id, phone } = await start();
    const code = await sandboxCodeFor(t, tenant, phone);
    const wrong = code === '000000' ? '111111' : '000000';
    const requestIds: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await t.http
        .post(`/v1/verifications/${id}/check`)
        .set(tenant.auth)
        .send({ code: wrong })
        .expect(200);
      requestIds.push(res.headers['x-request-id'] as string);
    }
    const audit = await t.http
      .get('/v1/audit-events')
      .query({ verificationId: id, type: 'check.failed', limit: 50 })
      .set(tenant.auth)
      .expect(200);
    const data = (audit.body.data as { data: unknown }[]).map((event) => event.data);
    expect(data).toHaveLength(2);
    expect(data).toEqual(
      expect.arrayContaining([
        { attempt: 1, requestId: requestIds[0] },
        { attempt: 2, requestId: requestIds[1] },
      ]),
    );
  });

  it('expires at check time', async () => {
    const { id, phone } = await start({ ttlSeconds: 60 });
    const code = await sandboxCodeFor(t, tenant, phone);
    await ageVerification(t, id, 61_000);
    const res = await t.http
      .post(`/v1/verifications/${id}/check`)
      .set(tenant.auth)
      .send({ code })
      .expect(409);
    expect(res.body).toMatchObject({ code: 'verification_not_pending', status: 'expired' });
    const read = await t.http.get(`/v1/verifications/${id}`).set(tenant.auth).expect(200);
    expect(read.body.status).toBe('expired');
  });

  it('resends a new code after the cooldown; the old code stops working', async () => {
    const { id, phone } = await start();
    const first = await sandboxCodeFor(t, tenant, phone);

    const tooSoon = await t.http
      .post(`/v1/verifications/${id}/resend`)
      .set(tenant.auth)
      .send({})
      .expect(429);
    expect(tooSoon.body.code).toBe('resend_too_soon');
    expect(Number(tooSoon.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(tooSoon.headers['retry-after'])).toBeLessThanOrEqual(30);

    await ageVerification(t, id, 31_000);
    const resent = await t.http
      .post(`/v1/verifications/${id}/resend`)
      .set(tenant.auth)
      .send({})
      .expect(200);
    expect(resent.body).toMatchObject({ id, status: 'pending', sendsRemaining: 3 });
    const second = await sandboxCodeFor(t, tenant, phone);

    if (first !== second) {
      const old = await t.http
        .post(`/v1/verifications/${id}/check`)
        .set(tenant.auth)
        .send({ code: first })
        .expect(200);
      expect(old.body.valid).toBe(false);
    }
    const ok = await t.http
      .post(`/v1/verifications/${id}/check`)
      .set(tenant.auth)
      .send({ code: second })
      .expect(200);
    expect(ok.body.valid).toBe(true);
  });

  it('refuses a sixth send with max_sends_reached', async () => {
    const { id } = await start({ ttlSeconds: 3600 });
    for (let send = 2; send <= 5; send++) {
      await ageVerification(t, id, 31_000);
      await t.http.post(`/v1/verifications/${id}/resend`).set(tenant.auth).send({}).expect(200);
    }
    await ageVerification(t, id, 31_000);
    const res = await t.http
      .post(`/v1/verifications/${id}/resend`)
      .set(tenant.auth)
      .send({})
      .expect(429);
    expect(res.body.code).toBe('max_sends_reached');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('cancels a pending verification once', async () => {
    const { id } = await start();
    const res = await t.http.post(`/v1/verifications/${id}/cancel`).set(tenant.auth).expect(200);
    expect(res.body.status).toBe('canceled');
    const again = await t.http.post(`/v1/verifications/${id}/cancel`).set(tenant.auth).expect(409);
    expect(again.body).toMatchObject({ code: 'verification_not_pending', status: 'canceled' });
  });

  it('checks by phone against the latest pending verification', async () => {
    const phone = uniquePhone();
    await start({ phone });
    const code = await sandboxCodeFor(t, tenant, phone);
    const res = await t.http
      .post('/v1/verification-checks')
      .set(tenant.auth)
      .send({ phone, code })
      .expect(200);
    expect(res.body).toMatchObject({ status: 'approved', valid: true });
    const none = await t.http
      .post('/v1/verification-checks')
      .set(tenant.auth)
      .send({ phone, code })
      .expect(404);
    expect(none.body.code).toBe('not_found');
  });

  it('normalises common phone spellings and rejects invalid numbers', async () => {
    const res = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone: '0062 812-1234-0099' })
      .expect(201);
    expect(res.body.phone).toBe('+6281212340099');
    const bad = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone: '+123' })
      .expect(400);
    expect(bad.body).toMatchObject({ statusCode: 400, code: 'invalid_phone' });
  });

  it('rejects unknown fields, bad values and a missing phone with validation_failed details', async () => {
    const unknown = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone: uniquePhone(), foo: 1 })
      .expect(400);
    expect(unknown.body.code).toBe('validation_failed');
    expect(unknown.body.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'foo' })]),
    );
    const badLength = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone: uniquePhone(), codeLength: 3, ttlSeconds: 5000 })
      .expect(400);
    expect(badLength.body.details.map((d: { field: string }) => d.field)).toEqual(
      expect.arrayContaining(['codeLength', 'ttlSeconds']),
    );
    const missing = await t.http.post('/v1/verifications').set(tenant.auth).send({}).expect(400);
    expect(missing.body.code).toBe('validation_failed');
    const bigMeta = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone: uniquePhone(), metadata: { blob: 'x'.repeat(3000) } })
      .expect(400);
    expect(bigMeta.body.code).toBe('validation_failed');
    const malformed = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .set('Content-Type', 'application/json')
      .send('{"phone":')
      .expect(400);
    expect(malformed.body.code).toBe('validation_failed');
    expect(JSON.stringify(malformed.body)).not.toMatch(/at .*\.js/);
  });

  it('answers 413 payload_too_large for bodies over 100 KB', async () => {
    const res = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone: uniquePhone(), metadata: { blob: 'x'.repeat(120_000) } })
      .expect(413);
    expect(res.body).toMatchObject({ statusCode: 413, code: 'payload_too_large' });
  });

  it('returns the same verification for a repeated Idempotency-Key and sends one message', async () => {
    const phone = uniquePhone();
    const key = `idem-${phone}`;
    const [a, b] = await Promise.all([
      t.http.post('/v1/verifications').set(tenant.auth).set('Idempotency-Key', key).send({ phone }),
      t.http.post('/v1/verifications').set(tenant.auth).set('Idempotency-Key', key).send({ phone }),
    ]);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.id).toBe(a.body.id);
    const c = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .set('Idempotency-Key', key)
      .send({ phone })
      .expect(201);
    expect(c.body.id).toBe(a.body.id);
    const messages = await t.http
      .get('/v1/sandbox/messages')
      .query({ phone })
      .set(tenant.auth)
      .expect(200);
    expect(messages.body).toHaveLength(1);
    const conflict = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .set('Idempotency-Key', key)
      .send({ phone, codeLength: 8 })
      .expect(409);
    expect(conflict.body.code).toBe('idempotency_conflict');
  });

  it('forgets an Idempotency-Key after 24 h: reused, it starts a new verification; expired keys are purged', async () => {
    const phone = uniquePhone();
    const key = `expiring-${phone}`;
    const first = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .set('Idempotency-Key', key)
      .send({ phone })
      .expect(201);
    const db = t.app.get(DataSource);
    await db.query('UPDATE idempotency_keys SET expires_at = ? WHERE verification_id = ?', [
      Date.now() - 1,
      first.body.id,
    ]);
    const second = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .set('Idempotency-Key', key)
      .send({ phone })
      .expect(201);
    expect(second.body.id).not.toBe(first.body.id);

    await db.query('UPDATE idempotency_keys SET expires_at = ? WHERE verification_id = ?', [
      Date.now() - 1,
      second.body.id,
    ]);
    expect(await t.app.get(IdempotencyService).purgeExpired()).toBeGreaterThanOrEqual(1);
    const left = (await db.query(
      'SELECT COUNT(*) AS n FROM idempotency_keys WHERE verification_id = ?',
      [second.body.id],
    )) as { n: number | string }[];
    expect(Number(left[0].n)).toBe(0);
  });

  it('lists verifications newest first with a cursor, filtered by phone, status and flow', async () => {
    const phone = uniquePhone();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await start({ phone })).id);
    await t.http.post(`/v1/verifications/${ids[0]}/cancel`).set(tenant.auth).expect(200);
    const page1 = await t.http
      .get('/v1/verifications')
      .query({ phone, limit: 2 })
      .set(tenant.auth)
      .expect(200);
    expect(page1.body.data.map((v: { id: string }) => v.id)).toEqual([ids[2], ids[1]]);
    expect(page1.body.nextCursor).toBe(ids[1]);
    const page2 = await t.http
      .get('/v1/verifications')
      .query({ phone, limit: 2, cursor: page1.body.nextCursor })
      .set(tenant.auth)
      .expect(200);
    expect(page2.body).toEqual({
      data: [expect.objectContaining({ id: ids[0], status: 'canceled' })],
      nextCursor: null,
    });
    const canceled = await t.http
      .get('/v1/verifications')
      .query({ phone, status: 'canceled' })
      .set(tenant.auth)
      .expect(200);
    expect(canceled.body.data.map((v: { id: string }) => v.id)).toEqual([ids[0]]);
    const inbound = await start({ phone, flow: 'inbound' });
    const byFlow = async (flow: string) =>
      (
        await t.http.get('/v1/verifications').query({ phone, flow }).set(tenant.auth).expect(200)
      ).body.data.map((v: { id: string }) => v.id);
    expect(await byFlow('inbound')).toEqual([inbound.id]);
    expect(await byFlow('outbound')).toEqual([ids[2], ids[1], ids[0]]);
    const badFlow = await t.http
      .get('/v1/verifications')
      .query({ flow: 'sideways' })
      .set(tenant.auth)
      .expect(400);
    expect(badFlow.body.code).toBe('validation_failed');
    const bad = await t.http
      .get('/v1/verifications')
      .query({ limit: 1000 })
      .set(tenant.auth)
      .expect(400);
    expect(bad.body.code).toBe('validation_failed');
  });
});
