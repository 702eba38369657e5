import { DataSource } from 'typeorm';
import { FakeGraphServer } from './support/fake-graph-server';
import { FakeTwilioServer } from './support/fake-twilio-server';
import { createTenant, startApp, TestApp, TestTenant, uniquePhone } from './support/harness';
import { metaInboundText, metaSignature, postMetaWebhook } from './support/meta-notifications';
import { metaWithTwilioSmsEnv } from './support/provider-env';

const APP_SECRET = 'meta-app-secret-0123456789';
const PHONE_NUMBER_ID = '106540352242922';

/** A signed Cloud API notification with one inbound text message. */
function inboundMessage(from: string, id: string): { raw: string; signature: string } {
  const raw = metaInboundText(PHONE_NUMBER_ID, { from, id, text: 'hello' });
  return { raw, signature: metaSignature(raw, APP_SECRET) };
}

/**
 * Ids, hashes, keys and provider ids are compared byte for byte on every engine. On MariaDB/MySQL
 * the database default collation (utf8mb4_unicode_ci) would ignore case and trailing spaces.
 */
describe('Identifiers compare byte for byte', () => {
  const graph = new FakeGraphServer();
  const twilio = new FakeTwilioServer();
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    const [graphUrl, twilioUrl] = await Promise.all([graph.start(), twilio.start()]);
    t = await startApp(
      metaWithTwilioSmsEnv(graphUrl, twilioUrl, twilio, {
        phoneNumberId: PHONE_NUMBER_ID,
        appSecret: APP_SECRET,
        verifyToken: 'verify-token',
      }),
    );
    tenant = await createTenant(t);
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([graph.stop(), twilio.stop()]);
  });

  it('does not find a verification by its id in another case', async () => {
    const created = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone: uniquePhone() })
      .expect(201);
    const id = created.body.id as string;
    expect(id).toMatch(/[a-f]/);
    await t.http.get(`/v1/verifications/${id}`).set(tenant.auth).expect(200);
    const res = await t.http
      .get(`/v1/verifications/${id.toUpperCase()}`)
      .set(tenant.auth)
      .expect(404);
    expect(res.body.code).toBe('not_found');
    await t.http
      .post(`/v1/verifications/${id.toUpperCase()}/check`)
      .set(tenant.auth)
      .send({ code: '123456' })
      .expect(404);
  });

  it('keeps trailing spaces significant in stored ids (binary, no padding)', async () => {
    const created = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone: uniquePhone() })
      .expect(201);
    const db = t.app.get(DataSource);
    const rows: { n: number | string }[] = await db.query(
      'SELECT COUNT(*) AS n FROM verifications WHERE id = ?',
      [`${created.body.id as string} `],
    );
    expect(Number(rows[0].n)).toBe(0);
  });

  it('treats Idempotency-Keys differing only in case as different keys', async () => {
    const phone = uniquePhone();
    const key = `Order-${phone}-abc`;
    const a = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .set('Idempotency-Key', key)
      .send({ phone })
      .expect(201);
    const b = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .set('Idempotency-Key', key.toLowerCase())
      .send({ phone })
      .expect(201);
    expect(b.body.id).not.toBe(a.body.id);
    const replay = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .set('Idempotency-Key', key)
      .send({ phone })
      .expect(201);
    expect(replay.body.id).toBe(a.body.id);
  });

  it('stores two provider messages whose ids differ only in case as two inbox events', async () => {
    const phone = uniquePhone();
    // WhatsApp message ids are base64: case is significant.
    const first = inboundMessage(phone, 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFBQkJC');
    const second = inboundMessage(
      phone,
      'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFBQkJC'.toLowerCase(),
    );
    for (const [message, expected] of [
      [first, { received: 1, duplicates: 0 }],
      [second, { received: 1, duplicates: 0 }],
      [first, { received: 0, duplicates: 1 }],
    ] as const) {
      const res = await postMetaWebhook(t, message.raw, message.signature).expect(200);
      expect(res.body).toEqual(expected);
    }
  });
});
