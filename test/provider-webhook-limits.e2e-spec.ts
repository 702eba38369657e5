import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { DataSource } from 'typeorm';
import { FakeGraphServer } from './support/fake-graph-server';
import { FakeTwilioServer } from './support/fake-twilio-server';
import { createTenant, startApp, TestApp, TestTenant, uniquePhone } from './support/harness';
import {
  metaChange,
  metaNotification,
  metaPricing,
  metaSignature,
  metaStatusObject,
  metaTextValue,
  postMetaWebhook,
} from './support/meta-notifications';
import { metaWithTwilioSmsEnv } from './support/provider-env';
import { waitFor } from './support/wait';

const PHONE_NUMBER_ID = '106540352242922';
const OTHER_PHONE_NUMBER_ID = '106540352240000';
const APP_SECRET = 'meta-app-secret-limits-0123456789';
const TWILIO_WEBHOOK_URL = 'https://wa-verify.example.com/v1/webhooks/twilio';

const wamid = (): string => `wamid.${randomBytes(24).toString('base64')}`;
const sign = (raw: string, secret = APP_SECRET): string => metaSignature(raw, secret);

/**
 * One Meta notification of about `bytes` bytes, batching the person's text message with status
 * updates for another phone number of the same business account (which this service skips).
 */
function batchedNotification(from: string, text: string, bytes: number): string {
  const ours = metaChange(PHONE_NUMBER_ID, metaTextValue([{ from, id: wamid(), text }]));
  const status = (): Record<string, unknown> =>
    metaStatusObject({
      messageId: wamid(),
      recipient: '6281200000000',
      status: 'delivered',
      pricing: metaPricing(),
    });
  const statuses: Record<string, unknown>[] = [];
  const changes = [ours, metaChange(OTHER_PHONE_NUMBER_ID, { statuses })];
  const perStatus = JSON.stringify(status()).length + 1;
  for (let size = metaNotification(changes).length; size < bytes; size += perStatus)
    statuses.push(status());
  return metaNotification(changes);
}

describe('Provider webhook limits: body size and signature-failure auditing', () => {
  const graph = new FakeGraphServer();
  const twilioFake = new FakeTwilioServer();
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    const [graphUrl, twilioUrl] = await Promise.all([graph.start(), twilioFake.start()]);
    t = await startApp(
      metaWithTwilioSmsEnv(
        graphUrl,
        twilioUrl,
        twilioFake,
        { phoneNumberId: PHONE_NUMBER_ID, appSecret: APP_SECRET, verifyToken: 'verify-token' },
        { TWILIO_WEBHOOK_URL, INBOUND_RETRY_INTERVAL: '200ms' },
      ),
    );
    tenant = await createTenant(t, { brandName: 'Acme' });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([graph.stop(), twilioFake.stop()]);
  });

  const postMeta = (raw: string, signature: string) => postMetaWebhook(t, raw, signature);

  it('accepts a 2 MB validly signed Meta batch and processes the message in it', async () => {
    const phone = uniquePhone();
    const created = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ flow: 'inbound', phone })
      .expect(201);
    const raw = batchedNotification(phone, created.body.waMessage as string, 2 * 1024 * 1024);
    expect(raw.length).toBeGreaterThan(2 * 1024 * 1024);
    const res = await postMeta(raw, sign(raw)).expect(200);
    expect(res.body).toEqual({ received: 1, duplicates: 0 });
    await waitFor(async () => {
      const read = await t.http.get(`/v1/verifications/${created.body.id}`).set(tenant.auth);
      return read.body.status === 'approved';
    });
  });

  it('refuses a Meta body over 5 MB with 413 payload_too_large', async () => {
    const raw = batchedNotification(uniquePhone(), 'hello', 5 * 1024 * 1024 + 1024);
    const res = await postMeta(raw, sign(raw)).expect(413);
    expect(res.body).toMatchObject({ statusCode: 413, code: 'payload_too_large' });
  });

  it('accepts a validly signed Twilio form over 100 KB', async () => {
    const params = {
      MessageSid: `SM${randomBytes(16).toString('hex')}`,
      MessageStatus: 'delivered',
      AccountSid: twilioFake.accountSid,
      To: '+6281200000000',
      Padding: 'x'.repeat(150 * 1024),
    };
    const signature = twilio.getExpectedTwilioSignature(
      twilioFake.authToken,
      TWILIO_WEBHOOK_URL,
      params,
    );
    await t.http
      .post('/v1/webhooks/twilio')
      .type('form')
      .set('X-Twilio-Signature', signature)
      .send(params)
      .expect(200);
  });

  it('keeps 100 KB everywhere else: a 200 KB body to /v1/verifications is 413 payload_too_large', async () => {
    const res = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ flow: 'inbound', phone: uniquePhone(), note: 'x'.repeat(200 * 1024) })
      .expect(413);
    expect(res.body).toMatchObject({ statusCode: 413, code: 'payload_too_large' });
    const admin = await t.http
      .post('/v1/apps')
      .set('Authorization', 'Bearer irrelevant')
      .send({ name: 'x'.repeat(200 * 1024) })
      .expect(413);
    expect(admin.body.code).toBe('payload_too_large');
  });

  it('answers 20 bad signatures from one IP in a minute with 401 each, audited once', async () => {
    const since = Date.now() - 1000;
    const raw = batchedNotification(uniquePhone(), 'hello', 1024);
    const requestIds = new Set<string>();
    for (let i = 0; i < 20; i += 1) {
      const res = await postMeta(raw, sign(raw, `wrong-secret-${i}`)).expect(401);
      expect(res.body).toMatchObject({ statusCode: 401, code: 'invalid_signature' });
      requestIds.add(res.headers['x-request-id'] as string);
    }
    // Only this test's requests: suites running at the same time on a shared database (each its
    // own instance, with its own once-per-minute gate) may reject signatures from 127.0.0.1 too.
    const rows = (
      (await t.app
        .get(DataSource)
        .query(
          "SELECT actor_id, ip, data FROM audit_events WHERE type = 'signature.rejected' AND created_at >= ?",
          [since],
        )) as { actor_id: string; ip: string; data: string | null }[]
    ).filter((row) => requestIds.has(JSON.parse(row.data ?? '{}').requestId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_id: 'meta', ip: expect.stringContaining('127.0.0.1') });
  });
});
