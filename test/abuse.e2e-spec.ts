import { sleep, waitFor } from './support/wait';
import { DataSource } from 'typeorm';
import { AuditEvent } from '../src/audit/entities/audit-event.entity';
import {
  ADMIN_KEY,
  createTenant,
  startApp,
  TestApp,
  TestTenant,
  uniquePhone,
} from './support/harness';
import { metaNotification, metaSignature, postMetaWebhook } from './support/meta-notifications';
import { ageVerification } from './support/time-travel';
import { hourStart, seedVelocityCounter } from './support/velocity-counters';

const HOUR_MS = 3_600_000;
const admin = { Authorization: `Bearer ${ADMIN_KEY}` };

async function auditEvents(
  t: TestApp,
  type: string,
  where: { appId?: string | null } = {},
): Promise<AuditEvent[]> {
  const events = await t.app
    .get(DataSource)
    .getRepository(AuditEvent)
    .find({ where: { type }, order: { id: 'ASC' } });
  return events.filter((event) => where.appId === undefined || event.appId === where.appId);
}

function retryAfter(res: { headers: Record<string, string> }): number {
  return Number(res.headers['retry-after']);
}

describe('Rate limit per API key', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;

  beforeAll(async () => {
    t = await startApp({ RATE_LIMIT_API_KEY_PER_MINUTE: '5' });
    [a, b] = [await createTenant(t), await createTenant(t)];
  });
  afterAll(async () => t.close());

  it('answers 429 rate_limited with Retry-After once a key used its requests of the minute, across routes, other keys unaffected', async () => {
    for (let i = 0; i < 3; i++) await t.http.get('/v1/verifications').set(a.auth).expect(200);
    await t.http.get('/v1/webhook-deliveries').set(a.auth).expect(200);
    await t.http
      .get('/v1/verifications/00000000-0000-0000-0000-000000000000')
      .set(a.auth)
      .expect(404);

    const limited = await t.http.get('/v1/verifications').set(a.auth).expect(429);
    expect(limited.body).toMatchObject({ statusCode: 429, code: 'rate_limited' });
    expect(retryAfter(limited)).toBeGreaterThanOrEqual(55);
    expect(retryAfter(limited)).toBeLessThanOrEqual(60);
    await t.http.post('/v1/verifications').set(a.auth).send({ phone: uniquePhone() }).expect(429);

    await t.http.get('/v1/verifications').set(b.auth).expect(200);
    await t.http.get(`/v1/apps/${a.appId}`).set(admin).expect(200);
    await t.http.get('/health/ready').expect(200);
  });

  it('audits the hit with the key id, never the key', async () => {
    const keyId = (await t.http.get(`/v1/apps/${a.appId}`).set(admin).expect(200)).body.apiKeys[0]
      .id as string;
    const [hit] = await auditEvents(t, 'rate_limit.hit', { appId: a.appId });
    expect(hit).toMatchObject({
      actorType: 'api_key',
      actorId: keyId,
      data: expect.objectContaining({ limiter: 'api-key', apiKeyId: keyId, limit: 5 }),
    });
    expect(JSON.stringify(hit)).not.toContain(a.apiKey);
  });
});

describe('Rate limit per IP on failed authentication', () => {
  const APP_SECRET = 'meta-app-secret-abuse';
  const sign = (raw: string): string => metaSignature(raw, APP_SECRET);
  const webhook = (raw: string, signature: string) => postMetaWebhook(t, raw, signature);
  const emptyNotification = metaNotification([]);
  const startedAt = Date.now();
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startApp({
      RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '3',
      WHATSAPP_PROVIDER: 'meta',
      META_API_BASE_URL: 'http://127.0.0.1:9',
      META_ACCESS_TOKEN: 'meta-access-token',
      META_PHONE_NUMBER_ID: '1234567890',
      META_APP_SECRET: APP_SECRET,
      META_VERIFY_TOKEN: 'meta-verify-token',
    });
    tenant = await createTenant(t);
  });
  afterAll(async () => t.close());

  it('counts wrong keys and bad webhook signatures per IP, then refuses the failing requests (never a valid key) with 429', async () => {
    expect((await webhook(emptyNotification, sign('something else')).expect(401)).body.code).toBe(
      'invalid_signature',
    );
    expect(
      (await t.http.get('/v1/verifications').set('Authorization', 'Bearer wrong-key').expect(401))
        .body.code,
    ).toBe('unauthorized');
    await t.http.get('/v1/verifications').expect(401);

    const over = await t.http
      .get('/v1/verifications')
      .set('Authorization', 'Bearer wrong-key')
      .expect(429);
    expect(over.body).toMatchObject({ statusCode: 429, code: 'rate_limited' });
    expect(retryAfter(over)).toBeGreaterThanOrEqual(55);
    expect(retryAfter(over)).toBeLessThanOrEqual(60);

    // Valid credentials from the same (blocked) address are never refused by this limit.
    await t.http.get('/v1/verifications').set(tenant.auth).expect(200);
    await t.http.get(`/v1/apps/${tenant.appId}`).set(admin).expect(200);
    // Failing ones still are, whatever their kind.
    const missing = await t.http.get('/v1/verifications').expect(429);
    expect(retryAfter(missing)).toBeGreaterThanOrEqual(50);
    expect((await webhook(emptyNotification, sign('tampered')).expect(429)).body.code).toBe(
      'rate_limited',
    );
  });

  it('never throttles a provider webhook with a valid signature, nor health', async () => {
    await webhook(emptyNotification, sign(emptyNotification)).expect(200);
    await t.http.get('/health/live').expect(200);
    await t.http.get('/health/ready').expect(200);
  });

  it('audits the hit with the IP', async () => {
    const hits = (await auditEvents(t, 'rate_limit.hit', { appId: null })).filter(
      (event) => event.createdAt >= startedAt,
    );
    expect(hits).toHaveLength(1);
    expect(hits[0].data).toMatchObject({ limiter: 'auth-failure', ip: '127.0.0.1', limit: 3 });
    expect(JSON.stringify(hits[0])).not.toContain('wrong-key');
  });
});

describe('Creation guard: per-phone limits, fraud checks, velocity, expiry', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startApp({
      RATE_LIMIT_PHONE_PER_15_MINUTES: '3',
      RATE_LIMIT_PHONE_PER_DAY: '10',
      EXPIRY_SWEEP_INTERVAL: '200ms',
    });
    tenant = await createTenant(t);
  });
  afterAll(async () => t.close());

  const create = (who: TestTenant, body: Record<string, unknown>, idempotencyKey?: string) => {
    const req = t.http.post('/v1/verifications').set(who.auth);
    if (idempotencyKey) req.set('Idempotency-Key', idempotencyKey);
    return req.send(body);
  };

  describe('per phone', () => {
    it('allows RATE_LIMIT_PHONE_PER_15_MINUTES creations per phone, then 429 with the window as Retry-After; other phones unaffected', async () => {
      const phone = uniquePhone();
      for (let i = 0; i < 3; i++) await create(tenant, { phone }).expect(201);
      const limited = await create(tenant, { phone: phone.replace('+62', '0062') }).expect(429);
      expect(limited.body).toMatchObject({ statusCode: 429, code: 'rate_limited' });
      expect(retryAfter(limited)).toBeGreaterThan(890);
      expect(retryAfter(limited)).toBeLessThanOrEqual(900);
      await create(tenant, { phone: uniquePhone() }).expect(201);

      const [hit] = (await auditEvents(t, 'rate_limit.hit', { appId: tenant.appId })).filter(
        (e) => e.data?.limiter === 'phone-15m',
      );
      expect(hit.data).toMatchObject({
        limiter: 'phone-15m',
        limit: 3,
        phone: expect.stringContaining('****'),
      });
      expect(JSON.stringify(hit)).not.toContain(phone.slice(1));
    });

    it("counts per app: another app's creations for the same phone do not count", async () => {
      const phone = uniquePhone();
      const other = await createTenant(t);
      for (let i = 0; i < 3; i++) await create(tenant, { phone }).expect(201);
      await create(other, { phone }).expect(201);
    });

    it("uses the app's overrides: a day limit answers with a day-long Retry-After", async () => {
      const strict = await createTenant(t, { phoneLimitPer15Minutes: 10, phoneLimitPerDay: 2 });
      const phone = uniquePhone();
      await create(strict, { phone }).expect(201);
      await create(strict, { phone }).expect(201);
      const limited = await create(strict, { phone }).expect(429);
      expect(retryAfter(limited)).toBeGreaterThan(86_300);
      expect(retryAfter(limited)).toBeLessThanOrEqual(86_400);
    });

    it('does not count idempotent replays nor requests refused by validation', async () => {
      const strict = await createTenant(t, { phoneLimitPer15Minutes: 2 });
      const phone = uniquePhone();
      await create(strict, { phone, codeLength: 2 }).expect(400);
      const first = await create(strict, { phone }, 'order-1').expect(201);
      const replay = await create(strict, { phone }, 'order-1').expect(201);
      expect(replay.body.id).toBe(first.body.id);
      await create(strict, { phone }, 'order-1').expect(201);
      await create(strict, { phone }).expect(201);
      await create(strict, { phone }).expect(429);
    });
  });

  describe('fraud checks', () => {
    it("refuses numbers outside the app's allowed countries with 403 country_not_allowed", async () => {
      const idOnly = await createTenant(t, { allowedCountries: ['ID'] });
      const res = await create(idOnly, { phone: '+393123456789' }).expect(403);
      expect(res.body).toMatchObject({ statusCode: 403, code: 'country_not_allowed' });
      await create(idOnly, { phone: uniquePhone() }).expect(201);
    });

    it.each([
      ['a UK premium-rate number', '+449098790123', /premium-rate/i],
      ['an Italian 899 premium-rate number', '+39899123456', /premium-rate/i],
      ['a UK landline', '+442079460000', /landline/i],
    ])('refuses %s with 400 invalid_phone and the reason', async (_label, phone, reason) => {
      const res = await create(tenant, { phone }).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: 'invalid_phone' });
      expect(res.body.message).toMatch(reason);
    });
  });

  describe('velocity guard', () => {
    it('blocks a calling code whose last hour exceeds the floor, shows the block on the app, and refuses that code only', async () => {
      const v = await createTenant(t);
      await seedVelocityCounter(t, v.appId, '49', hourStart(), 100);

      const res = await create(v, { phone: uniquePhone('+49151') }).expect(403);
      expect(res.body).toMatchObject({ statusCode: 403, code: 'country_not_allowed' });
      expect(res.body.message).toMatch(/temporarily blocked/);

      const app = await t.http.get(`/v1/apps/${v.appId}`).set(admin).expect(200);
      expect(app.body.countryBlocks).toHaveLength(1);
      expect(app.body.countryBlocks[0]).toMatchObject({
        callingCode: '49',
        reason: expect.stringContaining('velocity'),
      });
      const until = Date.parse(app.body.countryBlocks[0].blockedUntil);
      expect(until - Date.now()).toBeGreaterThan(HOUR_MS - 60_000);

      expect((await create(v, { phone: uniquePhone('+49151') }).expect(403)).body.message).toMatch(
        /temporarily blocked/,
      );
      await create(v, { phone: uniquePhone() }).expect(201);

      const [blocked] = await auditEvents(t, 'fraud.country_blocked', { appId: v.appId });
      expect(blocked).toMatchObject({
        actorType: 'system',
        data: expect.objectContaining({ callingCode: '49', lastHourCount: 101, threshold: 100 }),
      });
    });

    it("raises the threshold to the multiplier times the app's usual hourly rate", async () => {
      const v = await createTenant(t);
      // 30 per hour on average over the baseline week → threshold 10 × 30 = 300.
      await seedVelocityCounter(t, v.appId, '49', hourStart() - 48 * HOUR_MS, 168 * 30);
      await seedVelocityCounter(t, v.appId, '49', hourStart(), 150);
      await create(v, { phone: uniquePhone('+49151') }).expect(201);

      await t.app
        .get(DataSource)
        .query('UPDATE velocity_counters SET count = 300 WHERE app_id = ? AND hour_start = ?', [
          v.appId,
          hourStart(),
        ]);
      // Each instance re-reads the shared counts at most once a second.
      await sleep(1100);
      await create(v, { phone: uniquePhone('+49151') }).expect(403);
    });

    it('counts creations per app, calling code and hour', async () => {
      const v = await createTenant(t);
      for (let i = 0; i < 3; i++) await create(v, { phone: uniquePhone('+49151') }).expect(201);
      // Creations are counted in memory and written to the shared counters every second.
      const total = await waitFor(async () => {
        const rows: { count: number | string }[] = await t.app
          .get(DataSource)
          .query('SELECT count FROM velocity_counters WHERE app_id = ? AND calling_code = ?', [
            v.appId,
            '49',
          ]);
        const sum = rows.map((row) => Number(row.count)).reduce((acc, n) => acc + n, 0);
        return sum === 3 && sum;
      }, 5000);
      expect(total).toBe(3);
    });
  });

  describe('expiry sweeper', () => {
    it('expires an overdue verification with an audit event and a verification.expired webhook', async () => {
      const hooked = await createTenant(t, { webhookUrl: 'http://127.0.0.1:9/hooks' });
      const created = await create(hooked, { phone: uniquePhone() }).expect(201);
      const id = created.body.id as string;
      await ageVerification(t, id, 11 * 60_000);

      const read = await waitFor(async () => {
        const body = (await t.http.get(`/v1/verifications/${id}`).set(hooked.auth).expect(200))
          .body;
        return body.status === 'expired' && body;
      }, 5000);
      expect(read.status).toBe('expired');

      const audits = (await auditEvents(t, 'verification.expired', { appId: hooked.appId })).filter(
        (e) => e.verificationId === id,
      );
      expect(audits).toHaveLength(1);
      expect(audits[0].actorType).toBe('system');

      const deliveries = await t.http.get('/v1/webhook-deliveries').set(hooked.auth).expect(200);
      const expired = deliveries.body.data.filter(
        (d: { type: string; verificationId: string }) =>
          d.type === 'verification.expired' && d.verificationId === id,
      );
      expect(expired).toHaveLength(1);
    });

    it('leaves unexpired verifications pending', async () => {
      const created = await create(tenant, { phone: uniquePhone(), ttlSeconds: 60 }).expect(201);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(
        (await t.http.get(`/v1/verifications/${created.body.id}`).set(tenant.auth).expect(200)).body
          .status,
      ).toBe('pending');
    });
  });
});

describe('Velocity guard switched off', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ VELOCITY_GUARD_ENABLED: 'false' });
  });
  afterAll(async () => t.close());

  it('neither counts nor blocks with VELOCITY_GUARD_ENABLED=false', async () => {
    const v = await createTenant(t);
    await seedVelocityCounter(t, v.appId, '49', hourStart(), 1000);
    await t.http
      .post('/v1/verifications')
      .set(v.auth)
      .send({ phone: uniquePhone('+49151') })
      .expect(201);
    expect(
      (await t.http.get(`/v1/apps/${v.appId}`).set(admin).expect(200)).body.countryBlocks,
    ).toEqual([]);
  });
});
