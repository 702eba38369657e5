import { randomBytes } from 'node:crypto';
import { startApp, TestApp } from './support/harness';

/**
 * The webhook URL rule as production applies it (NODE_ENV=production with a real provider
 * configuration and production-grade secrets): private, loopback and IPv4-embedding IPv6 targets are
 * refused with 400 `validation_failed` and nothing is stored.
 */
describe('Client webhook URLs in production (SSRF)', () => {
  // Production refuses placeholder-looking secrets: random ones, as an operator would generate.
  const adminKey = randomBytes(32).toString('base64url');
  const admin = { Authorization: `Bearer ${adminKey}` };
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({
      NODE_ENV: 'production',
      ADMIN_API_KEY: adminKey,
      OTP_PEPPER: randomBytes(32).toString('base64url'),
      WHATSAPP_PROVIDER: 'meta',
      META_API_BASE_URL: 'http://127.0.0.1:9',
      META_ACCESS_TOKEN: 'prod-access-token',
      META_PHONE_NUMBER_ID: '1234567890',
      META_APP_SECRET: 'prod-app-secret-0123456789abcdef',
      META_VERIFY_TOKEN: 'prod-verify-token',
      SMS_PROVIDER: 'none',
      WHATSAPP_BUSINESS_NUMBER: '+15550001111',
    });
  });
  afterAll(async () => t.close());

  const refused = [
    'https://[::ffff:7f00:1]/hook',
    'https://[::ffff:127.0.0.1]/hook',
    'https://[::7f00:1]/hook',
    'https://[64:ff9b::a9fe:a9fe]/hook',
    'https://[64:ff9b:1::a00:1]/hook',
    'https://[2002:7f00:1::1]/hook',
    'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook',
    'https://[fec0::1]/hook',
    'https://[fd00::1]/hook',
    'https://100.64.0.1/hook',
    'https://198.18.0.1/hook',
    'https://192.0.0.8/hook',
    'https://169.254.169.254/latest/meta-data',
    'https://0x7f.1/hook',
    'https://localhost/hook',
    'http://93.184.215.14/hook',
  ];

  it.each(refused)('refuses %s on create and stores no app', async (webhookUrl) => {
    const name = `ssrf-${Math.random().toString(36).slice(2)}`;
    const res = await t.http.post('/v1/apps').set(admin).send({ name, webhookUrl }).expect(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.details).toEqual([expect.objectContaining({ field: 'webhookUrl' })]);
    const created = await t.http
      .get('/v1/audit-events')
      .set(admin)
      .query({ type: 'app.created', limit: 200 })
      .expect(200);
    expect(JSON.stringify(created.body)).not.toContain(name);
  });

  it.each(refused)('refuses %s on PATCH and keeps the old URL', async (webhookUrl) => {
    const created = await t.http
      .post('/v1/apps')
      .set(admin)
      .send({ name: 'Prod app', webhookUrl: 'https://93.184.215.14/hook' })
      .expect(201);
    const res = await t.http
      .patch(`/v1/apps/${created.body.id}`)
      .set(admin)
      .send({ webhookUrl, brandName: 'Changed' })
      .expect(400);
    expect(res.body.code).toBe('validation_failed');
    const read = await t.http.get(`/v1/apps/${created.body.id}`).set(admin).expect(200);
    expect(read.body.webhookUrl).toBe('https://93.184.215.14/hook');
    expect(read.body.brandName).not.toBe('Changed');
  });

  it('accepts a public https address literal (IPv4, IPv6 and NAT64 of a public IPv4)', async () => {
    for (const webhookUrl of [
      'https://93.184.215.14/hook',
      'https://[2606:4700::1111]/hook',
      'https://[64:ff9b::808:808]/hook',
    ]) {
      const res = await t.http
        .post('/v1/apps')
        .set(admin)
        .send({ name: 'Public', webhookUrl })
        .expect(201);
      expect(res.body.webhookUrl).toBe(webhookUrl);
    }
  });
});
