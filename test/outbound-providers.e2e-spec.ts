import { FakeGraphServer } from './support/fake-graph-server';
import { FakeTwilioServer } from './support/fake-twilio-server';
import { createTenant, startApp, TestApp, TestTenant, uniquePhone } from './support/harness';
import { metaWithTwilioSmsEnv } from './support/provider-env';
import { ageVerification } from './support/time-travel';

describe('Outbound flow through Meta Cloud API with Twilio SMS fallback (fake servers on 127.0.0.1)', () => {
  const graph = new FakeGraphServer();
  const twilio = new FakeTwilioServer();
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    const [graphUrl, twilioUrl] = await Promise.all([graph.start(), twilio.start()]);
    t = await startApp(
      metaWithTwilioSmsEnv(
        graphUrl,
        twilioUrl,
        twilio,
        {
          phoneNumberId: '106540352242922',
          appSecret: 'test-app-secret',
          verifyToken: 'test-verify-token',
        },
        {
          META_API_VERSION: 'v21.0',
          META_OTP_TEMPLATE: 'acme_otp',
          META_TIMEOUT: '500ms',
          META_TEMPLATE_LANGUAGES: 'en,id',
        },
      ),
    );
    tenant = await createTenant(t);
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([graph.stop(), twilio.stop()]);
  });
  beforeEach(() => {
    graph.reset();
    twilio.reset();
  });

  it('sends the authentication template with the code in the body and the copy-code button, then checks it', async () => {
    const phone = uniquePhone();
    const res = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone, locale: 'id' })
      .expect(201);
    const sent = graph.lastMessageTo(phone);
    expect(sent?.path).toBe('/v21.0/106540352242922/messages');
    expect(sent?.headers.authorization).toBe('Bearer test-access-token');
    const code = graph.lastCodeTo(phone)!;
    expect(code).toMatch(/^\d{6}$/);
    expect(sent?.body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: phone.slice(1),
      type: 'template',
      template: {
        name: 'acme_otp',
        language: { code: 'id' },
        components: [
          { type: 'body', parameters: [{ type: 'text', text: code }] },
          {
            type: 'button',
            sub_type: 'url',
            index: '0',
            parameters: [{ type: 'text', text: code }],
          },
        ],
      },
    });
    const wamid = res.body.delivery.messageId as string;
    expect(res.body.delivery).toEqual({
      channel: 'whatsapp',
      status: 'accepted',
      messageId: wamid,
      errorCode: null,
    });
    expect(wamid).toMatch(/^wamid\./);
    expect(twilio.requests).toHaveLength(0);

    const ok = await t.http
      .post(`/v1/verifications/${res.body.id}/check`)
      .set(tenant.auth)
      .send({ code })
      .expect(200);
    expect(ok.body.valid).toBe(true);
  });

  it('falls back to SMS through Twilio when the Graph API refuses, and records the channel that carried it', async () => {
    graph.failNext(1, 400, {
      error: {
        message: '(#131026) Message undeliverable',
        type: 'OAuthException',
        code: 131026,
        fbtrace_id: 'x',
      },
    });
    const phone = uniquePhone();
    const res = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone, fallbackChannels: ['sms'] })
      .expect(201);
    expect(res.body.delivery).toMatchObject({ channel: 'sms', status: expect.any(String) });
    const sms = twilio.lastMessageTo(phone);
    expect(sms?.body.From).toBe('+15005550006');
    const code = /\b(\d{6})\b/.exec(sms?.body.Body ?? '')![1];
    const ok = await t.http
      .post(`/v1/verifications/${res.body.id}/check`)
      .set(tenant.auth)
      .send({ code })
      .expect(200);
    expect(ok.body.valid).toBe(true);
  });

  it('falls back when the Graph API times out', async () => {
    graph.delayMs = 2000;
    const phone = uniquePhone();
    const res = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone, fallbackChannels: ['sms'] })
      .expect(201);
    expect(res.body.delivery.channel).toBe('sms');
    expect(twilio.lastMessageTo(phone)).toBeDefined();
  });

  it('does not fall back unless asked: a refused send fails the verification with 502 delivery_failed', async () => {
    graph.failNext(1, 400, {
      error: { message: 'Invalid parameter', type: 'OAuthException', code: 100 },
    });
    const phone = uniquePhone();
    const res = await t.http.post('/v1/verifications').set(tenant.auth).send({ phone }).expect(502);
    expect(res.body).toMatchObject({
      statusCode: 502,
      code: 'delivery_failed',
      id: expect.any(String),
    });
    expect(twilio.requests).toHaveLength(0);
    const read = await t.http.get(`/v1/verifications/${res.body.id}`).set(tenant.auth).expect(200);
    expect(read.body).toMatchObject({ status: 'failed', delivery: { status: 'failed' } });
  });

  it('fails with delivery_failed when every channel fails', async () => {
    graph.failAll(500);
    twilio.failAll(500);
    const phone = uniquePhone();
    const res = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone, fallbackChannels: ['sms'] })
      .expect(502);
    expect(res.body.code).toBe('delivery_failed');
    expect(JSON.stringify(res.body)).not.toContain(phone);
    const read = await t.http.get(`/v1/verifications/${res.body.id}`).set(tenant.auth).expect(200);
    expect(read.body.status).toBe('failed');
  });

  it('answers 502 on a resend no channel can deliver and leaves the verification pending', async () => {
    const phone = uniquePhone();
    const created = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone })
      .expect(201);
    const firstCode = graph.lastCodeTo(phone)!;
    await ageVerification(t, created.body.id, 31_000);
    graph.failNext(1, 500);
    const res = await t.http
      .post(`/v1/verifications/${created.body.id}/resend`)
      .set(tenant.auth)
      .send({})
      .expect(502);
    expect(res.body).toMatchObject({ code: 'delivery_failed', id: created.body.id });
    const read = await t.http
      .get(`/v1/verifications/${created.body.id}`)
      .set(tenant.auth)
      .expect(200);
    expect(read.body).toMatchObject({
      status: 'pending',
      sendsRemaining: 3,
      delivery: { status: 'failed' },
    });
    // The claimed resend replaced the code: the first one no longer approves.
    const old = await t.http
      .post(`/v1/verifications/${created.body.id}/check`)
      .set(tenant.auth)
      .send({ code: firstCode })
      .expect(200);
    expect(old.body.valid).toBe(false);
  });

  it('sends SMS directly when the channel is sms', async () => {
    const phone = uniquePhone();
    const res = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone, channel: 'sms' })
      .expect(201);
    expect(res.body.delivery.channel).toBe('sms');
    expect(graph.requests).toHaveLength(0);
    expect(twilio.lastMessageTo(phone)?.body.Body).toMatch(/\d{6}/);
  });
});
