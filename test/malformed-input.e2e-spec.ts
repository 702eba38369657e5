import { connect } from 'node:net';
import { ADMIN_KEY, createTenant, startApp, TestApp } from './support/harness';

/** Input the fault-suite fuzzer found answered 500 or without a `code` (see test/faults). */
describe('Malformed input', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => t.close());

  it('refuses a body nested thousands of levels deep with 400 validation_failed, not a 500', async () => {
    const tenant = await createTenant(t);
    for (const body of [
      '['.repeat(5000) + ']'.repeat(5000),
      '{"a":'.repeat(3000) + '1' + '}'.repeat(3000),
    ]) {
      for (const [path, auth] of [
        ['/v1/apps', `Bearer ${ADMIN_KEY}`],
        ['/v1/verifications', tenant.auth.Authorization],
      ]) {
        const res = await t.http
          .post(path)
          .set('Authorization', auth)
          .set('Content-Type', 'application/json')
          .send(body)
          .expect(400);
        expect(res.body.code).toBe('validation_failed');
      }
    }
    // Nesting that real bodies use still passes the depth check (and reaches validation).
    const ok = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone: '+6281212345678', metadata: { a: { b: { c: 1 } } } })
      .expect(201);
    expect(ok.body.metadata).toEqual({ a: { b: { c: 1 } } });
  });

  it('answers a URL with a broken percent-escape with 400 validation_failed in our shape', async () => {
    for (const path of ['/health/live%', '/v1/verifications/%zz']) {
      const res = await t.http.get(path).expect(400);
      expect(res.body).toEqual({
        statusCode: 400,
        code: 'validation_failed',
        message: 'Malformed URL',
      });
    }
  });

  it('refuses null for app fields that have no null state, and keeps what was stored', async () => {
    const admin = { Authorization: `Bearer ${ADMIN_KEY}` };
    const tenant = await createTenant(t, { name: 'Kept', codeLength: 8, ttlSeconds: 300 });
    for (const field of [
      'name',
      'defaultLocale',
      'codeLength',
      'ttlSeconds',
      'testNumbersInProduction',
    ]) {
      const res = await t.http
        .patch(`/v1/apps/${tenant.appId}`)
        .set(admin)
        .send({ [field]: null })
        .expect(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.details.map((detail: { field: string }) => detail.field)).toContain(field);
    }
    const created = await t.http
      .post('/v1/apps')
      .set(admin)
      .send({ name: 'x', codeLength: null })
      .expect(400);
    expect(created.body.code).toBe('validation_failed');
    const kept = await t.http.get(`/v1/apps/${tenant.appId}`).set(admin).expect(200);
    expect(kept.body).toMatchObject({
      name: 'Kept',
      defaultLocale: 'en',
      codeLength: 8,
      ttlSeconds: 300,
      testNumbersInProduction: false,
    });
    // Nullable fields still clear with null.
    await t.http
      .patch(`/v1/apps/${tenant.appId}`)
      .set(admin)
      .send({ brandName: null, allowedCountries: null })
      .expect(200);
  });

  it('answers headers too large with 431 and a code', async () => {
    const res = await t.http
      .get('/health/live')
      .set('Authorization', `Bearer ${'k'.repeat(20_000)}`);
    expect(res.status).toBe(431);
    expect(res.body).toEqual({
      statusCode: 431,
      code: 'headers_too_large',
      message: 'Request headers are too large',
    });
  });

  it('answers a request Node cannot parse with 400 validation_failed', async () => {
    const { port } = new URL(t.url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.write('NOT HTTP AT ALL\r\n\r\n'),
      );
      let text = '';
      socket.setTimeout(5_000, () => socket.destroy(new Error('no answer')));
      socket.on('data', (chunk) => (text += chunk.toString('utf8')));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toMatchObject({
      statusCode: 400,
      code: 'validation_failed',
    });
  });
});
