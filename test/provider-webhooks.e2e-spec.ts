import { metaWithTwilioSmsEnv } from './support/provider-env';
import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { DataSource } from 'typeorm';
import { FakeGraphServer } from './support/fake-graph-server';
import { FakeTwilioServer } from './support/fake-twilio-server';
import { createTenant, startApp, TestApp, TestTenant, uniquePhone } from './support/harness';
import {
  metaInboundText,
  metaPricing,
  metaSignature,
  metaStatus,
  postMetaWebhook,
} from './support/meta-notifications';

const PHONE_NUMBER_ID = '106540352242922';
const APP_SECRET = 'meta-app-secret-0123456789';
const VERIFY_TOKEN = 'meta-verify-token-abc';
const TWILIO_WEBHOOK_URL = 'https://wa-verify.example.com/v1/webhooks/twilio';

/** Polls `check` until it stops throwing (at most 50 × 100 ms), then returns its value. */
async function eventually<T>(check: () => Promise<T>): Promise<T> {
  let lastError: unknown;
  for (let i = 0; i < 50; i += 1) {
    try {
      return await check();
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw lastError;
}

const digits = (phone: string): string => phone.replace(/^\+/, '');
const wamid = (): string => `wamid.${randomBytes(24).toString('base64')}`;
/** Meta escapes non-ASCII characters in the JSON it signs (`é` → `\u00e9`). */
const AS_META = { escapeNonAscii: true };

function textMessage(from: string, text: string, id = wamid(), phoneNumberId = PHONE_NUMBER_ID) {
  return metaInboundText(phoneNumberId, { from, id, text }, AS_META);
}

function statusUpdate(
  messageId: string,
  recipient: string,
  status: string,
  errors?: Record<string, unknown>[],
): string {
  const outcome = status === 'failed' ? { errors } : { pricing: metaPricing() };
  return metaStatus(PHONE_NUMBER_ID, { messageId, recipient, status, ...outcome }, AS_META);
}

const sign = (raw: string | Buffer, secret = APP_SECRET): string => metaSignature(raw, secret);

describe('Meta webhooks (Cloud API fake at the HTTP boundary)', () => {
  const graph = new FakeGraphServer();
  const twilioFake = new FakeTwilioServer();
  let t: TestApp;
  let tenant: TestTenant;
  /** A tenant with a client-webhook URL, so the outbox gets rows (nothing listens there). */
  let hooked: TestTenant;

  beforeAll(async () => {
    const [graphUrl, twilioUrl] = await Promise.all([graph.start(), twilioFake.start()]);
    t = await startApp(
      metaWithTwilioSmsEnv(
        graphUrl,
        twilioUrl,
        twilioFake,
        { phoneNumberId: PHONE_NUMBER_ID, appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN },
        { TWILIO_WEBHOOK_URL: TWILIO_WEBHOOK_URL, INBOUND_RETRY_INTERVAL: '200ms' },
      ),
    );
    tenant = await createTenant(t, { brandName: 'Acme' });
    hooked = await createTenant(t, { brandName: 'Acme', webhookUrl: 'http://127.0.0.1:9/hooks' });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([graph.stop(), twilioFake.stop()]);
  });

  const post = (raw: string, signature?: string) => postMetaWebhook(t, raw, signature);

  async function createInbound(
    body: Record<string, unknown>,
  ): Promise<{ id: string; waMessage: string }> {
    const res = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ flow: 'inbound', ...body })
      .expect(201);
    return { id: res.body.id, waMessage: res.body.waMessage };
  }

  async function verification(
    id: string,
    owner: TestTenant = tenant,
  ): Promise<
    Record<string, unknown> & {
      status: string;
      delivery: { channel: string; status: string; messageId: string | null } | null;
    }
  > {
    return (await t.http.get(`/v1/verifications/${id}`).set(owner.auth).expect(200)).body;
  }

  async function inboxStatus(dedupeKey: string): Promise<string | undefined> {
    const rows: { status: string }[] = await t.app
      .get(DataSource)
      .query('SELECT status FROM inbound_events WHERE dedupe_key = ?', [dedupeKey]);
    return rows[0]?.status;
  }

  function sendsTo(phone: string) {
    return graph.requests.filter((r) => (r.body as { to?: string } | null)?.to === digits(phone));
  }

  it('answers the subscription handshake only with the right verify token', async () => {
    const ok = await t.http
      .get('/v1/webhooks/meta')
      .query({
        'hub.mode': 'subscribe',
        'hub.verify_token': VERIFY_TOKEN,
        'hub.challenge': '1158201444',
      })
      .expect(200);
    expect(ok.text).toBe('1158201444');
    expect(ok.headers['content-type']).toMatch(/^text\/plain/);
    const wrong = await t.http
      .get('/v1/webhooks/meta')
      .query({ 'hub.mode': 'subscribe', 'hub.verify_token': 'nope', 'hub.challenge': '1' })
      .expect(403);
    expect(wrong.body).toMatchObject({ statusCode: 403, code: 'forbidden' });
    const mode = await t.http
      .get('/v1/webhooks/meta')
      .query({ 'hub.mode': 'unsubscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1' })
      .expect(403);
    expect(mode.body.code).toBe('forbidden');
  });

  it('approves on a signed text message carrying the token and replies with free-form text', async () => {
    const phone = uniquePhone();
    const { id, waMessage } = await createInbound({ phone });
    const raw = textMessage(phone, waMessage);
    const res = await post(raw, sign(raw)).expect(200);
    expect(res.body).toEqual({ received: 1, duplicates: 0 });

    await eventually(async () => expect((await verification(id)).status).toBe('approved'));
    const reply = await eventually(async () => {
      const sent = graph.lastMessageTo(phone);
      expect(sent).toBeDefined();
      return sent!;
    });
    expect(reply.body).toMatchObject({
      messaging_product: 'whatsapp',
      to: digits(phone),
      type: 'text',
      text: { body: 'Your number is verified. You can go back to the Acme app.' },
    });
    expect(reply.body.template).toBeUndefined();
  });

  it('verifies the signature over the exact raw bytes of escaped non-ASCII text', async () => {
    const phone = uniquePhone();
    const { id, waMessage } = await createInbound({ phone });
    const token = /WAV-[A-Z0-9-]+/.exec(waMessage)![0];
    const raw = textMessage(phone, `Vérifier mon numéro — ${token} ✅`);
    expect(raw).toContain('V\\u00e9rifier');
    await post(raw, sign(raw)).expect(200);
    await eventually(async () => expect((await verification(id)).status).toBe('approved'));

    // The same body re-serialised (unescaped UTF-8) is different bytes: the old signature no longer fits.
    const reencoded = JSON.stringify(JSON.parse(raw));
    const res = await post(reencoded, sign(raw)).expect(401);
    expect(res.body.code).toBe('invalid_signature');
  });

  it('rejects a missing or wrong signature with 401 and processes nothing', async () => {
    const phone = uniquePhone();
    const { id, waMessage } = await createInbound({ phone });
    const id1 = wamid();
    const raw = textMessage(phone, waMessage, id1);
    const missing = await post(raw).expect(401);
    expect(missing.body).toMatchObject({ statusCode: 401, code: 'invalid_signature' });
    const wrong = await post(raw, sign(raw, 'another-secret')).expect(401);
    expect(wrong.body.code).toBe('invalid_signature');
    const garbage = await post(raw, 'sha256=zz').expect(401);
    expect(garbage.body.code).toBe('invalid_signature');

    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await inboxStatus(`meta:message:${id1}`)).toBeUndefined();
    expect((await verification(id)).status).toBe('pending');
    expect(sendsTo(phone)).toHaveLength(0);
    const rejected: { data: string; actor_id: string }[] = await t.app
      .get(DataSource)
      .query("SELECT data, actor_id FROM audit_events WHERE type = 'signature.rejected'");
    // Audited at most once per IP and minute (the earlier 401s of this suite may hold the slot).
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    expect(rejected[0].actor_id).toBe('meta');
    expect(rejected[0].data).not.toContain('WAV-');
  });

  it('processes the same wamid once, delivered twice in a row or concurrently', async () => {
    const phone = uniquePhone();
    const { id, waMessage } = await createInbound({ phone });
    const messageId = wamid();
    const raw = textMessage(phone, waMessage, messageId);
    expect((await post(raw, sign(raw)).expect(200)).body).toEqual({ received: 1, duplicates: 0 });
    expect((await post(raw, sign(raw)).expect(200)).body).toEqual({ received: 0, duplicates: 1 });
    await eventually(async () =>
      expect(await inboxStatus(`meta:message:${messageId}`)).toBe('processed'),
    );
    expect((await verification(id)).status).toBe('approved');

    const phone2 = uniquePhone();
    const second = await createInbound({ phone: phone2 });
    const raw2 = textMessage(phone2, second.waMessage);
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(raw2, sign(raw2))));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.reduce((sum, a) => sum + a.body.received, 0)).toBe(1);
    await eventually(async () => expect((await verification(second.id)).status).toBe('approved'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sendsTo(phone)).toHaveLength(1);
    expect(sendsTo(phone2)).toHaveLength(1);
  });

  it('moves the delivery status forward only (a late sent after read changes nothing)', async () => {
    const phone = uniquePhone();
    const created = await t.http
      .post('/v1/verifications')
      .set(hooked.auth)
      .send({ phone })
      .expect(201);
    const { id } = created.body;
    const messageId: string = created.body.delivery.messageId;
    expect(created.body.delivery).toMatchObject({
      channel: 'whatsapp',
      status: 'accepted',
      messageId: expect.stringMatching(/^wamid\./),
    });

    for (const status of ['delivered', 'read']) {
      const raw = statusUpdate(messageId, phone, status);
      await post(raw, sign(raw)).expect(200);
      await eventually(async () =>
        expect((await verification(id, hooked)).delivery?.status).toBe(status),
      );
    }
    const late = statusUpdate(messageId, phone, 'sent');
    await post(late, sign(late)).expect(200);
    await eventually(async () =>
      expect(await inboxStatus(`meta:status:${messageId}:sent`)).toBe('processed'),
    );
    expect((await verification(id, hooked)).delivery).toEqual({
      channel: 'whatsapp',
      status: 'read',
      messageId,
      errorCode: null,
    });
    const audit: { type: string }[] = await t.app
      .get(DataSource)
      .query(
        "SELECT type FROM audit_events WHERE verification_id = ? AND type = 'message.status'",
        [id],
      );
    expect(audit).toHaveLength(2);
    const outbox: { type: string }[] = await t.app
      .get(DataSource)
      .query('SELECT type FROM webhook_deliveries WHERE verification_id = ?', [id]);
    expect(outbox.map((row) => row.type)).toEqual([
      'verification.delivery_updated',
      'verification.delivery_updated',
    ]);
  });

  it('falls back to SMS when the WhatsApp code fails and the verification asked for it', async () => {
    const phone = uniquePhone();
    const created = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone, fallbackChannels: ['sms'] })
      .expect(201);
    const { id } = created.body;
    const messageId: string = created.body.delivery.messageId;
    const whatsappCode = graph.lastCodeTo(phone)!;
    expect(whatsappCode).toMatch(/^\d{6}$/);

    const raw = statusUpdate(messageId, phone, 'failed', [
      {
        code: 131026,
        title: 'Message undeliverable',
        message: 'Message undeliverable',
        error_data: { details: 'Message Undeliverable.' },
      },
    ]);
    await post(raw, sign(raw)).expect(200);

    const sms = await eventually(async () => {
      const sent = twilioFake.lastMessageTo(phone);
      expect(sent).toBeDefined();
      return sent!;
    });
    const smsCode = /\b(\d{6})\b/.exec(sms.body.Body ?? '')![1];
    const after = await eventually(async () => {
      const v = await verification(id);
      expect(v.delivery).toMatchObject({
        channel: 'sms',
        status: 'queued',
        messageId: expect.stringMatching(/^SM/),
      });
      return v;
    });
    expect(after).toMatchObject({ status: 'pending', sendsRemaining: 3 });
    if (smsCode !== whatsappCode) {
      const old = await t.http
        .post(`/v1/verifications/${id}/check`)
        .set(tenant.auth)
        .send({ code: whatsappCode })
        .expect(200);
      expect(old.body.valid).toBe(false);
    }
    const ok = await t.http
      .post(`/v1/verifications/${id}/check`)
      .set(tenant.auth)
      .send({ code: smsCode })
      .expect(200);
    expect(ok.body.valid).toBe(true);

    // The same failure delivered again sends no second SMS.
    await post(raw, sign(raw)).expect(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(
      twilioFake.requests.filter((r) => (r.body as { To?: string } | null)?.To === phone),
    ).toHaveLength(1);
  });

  it('does not fall back for a failed code without sms in fallbackChannels', async () => {
    const phone = uniquePhone();
    const created = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone })
      .expect(201);
    const messageId: string = created.body.delivery.messageId;
    const raw = statusUpdate(messageId, phone, 'failed', [
      { code: 131026, title: 'Message undeliverable' },
    ]);
    await post(raw, sign(raw)).expect(200);
    await eventually(async () =>
      expect((await verification(created.body.id)).delivery?.status).toBe('failed'),
    );
    expect(twilioFake.lastMessageTo(phone)).toBeUndefined();
  });

  it('never approves a phone-bound verification for a sender whose phone is hidden (user_id only)', async () => {
    const phone = uniquePhone();
    const { id, waMessage } = await createInbound({ phone });
    const messageId = wamid();
    const raw = metaInboundText(
      PHONE_NUMBER_ID,
      {
        userId: 'US.13491208655302741918',
        profile: { name: 'Sheena', username: '@sheena' },
        id: messageId,
        text: waMessage,
      },
      AS_META,
    );
    await post(raw, sign(raw)).expect(200);
    await eventually(async () =>
      expect(await inboxStatus(`meta:message:${messageId}`)).toBe('processed'),
    );
    expect(await verification(id)).toMatchObject({ status: 'pending', phone, waUserId: null });
    const audit: { data: string }[] = await t.app
      .get(DataSource)
      .query(
        "SELECT data FROM audit_events WHERE verification_id = ? AND type = 'inbound.mismatch'",
        [id],
      );
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0].data)).toMatchObject({ reason: 'phone_hidden' });
  });

  it('approves a phone-less confirm verification for a user_id-only sender and records the user id when the app allows username-only senders', async () => {
    const usernames = await createTenant(t, { brandName: 'Acme', allowUsernameOnly: true });
    const created = await t.http
      .post('/v1/verifications')
      .set(usernames.auth)
      .send({ flow: 'inbound' })
      .expect(201);
    const { id, waMessage } = created.body as { id: string; waMessage: string };
    const messageId = wamid();
    const raw = metaInboundText(
      PHONE_NUMBER_ID,
      {
        userId: 'BR.55500011122233344455',
        profile: { name: 'Ana' },
        id: messageId,
        text: waMessage,
      },
      AS_META,
    );
    await post(raw, sign(raw)).expect(200);
    await eventually(async () =>
      expect(await verification(id, usernames)).toMatchObject({
        status: 'approved',
        phone: null,
        waUserId: 'BR.55500011122233344455',
      }),
    );
  });

  it('ignores notifications for another business number', async () => {
    const phone = uniquePhone();
    const { id, waMessage } = await createInbound({ phone });
    const raw = textMessage(phone, waMessage, wamid(), '999999999999999');
    expect((await post(raw, sign(raw)).expect(200)).body).toEqual({ received: 0, duplicates: 0 });
    expect((await verification(id)).status).toBe('pending');
  });

  it('answers 404 for the sandbox inbound route when no sandbox provider is in use', async () => {
    const res = await t.http
      .post('/v1/sandbox/inbound')
      .set(tenant.auth)
      .send({ from: uniquePhone(), text: 'hi' })
      .expect(404);
    expect(res.body.code).toBe('not_found');
  });
});

describe('Twilio webhooks (Messages API fake at the HTTP boundary)', () => {
  const fake = new FakeTwilioServer();
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    const url = await fake.start();
    t = await startApp({
      WHATSAPP_PROVIDER: 'twilio',
      SMS_PROVIDER: 'twilio',
      TWILIO_API_BASE_URL: url,
      TWILIO_ACCOUNT_SID: fake.accountSid,
      TWILIO_AUTH_TOKEN: fake.authToken,
      TWILIO_SMS_FROM: '+15550002222',
      TWILIO_WHATSAPP_FROM: '+15550001111',
      TWILIO_WEBHOOK_URL: TWILIO_WEBHOOK_URL,
      INBOUND_RETRY_INTERVAL: '200ms',
    });
    tenant = await createTenant(t, { brandName: 'Acme' });
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });

  function post(
    params: Record<string, string>,
    signature = twilio.getExpectedTwilioSignature(fake.authToken, TWILIO_WEBHOOK_URL, params),
  ) {
    return t.http
      .post('/v1/webhooks/twilio')
      .type('form')
      .set('X-Twilio-Signature', signature)
      .send(params);
  }

  async function verification(
    id: string,
  ): Promise<Record<string, unknown> & { status: string; delivery: { status: string } | null }> {
    return (await t.http.get(`/v1/verifications/${id}`).set(tenant.auth).expect(200)).body;
  }

  const sid = (): string => `SM${randomBytes(16).toString('hex')}`;

  it('updates the delivery status from a signed status callback and answers empty TwiML', async () => {
    const phone = uniquePhone();
    const created = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone })
      .expect(201);
    const messageSid: string = created.body.delivery.messageId;
    expect(messageSid).toMatch(/^SM/);
    const res = await post({
      AccountSid: fake.accountSid,
      ApiVersion: '2010-04-01',
      From: 'whatsapp:+15550001111',
      MessageSid: messageSid,
      MessageStatus: 'delivered',
      SmsSid: messageSid,
      SmsStatus: 'delivered',
      To: `whatsapp:${phone}`,
    }).expect(200);
    expect(res.text).toBe('<Response></Response>');
    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    await eventually(async () =>
      expect((await verification(created.body.id)).delivery?.status).toBe('delivered'),
    );
  });

  it('approves on a signed inbound WhatsApp message and replies through Twilio', async () => {
    const phone = uniquePhone();
    const created = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ flow: 'inbound', phone })
      .expect(201);
    await post({
      AccountSid: fake.accountSid,
      ApiVersion: '2010-04-01',
      Body: created.body.waMessage,
      From: `whatsapp:${phone}`,
      MessageSid: sid(),
      NumMedia: '0',
      ProfileName: 'Sheena',
      SmsMessageSid: sid(),
      SmsStatus: 'received',
      To: 'whatsapp:+15550001111',
      WaId: digits(phone),
    }).expect(200);
    await eventually(async () =>
      expect((await verification(created.body.id)).status).toBe('approved'),
    );
    const reply = await eventually(async () => {
      const sent = fake.lastMessageTo(phone);
      expect(sent).toBeDefined();
      return sent!;
    });
    expect(reply.body).toMatchObject({
      To: `whatsapp:${phone}`,
      Body: 'Your number is verified. You can go back to the Acme app.',
    });
  });

  it('rejects a wrong or missing signature with 401 invalid_signature', async () => {
    const params = {
      AccountSid: fake.accountSid,
      MessageSid: sid(),
      MessageStatus: 'delivered',
      To: '+6281200000000',
      From: '+15550002222',
    };
    const wrong = await post(
      params,
      twilio.getExpectedTwilioSignature('not-the-token', TWILIO_WEBHOOK_URL, params),
    ).expect(401);
    expect(wrong.body).toMatchObject({ statusCode: 401, code: 'invalid_signature' });
    const otherUrl = await post(
      params,
      twilio.getExpectedTwilioSignature(
        fake.authToken,
        'https://elsewhere.example.com/hook',
        params,
      ),
    ).expect(401);
    expect(otherUrl.body.code).toBe('invalid_signature');
    const missing = await t.http.post('/v1/webhooks/twilio').type('form').send(params).expect(401);
    expect(missing.body.code).toBe('invalid_signature');
    const rows: unknown[] = await t.app
      .get(DataSource)
      .query('SELECT id FROM inbound_events WHERE dedupe_key = ?', [
        `twilio:status:${params.MessageSid}:delivered`,
      ]);
    expect(rows).toHaveLength(0);
  });
});
