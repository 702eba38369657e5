import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { FakeGraphServer } from './support/fake-graph-server';
import { FakeTwilioServer } from './support/fake-twilio-server';
import {
  createTenant,
  e2eDatabaseUrl,
  sandboxCodeFor,
  startApp,
  TestApp,
  TestTenant,
  uniquePhone,
} from './support/harness';
import { metaSignature, metaStatus, postMetaWebhook } from './support/meta-notifications';
import { declaredTypes, parseSamples, valueOf } from './support/metrics-text';
import { metaWithTwilioSmsEnv } from './support/provider-env';
import { hourStart, seedVelocityCounter } from './support/velocity-counters';
import { waitFor } from './support/wait';
import { WebhookReceiver } from './support/webhook-receiver';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef0123456789';

async function scrape(t: TestApp, token?: string): Promise<string> {
  const req = t.http.get('/metrics');
  if (token) req.set('Authorization', `Bearer ${token}`);
  const res = await req.expect(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  return res.text;
}

/** A code other than `code`, of the same length. */
const wrongCode = (code: string): string =>
  code
    .split('')
    .map((digit) => String((Number(digit) + 1) % 10))
    .join('');

/** Create, a wrong check, then the right one (sandbox WhatsApp). Returns the verification id. */
async function outboundFlow(t: TestApp, tenant: TestTenant, phone: string): Promise<string> {
  const created = await t.http
    .post('/v1/verifications')
    .set(tenant.auth)
    .send({ phone })
    .expect(201);
  const id = created.body.id as string;
  const code = await sandboxCodeFor(t, tenant, phone);
  const wrong = await t.http
    .post(`/v1/verifications/${id}/check`)
    .set(tenant.auth)
    .send({ code: wrongCode(code) })
    .expect(200);
  expect(wrong.body.valid).toBe(false);
  const right = await t.http
    .post(`/v1/verifications/${id}/check`)
    .set(tenant.auth)
    .send({ code })
    .expect(200);
  expect(right.body).toMatchObject({ status: 'approved', valid: true });
  return id;
}

describe('GET /metrics', () => {
  const databaseUrl = e2eDatabaseUrl();
  const receiver = new WebhookReceiver();
  let t: TestApp;

  beforeAll(async () => {
    await receiver.start();
    t = await startApp({}, databaseUrl);
  });
  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });

  it('is open without METRICS_TOKEN and declares every series of the contract', async () => {
    const text = await scrape(t);
    const types = declaredTypes(text);
    for (const [name, type] of Object.entries({
      waverify_verifications_created_total: 'counter',
      waverify_verifications_completed_total: 'counter',
      waverify_checks_total: 'counter',
      waverify_messages_sent_total: 'counter',
      waverify_provider_request_duration_seconds: 'histogram',
      waverify_delivery_status_total: 'counter',
      waverify_provider_webhooks_total: 'counter',
      waverify_client_webhook_attempts_total: 'counter',
      waverify_client_webhook_pending: 'gauge',
      waverify_client_webhook_oldest_pending_seconds: 'gauge',
      waverify_inbox_pending: 'gauge',
      waverify_rate_limited_total: 'counter',
      waverify_fraud_blocks_total: 'counter',
      waverify_http_request_duration_seconds: 'histogram',
      process_cpu_seconds_total: 'counter',
      nodejs_heap_size_used_bytes: 'gauge',
    }))
      expect([name, types.get(name)]).toEqual([name, type]);
    // Bounded series exist at 0 before the first event, so rate() and the alerts work from the start.
    expect(text).toContain('waverify_fraud_blocks_total{reason="low_conversion"} 0');
    expect(text).toContain('waverify_checks_total{result="not_pending"} 0');
    expect(text).toContain('waverify_rate_limited_total{limit="phone-15m"} 0');
    expect(text).toContain('waverify_client_webhook_attempts_total{outcome="timeout"} 0');
  });

  it('counts an outbound flow exactly, with bounded labels (country ID for +62, never the phone or the id)', async () => {
    const url = receiver.expect([]);
    const tenant = await createTenant(t, { webhookUrl: url });
    receiver.setSecrets(url, [tenant.webhookSecret]);
    const before = await scrape(t);
    const phone = uniquePhone('+62812');
    const id = await outboundFlow(t, tenant, phone);
    // The approval's client webhook is delivered by the dispatcher, off the request path.
    await waitFor(() => receiver.at(url).some((hook) => hook.status === 200), 10_000);
    const after = await waitFor(async () => {
      const text = await scrape(t);
      return valueOf(text, 'waverify_client_webhook_attempts_total', { outcome: 'delivered' }) >
        valueOf(before, 'waverify_client_webhook_attempts_total', { outcome: 'delivered' })
        ? text
        : undefined;
    }, 10_000);

    const delta = (name: string, labels: Record<string, string>) =>
      valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(
      delta('waverify_verifications_created_total', {
        flow: 'outbound',
        channel: 'whatsapp',
        country: 'ID',
      }),
    ).toBe(1);
    expect(
      delta('waverify_verifications_completed_total', {
        flow: 'outbound',
        channel: 'whatsapp',
        status: 'approved',
        country: 'ID',
      }),
    ).toBe(1);
    expect(delta('waverify_checks_total', { result: 'invalid' })).toBe(1);
    expect(delta('waverify_checks_total', { result: 'valid' })).toBe(1);
    expect(delta('waverify_checks_total', { result: 'not_pending' })).toBe(0);
    expect(
      delta('waverify_messages_sent_total', {
        provider: 'sandbox',
        channel: 'whatsapp',
        outcome: 'ok',
      }),
    ).toBe(1);
    expect(
      delta('waverify_provider_request_duration_seconds_count', {
        provider: 'sandbox',
        channel: 'whatsapp',
      }),
    ).toBe(1);
    expect(delta('waverify_client_webhook_attempts_total', { outcome: 'delivered' })).toBe(1);

    // A check on the approved verification is not_pending.
    await t.http
      .post(`/v1/verifications/${id}/check`)
      .set(tenant.auth)
      .send({ code: '123456' })
      .expect(409);
    const later = await scrape(t);
    expect(
      valueOf(later, 'waverify_checks_total', { result: 'not_pending' }) -
        valueOf(after, 'waverify_checks_total', { result: 'not_pending' }),
    ).toBe(1);

    // Never a phone number, an id or an app id in any label.
    expect(later).not.toContain(phone.slice(1));
    expect(later).not.toContain(id);
    expect(later).not.toContain(tenant.appId);
    for (const sample of parseSamples(later).filter((s) => 'country' in s.labels))
      expect(sample.labels.country).toMatch(/^[A-Z]{2}$/);
  });

  it('labels HTTP requests with the route pattern, never the raw URL; unknown routes as unmatched', async () => {
    const tenant = await createTenant(t);
    const id = 'e0b3b7f4-0f5e-4f43-9d0b-7f0c2a1d9c11';
    await t.http.get(`/v1/verifications/${id}`).set(tenant.auth).expect(404);
    await t.http.get(`/no/such/route/${id}`).expect(404);
    const text = await scrape(t);
    expect(text).not.toContain(id);
    expect(
      valueOf(text, 'waverify_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/v1/verifications/:id',
        status_code: '404',
      }),
    ).toBe(1);
    expect(
      valueOf(text, 'waverify_http_request_duration_seconds_count', {
        method: 'GET',
        route: 'unmatched',
        status_code: '404',
      }),
    ).toBeGreaterThanOrEqual(1);
    const routes = new Set(
      parseSamples(text)
        .filter((s) => s.name === 'waverify_http_request_duration_seconds_count')
        .map((s) => s.labels.route),
    );
    for (const route of routes) expect(route === 'unmatched' || route.startsWith('/')).toBe(true);
    expect(routes).toContain('/v1/apps');
  });

  it('counts creations refused by the velocity guard as fraud blocks', async () => {
    const tenant = await createTenant(t);
    await seedVelocityCounter(t, tenant.appId, '49', hourStart(), 100);
    const before = await scrape(t);
    for (let i = 0; i < 2; i += 1) {
      const refused = await t.http
        .post('/v1/verifications')
        .set(tenant.auth)
        .send({ phone: uniquePhone('+49151') })
        .expect(403);
      expect(refused.body.code).toBe('country_not_allowed');
    }
    const after = await scrape(t);
    expect(
      valueOf(after, 'waverify_fraud_blocks_total', { reason: 'velocity' }) -
        valueOf(before, 'waverify_fraud_blocks_total', { reason: 'velocity' }),
    ).toBe(2);
    expect(
      valueOf(after, 'waverify_verifications_created_total', {
        flow: 'outbound',
        channel: 'whatsapp',
        country: 'DE',
      }),
    ).toBe(0);
  });

  it('shows the pending client-webhook backlog and its age, from the database at scrape time', async () => {
    // A fresh instance on the same database: its gauges are read on its first scrape (no cache yet).
    const dead = await createTenant(t, { webhookUrl: 'http://127.0.0.1:9/hooks' });
    await outboundFlow(t, dead, uniquePhone('+62813'));
    const pending = async (): Promise<{ n: number; oldest: number }> => {
      const [row] = await t.app
        .get(DataSource)
        .query<{ n: unknown; oldest: unknown }[]>(
          "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM webhook_deliveries WHERE status = 'pending'",
        );
      return { n: Number(row.n), oldest: Number(row.oldest) };
    };
    const inboxPending = async (): Promise<number> => {
      const [row] = await t.app
        .get(DataSource)
        .query<{ n: unknown }[]>(
          "SELECT COUNT(*) AS n FROM inbound_events WHERE status = 'pending'",
        );
      return Number(row.n);
    };
    // The dispatcher tries the dead URL once (a failed attempt), then waits for the retry.
    await waitFor(async () => {
      const text = await scrape(t);
      return valueOf(text, 'waverify_client_webhook_attempts_total', { outcome: 'failed' }) >= 1;
    }, 10_000);
    const second = await startApp({ WEBHOOK_RETRY_SCHEDULE: '1h' }, databaseUrl);
    try {
      const expected = await pending();
      expect(expected.n).toBeGreaterThanOrEqual(1);
      const inboxBefore = await inboxPending();
      const text = await scrape(second);
      // Likewise for deliveries (left by other suites on a shared database, retried meanwhile).
      const after = await pending();
      const pendingGauge = valueOf(text, 'waverify_client_webhook_pending');
      expect(pendingGauge).toBeGreaterThanOrEqual(Math.min(expected.n, after.n));
      expect(pendingGauge).toBeLessThanOrEqual(Math.max(expected.n, after.n));
      const age = valueOf(text, 'waverify_client_webhook_oldest_pending_seconds');
      expect(age).toBeGreaterThanOrEqual(0);
      expect(age).toBeLessThan((Date.now() - expected.oldest) / 1000 + 1);
      expect(age).toBeGreaterThan((Date.now() - expected.oldest) / 1000 - 30);
      // Earlier suites may have left inbox rows on a shared database, which this instance may be
      // processing: the gauge lies between the table's counts before and after the scrape.
      const inboxAfter = await inboxPending();
      const inboxGauge = valueOf(text, 'waverify_inbox_pending');
      expect(inboxGauge).toBeGreaterThanOrEqual(Math.min(inboxBefore, inboxAfter));
      expect(inboxGauge).toBeLessThanOrEqual(Math.max(inboxBefore, inboxAfter));
    } finally {
      await second.close();
    }
  });
});

describe('GET /metrics with METRICS_TOKEN and METRICS_APP_LABEL', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({
      METRICS_TOKEN,
      METRICS_APP_LABEL: 'true',
      RATE_LIMIT_PHONE_PER_15_MINUTES: '1',
    });
  });
  afterAll(async () => t.close());

  it('answers 401 unauthorized without the token or with a wrong one, 200 with it', async () => {
    const none = await t.http.get('/metrics').expect(401);
    expect(none.body).toMatchObject({ statusCode: 401, code: 'unauthorized' });
    const wrong = await t.http
      .get('/metrics')
      .set('Authorization', `Bearer ${METRICS_TOKEN.slice(0, -1)}x`)
      .expect(401);
    expect(wrong.body.code).toBe('unauthorized');
    const short = await t.http.get('/metrics').set('Authorization', 'Bearer x').expect(401);
    expect(short.body.code).toBe('unauthorized');
    const adminKey = await t.http
      .get('/metrics')
      .set('Authorization', `Bearer ${t.config.adminApiKey}`)
      .expect(401);
    expect(adminKey.body.code).toBe('unauthorized');
    expect(await scrape(t, METRICS_TOKEN)).toContain('waverify_checks_total');
  });

  it('adds app_id to the verification series only', async () => {
    const tenant = await createTenant(t);
    await outboundFlow(t, tenant, uniquePhone('+62812'));
    const text = await scrape(t, METRICS_TOKEN);
    expect(
      valueOf(text, 'waverify_verifications_created_total', {
        flow: 'outbound',
        channel: 'whatsapp',
        country: 'ID',
        app_id: tenant.appId,
      }),
    ).toBe(1);
    expect(
      valueOf(text, 'waverify_verifications_completed_total', {
        flow: 'outbound',
        channel: 'whatsapp',
        status: 'approved',
        country: 'ID',
        app_id: tenant.appId,
      }),
    ).toBe(1);
    const withAppId = new Set(
      parseSamples(text)
        .filter((s) => 'app_id' in s.labels)
        .map((s) => s.name),
    );
    expect([...withAppId].sort()).toEqual([
      'waverify_verifications_completed_total',
      'waverify_verifications_created_total',
    ]);
  });

  it('counts each request refused by a rate limit under its limiter', async () => {
    const tenant = await createTenant(t);
    const phone = uniquePhone('+62812');
    const before = await scrape(t, METRICS_TOKEN);
    await t.http.post('/v1/verifications').set(tenant.auth).send({ phone }).expect(201);
    for (let i = 0; i < 2; i += 1) {
      const refused = await t.http
        .post('/v1/verifications')
        .set(tenant.auth)
        .send({ phone })
        .expect(429);
      expect(refused.body.code).toBe('rate_limited');
    }
    const after = await scrape(t, METRICS_TOKEN);
    expect(
      valueOf(after, 'waverify_rate_limited_total', { limit: 'phone-15m' }) -
        valueOf(before, 'waverify_rate_limited_total', { limit: 'phone-15m' }),
    ).toBe(2);
  });
});

describe('GET /metrics: provider webhooks (Meta Cloud API fake)', () => {
  const PHONE_NUMBER_ID = '106540352242922';
  const APP_SECRET = 'meta-app-secret-0123456789';
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
        { INBOUND_RETRY_INTERVAL: '200ms' },
      ),
    );
    tenant = await createTenant(t);
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([graph.stop(), twilioFake.stop()]);
  });

  it('counts sends to Meta, signed status webhooks (accepted, duplicate, invalid signature) and the delivery statuses they carry', async () => {
    const phone = uniquePhone('+62812');
    const created = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone })
      .expect(201);
    const messageId = created.body.delivery.messageId as string;
    expect(messageId).toBeTruthy();
    const before = await scrape(t);
    const raw = metaStatus(PHONE_NUMBER_ID, { messageId, recipient: phone, status: 'delivered' });
    const post = (body: string, signature: string) => postMetaWebhook(t, body, signature);
    await post(raw, metaSignature(raw, APP_SECRET)).expect(200);
    await post(raw, metaSignature(raw, APP_SECRET)).expect(200);
    await post(raw, `sha256=${randomBytes(32).toString('hex')}`).expect(401);
    await waitFor(
      async () =>
        (await t.http.get(`/v1/verifications/${created.body.id}`).set(tenant.auth).expect(200)).body
          .delivery.status === 'delivered',
      10_000,
    );
    const after = await scrape(t);
    const delta = (name: string, labels: Record<string, string>) =>
      valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(
      delta('waverify_delivery_status_total', { channel: 'whatsapp', status: 'delivered' }),
    ).toBe(1);
    expect(
      delta('waverify_provider_webhooks_total', { provider: 'meta', outcome: 'accepted' }),
    ).toBe(1);
    expect(
      delta('waverify_provider_webhooks_total', { provider: 'meta', outcome: 'duplicate' }),
    ).toBe(1);
    expect(
      delta('waverify_provider_webhooks_total', { provider: 'meta', outcome: 'invalid_signature' }),
    ).toBe(1);
    expect(
      valueOf(after, 'waverify_messages_sent_total', {
        provider: 'meta',
        channel: 'whatsapp',
        outcome: 'ok',
      }),
    ).toBe(1);
    expect(after).not.toContain(messageId);
  });
});
