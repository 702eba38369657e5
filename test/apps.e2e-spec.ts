import { DataSource } from 'typeorm';
import { ADMIN_KEY, createTenant, startApp, TestApp, uniquePhone } from './support/harness';

describe('Apps, API keys and tenant isolation', () => {
  let t: TestApp;
  const admin = { Authorization: `Bearer ${ADMIN_KEY}` };

  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => t.close());

  it('creates an app whose key and webhook secret are shown only once', async () => {
    const res = await t.http
      .post('/v1/apps')
      .set(admin)
      .send({
        name: 'Shop',
        webhookUrl: 'http://127.0.0.1:9/hook',
        brandName: 'Shop',
        defaultLocale: 'id',
        allowedCountries: ['id', 'IT'],
        codeLength: 8,
        ttlSeconds: 300,
      })
      .expect(201);
    expect(res.body).toMatchObject({
      name: 'Shop',
      defaultLocale: 'id',
      allowedCountries: ['ID', 'IT'],
      codeLength: 8,
      ttlSeconds: 300,
    });
    expect(res.body.apiKey).toMatch(/^wav_/);
    expect(res.body.webhookSecret).toMatch(/^whsec_/);
    const read = await t.http.get(`/v1/apps/${res.body.id}`).set(admin).expect(200);
    expect(read.body.apiKey).toBeUndefined();
    expect(read.body.webhookSecret).toBeUndefined();
    expect(read.body.apiKeys).toHaveLength(1);
    expect(JSON.stringify(read.body)).not.toContain(res.body.apiKey);
  });

  it('updates an app and validates the fields', async () => {
    const tenant = await createTenant(t);
    const res = await t.http
      .patch(`/v1/apps/${tenant.appId}`)
      .set(admin)
      .send({ brandName: 'Renamed', codeLength: 4 })
      .expect(200);
    expect(res.body).toMatchObject({ brandName: 'Renamed', codeLength: 4 });
    const bad = await t.http
      .patch(`/v1/apps/${tenant.appId}`)
      .set(admin)
      .send({ codeLength: 11, allowedCountries: ['IDN'] })
      .expect(400);
    expect(bad.body.code).toBe('validation_failed');
    await t.http
      .patch('/v1/apps/00000000-0000-0000-0000-000000000000')
      .set(admin)
      .send({ name: 'x' })
      .expect(404);
  });

  it('requires the admin key for app management and an app key for verifications', async () => {
    const tenant = await createTenant(t);
    const noAuth = await t.http.post('/v1/apps').send({ name: 'x' }).expect(401);
    expect(noAuth.body).toMatchObject({ statusCode: 401, code: 'unauthorized' });
    await t.http.post('/v1/apps').set(tenant.auth).send({ name: 'x' }).expect(401);
    await t.http.get('/v1/verifications').set(admin).expect(401);
    await t.http.get('/v1/verifications').set({ Authorization: 'Bearer wav_nope' }).expect(401);
    await t.http.get('/v1/verifications').set({ Authorization: 'Basic abc' }).expect(401);
  });

  it('adds keys and revokes them at once', async () => {
    const tenant = await createTenant(t);
    const added = await t.http.post(`/v1/apps/${tenant.appId}/api-keys`).set(admin).expect(201);
    const second = { Authorization: `Bearer ${added.body.apiKey}` };
    await t.http.get('/v1/verifications').set(second).expect(200);
    await t.http
      .delete(`/v1/apps/${tenant.appId}/api-keys/${added.body.id}`)
      .set(admin)
      .expect(204);
    await t.http.get('/v1/verifications').set(second).expect(401);
    await t.http.get('/v1/verifications').set(tenant.auth).expect(200);
    await t.http
      .delete(`/v1/apps/${tenant.appId}/api-keys/${added.body.id}`)
      .set(admin)
      .expect(404);
  });

  it('lists every app with its active key prefixes and never a secret', async () => {
    const created = await t.http
      .post('/v1/apps')
      .set(admin)
      .send({ name: 'Listed', webhookUrl: 'http://127.0.0.1:9/hook' })
      .expect(201);
    const added = await t.http.post(`/v1/apps/${created.body.id}/api-keys`).set(admin).expect(201);
    await t.http
      .delete(`/v1/apps/${created.body.id}/api-keys/${added.body.id}`)
      .set(admin)
      .expect(204);
    const other = await createTenant(t);

    const list = await t.http.get('/v1/apps').set(admin).expect(200);
    const ids = (list.body.data as { id: string }[]).map((app) => app.id);
    expect(ids.indexOf(created.body.id)).toBeLessThan(ids.indexOf(other.appId));
    const listed = (list.body.data as { id: string }[]).find((a) => a.id === created.body.id);
    expect(listed).toEqual({
      id: created.body.id,
      name: 'Listed',
      webhookUrl: 'http://127.0.0.1:9/hook',
      brandName: null,
      apiKeys: [
        {
          id: created.body.apiKeys[0].id,
          prefix: created.body.apiKey.slice(0, 12),
          createdAt: created.body.apiKeys[0].createdAt,
        },
      ],
      createdAt: created.body.createdAt,
      updatedAt: created.body.updatedAt,
    });
    const text = JSON.stringify(list.body);
    for (const secret of [created.body.apiKey, created.body.webhookSecret, other.apiKey])
      expect(text).not.toContain(secret);
    await t.http.get('/v1/apps').set(other.auth).expect(401);
    await t.http.get('/v1/apps').expect(401);
  });

  it("answers 404 for another app's verification", async () => {
    const a = await createTenant(t);
    const b = await createTenant(t);
    const created = await t.http
      .post('/v1/verifications')
      .set(a.auth)
      .send({ phone: uniquePhone() })
      .expect(201);
    const id = created.body.id;
    for (const req of [
      t.http.get(`/v1/verifications/${id}`),
      t.http.post(`/v1/verifications/${id}/check`).send({ code: '123456' }),
      t.http.post(`/v1/verifications/${id}/resend`).send({}),
      t.http.post(`/v1/verifications/${id}/cancel`),
    ]) {
      const res = await req.set(b.auth);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('not_found');
    }
    const list = await t.http.get('/v1/verifications').set(b.auth).expect(200);
    expect(list.body.data.map((v: { id: string }) => v.id)).not.toContain(id);
  });

  it('refuses phones outside the allowed countries', async () => {
    const tenant = await createTenant(t, { allowedCountries: ['IT'] });
    const res = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone: uniquePhone() })
      .expect(403);
    expect(res.body.code).toBe('country_not_allowed');
    await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone: '+393471234567' })
      .expect(201);
  });

  it('serves health, Swagger UI and an OpenAPI document that describes the contract', async () => {
    await t.http.get('/health/live').expect(200);
    const ready = await t.http.get('/health/ready').expect(200);
    expect(ready.body.checks.database).toBe('up');
    await t.http.get('/docs').expect((res) => expect([200, 301, 302]).toContain(res.status));
    const doc = await t.http.get('/docs-json').expect(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    for (const path of [
      '/v1/apps',
      '/v1/apps/{id}',
      '/v1/apps/{id}/api-keys',
      '/v1/verifications',
      '/v1/verifications/{id}',
      '/v1/verifications/{id}/check',
      '/v1/verification-checks',
      '/v1/verifications/{id}/resend',
      '/v1/verifications/{id}/cancel',
      '/health/ready',
    ]) {
      expect(doc.body.paths[path]).toBeDefined();
    }
    expect(doc.body.components.securitySchemes).toHaveProperty('apiKey');
    expect(doc.body.components.schemas.ApiErrorDto).toBeDefined();
  });
});

describe('Readiness', () => {
  it('answers 503 when the database is unreachable, while liveness stays 200', async () => {
    const t = await startApp();
    try {
      await t.http.get('/health/ready').expect(200);
      await t.app.get(DataSource).destroy();
      const res = await t.http.get('/health/ready').expect(503);
      expect(res.body).toMatchObject({ status: 'unavailable', checks: { database: 'down' } });
      await t.http.get('/health/live').expect(200);
    } finally {
      await t.close().catch(() => undefined);
    }
  });
});
