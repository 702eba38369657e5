import { DataSource } from 'typeorm';
import { FakeGraphServer } from './support/fake-graph-server';
import { FakeTwilioServer } from './support/fake-twilio-server';
import {
  ADMIN_KEY,
  createTenant,
  e2eDatabaseUrl,
  sandboxCodeFor,
  startApp,
  TestApp,
  TestTenant,
  uniquePhone,
} from './support/harness';
import {
  metaPricing,
  metaSignature,
  metaStatus,
  postMetaWebhook,
} from './support/meta-notifications';
import { metaWithTwilioSmsEnv } from './support/provider-env';
import { ageVerification } from './support/time-travel';
import { waitFor } from './support/wait';

/**
 * Conversion analytics: the outcomes marked as things happen, folded into counters (by creation
 * day, once per outcome) and GET /v1/analytics/conversion answered from them.
 */
const ADMIN = { Authorization: `Bearer ${ADMIN_KEY}` };
const RELAXED_LIMITS = {
  RATE_LIMIT_PHONE_PER_15_MINUTES: '1000',
  RATE_LIMIT_PHONE_PER_DAY: '1000',
  RATE_LIMIT_API_KEY_PER_MINUTE: '100000',
};

interface Row {
  country?: string;
  channel?: string;
  flow?: string;
  day?: string;
  created: number;
  sent: number;
  delivered: number;
  read: number;
  approved: number;
  expired: number;
  failed: number;
  canceled: number;
  billed: number;
  conversionRate: number;
  cost: number | null;
}

async function report(
  t: TestApp,
  auth: Record<string, string>,
  query: Record<string, string> = {},
): Promise<{ from: string; to: string; groupBy: string[]; data: Row[] }> {
  return (await t.http.get('/v1/analytics/conversion').query(query).set(auth).expect(200)).body;
}

async function total(t: TestApp, tenant: TestTenant): Promise<Row> {
  const body = await report(t, tenant.auth);
  expect(body.data).toHaveLength(1);
  return body.data[0];
}

const ZERO = {
  created: 0,
  sent: 0,
  delivered: 0,
  read: 0,
  approved: 0,
  expired: 0,
  failed: 0,
  canceled: 0,
  billed: 0,
};

describe('Conversion analytics (sandbox provider)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp(RELAXED_LIMITS);
  });
  afterAll(() => t.close());

  async function create(
    owner: TestTenant,
    body: Record<string, unknown>,
  ): Promise<{ id: string; waMessage?: string }> {
    const res = await t.http.post('/v1/verifications').set(owner.auth).send(body).expect(201);
    return res.body;
  }

  async function check(owner: TestTenant, id: string, code: string, status = 200) {
    return (
      await t.http
        .post(`/v1/verifications/${id}/check`)
        .set(owner.auth)
        .send({ code })
        .expect(status)
    ).body;
  }

  it('counts each outcome of the lifecycle once, under the creation day, country, channel and flow', async () => {
    const owner = await createTenant(t);
    // approved
    const approvedPhone = uniquePhone();
    const approved = await create(owner, { phone: approvedPhone });
    await check(owner, approved.id, await sandboxCodeFor(t, owner, approvedPhone));
    await check(owner, approved.id, await sandboxCodeFor(t, owner, approvedPhone), 409);
    // canceled (twice: the second is refused and counts nothing)
    const canceled = await create(owner, { phone: uniquePhone() });
    await t.http.post(`/v1/verifications/${canceled.id}/cancel`).set(owner.auth).expect(200);
    await t.http.post(`/v1/verifications/${canceled.id}/cancel`).set(owner.auth).expect(409);
    // expired (found due when used)
    const expired = await create(owner, { phone: uniquePhone() });
    await ageVerification(t, expired.id, 3_600_000);
    await check(owner, expired.id, '000000', 409);
    await check(owner, expired.id, '000000', 409);
    // max attempts reached → failed
    const lockedOut = await create(owner, { phone: uniquePhone() });
    for (let i = 0; i < 5; i += 1) await check(owner, lockedOut.id, '000000');
    // still pending, in Italy
    await create(owner, { phone: '+393471234567' });
    // inbound approval (counted under the phone given at creation)
    const inboundPhone = uniquePhone();
    const inbound = await create(owner, { flow: 'inbound', phone: inboundPhone });
    await t.http
      .post('/v1/sandbox/inbound')
      .set(owner.auth)
      .send({ from: inboundPhone, text: inbound.waMessage })
      .expect(200);
    await waitFor(
      async () =>
        (await t.http.get(`/v1/verifications/${inbound.id}`).set(owner.auth)).body.status ===
        'approved',
    );

    const all = await total(t, owner);
    expect(all).toEqual({
      ...ZERO,
      created: 6,
      sent: 6, // five codes and the inbound confirmation
      approved: 2,
      expired: 1,
      failed: 1,
      canceled: 1,
      conversionRate: 0.3333,
      cost: null,
    });

    const byFlowAndCountry = await report(t, owner.auth, { groupBy: 'flow,country' });
    expect(byFlowAndCountry.groupBy).toEqual(['flow', 'country']);
    expect(byFlowAndCountry.data).toEqual([
      {
        ...ZERO,
        flow: 'inbound',
        country: 'ID',
        created: 1,
        sent: 1,
        approved: 1,
        conversionRate: 1,
        cost: null,
      },
      {
        ...ZERO,
        flow: 'outbound',
        country: 'ID',
        created: 4,
        sent: 4,
        approved: 1,
        expired: 1,
        failed: 1,
        canceled: 1,
        conversionRate: 0.25,
        cost: null,
      },
      {
        ...ZERO,
        flow: 'outbound',
        country: 'IT',
        created: 1,
        sent: 1,
        conversionRate: 0,
        cost: null,
      },
    ]);

    const today = new Date().toISOString().slice(0, 10);
    const byDay = await report(t, owner.auth, { groupBy: 'day,channel' });
    expect(byDay.data).toEqual([
      expect.objectContaining({ day: today, channel: 'whatsapp', created: 6, approved: 2 }),
    ]);
  });

  it('folds outcomes into the counters on its own within seconds, with no report asked', async () => {
    const owner = await createTenant(t);
    const phone = uniquePhone();
    const { id } = await create(owner, { phone });
    await check(owner, id, await sandboxCodeFor(t, owner, phone));
    const db = t.app.get(DataSource);
    const folded = await waitFor(async () => {
      const [row]: Record<string, string | number | null>[] = await db.query(
        'SELECT SUM(created_count) AS created, SUM(sent_count) AS sent, SUM(approved_count) AS approved FROM conversion_counters WHERE app_id = ?',
        [owner.appId],
      );
      return Number(row.approved) === 1 ? row : undefined;
    }, 10_000);
    expect([folded.created, folded.sent, folded.approved].map(Number)).toEqual([1, 1, 1]);
    const [mark]: { unfolded: number | string }[] = await db.query(
      'SELECT unfolded FROM conversion_marks WHERE verification_id = ?',
      [id],
    );
    expect(Number(mark.unfolded)).toBe(0);
  });

  it('never counts test-number verifications', async () => {
    const owner = await createTenant(t, {
      testNumbers: [{ phone: '+6281200000001', code: '123456' }],
    });
    const real = await create(owner, { phone: uniquePhone() });
    const fake = await create(owner, { phone: '+6281200000001' });
    await check(owner, fake.id, '123456');
    await t.http.post(`/v1/verifications/${real.id}/cancel`).set(owner.auth).expect(200);
    expect(await total(t, owner)).toEqual({
      ...ZERO,
      created: 1,
      sent: 1,
      canceled: 1,
      conversionRate: 0,
      cost: null,
    });
  });

  it('counts by creation day: days whose start lies in [from, to)', async () => {
    const owner = await createTenant(t);
    await create(owner, { phone: uniquePhone() });
    const now = Date.now();
    const startOfToday = Math.floor(now / 86_400_000) * 86_400_000;
    const iso = (ms: number) => new Date(ms).toISOString();
    const included = await report(t, owner.auth, {
      from: iso(startOfToday),
      to: iso(startOfToday + 1),
    });
    expect(included.data[0].created).toBe(1);
    expect(included).toMatchObject({ from: iso(startOfToday), to: iso(startOfToday + 1) });
    // Today started before `from`: not counted (the partial day belongs to the range that holds its start).
    const excluded = await report(t, owner.auth, {
      from: iso(startOfToday + 1),
      to: iso(startOfToday + 86_400_000),
    });
    expect(excluded.data).toEqual([]);
    const byDayEmpty = await report(t, owner.auth, {
      from: iso(startOfToday - 3 * 86_400_000),
      to: iso(startOfToday),
      groupBy: 'day',
    });
    expect(byDayEmpty.data).toEqual([]);
  });

  it('scopes an app key to its app; the admin sees every app or one with appId', async () => {
    const a = await createTenant(t);
    const b = await createTenant(t);
    await create(a, { phone: uniquePhone() });
    await create(b, { phone: uniquePhone() });
    await create(b, { phone: uniquePhone() });
    expect((await total(t, a)).created).toBe(1);
    expect((await total(t, b)).created).toBe(2);
    const forbidden = await t.http
      .get('/v1/analytics/conversion')
      .query({ appId: b.appId })
      .set(a.auth)
      .expect(403);
    expect(forbidden.body.code).toBe('forbidden');
    expect((await report(t, a.auth, { appId: a.appId })).data[0].created).toBe(1);
    expect((await report(t, ADMIN, { appId: b.appId })).data[0].created).toBe(2);
    const everyone = (await report(t, ADMIN)).data[0].created;
    expect(everyone).toBeGreaterThanOrEqual(3);
    await t.http.get('/v1/analytics/conversion').expect(401);
  });

  it.each([
    [{ groupBy: 'country,phone' }, 'groupBy'],
    [{ groupBy: 'country,country' }, 'groupBy'],
    [{ from: 'yesterday' }, 'from'],
    [{ from: '2026-11-10T00:00:00Z', to: '2026-11-01T00:00:00Z' }, 'from'],
    [{ from: '2020-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, 'from'],
    [{ appId: 'not-an-id' }, 'appId'],
    [{ limit: '5' }, 'limit'],
  ])('answers 400 validation_failed to %j', async (query, field) => {
    const res = await t.http.get('/v1/analytics/conversion').query(query).set(ADMIN).expect(400);
    expect(res.body.code).toBe('validation_failed');
    expect(JSON.stringify(res.body.details)).toContain(field);
  });
});

const PHONE_NUMBER_ID = '106540352242922';
const APP_SECRET = 'meta-app-secret-0123456789';
function statusUpdate(messageId: string, recipient: string, status: string, billable = true) {
  return metaStatus(PHONE_NUMBER_ID, {
    messageId,
    recipient,
    status,
    pricing: metaPricing(billable),
  });
}

describe('Conversion analytics (Meta status webhooks, fake Graph API)', () => {
  const graph = new FakeGraphServer();
  const twilioFake = new FakeTwilioServer();
  let t: TestApp;

  beforeAll(async () => {
    const [graphUrl, twilioUrl] = await Promise.all([graph.start(), twilioFake.start()]);
    t = await startApp(
      metaWithTwilioSmsEnv(
        graphUrl,
        twilioUrl,
        twilioFake,
        { phoneNumberId: PHONE_NUMBER_ID, appSecret: APP_SECRET, verifyToken: 'verify-token' },
        { ...RELAXED_LIMITS, INBOUND_RETRY_INTERVAL: '200ms', CONVERSION_PRICE_TABLE: 'ID=0.0294' },
      ),
    );
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([graph.stop(), twilioFake.stop()]);
  });

  async function postStatus(raw: string): Promise<void> {
    await postMetaWebhook(t, raw, metaSignature(raw, APP_SECRET)).expect(200);
  }

  async function processed(messageId: string, status: string): Promise<void> {
    await waitFor(async () => {
      const rows: { status: string }[] = await t.app
        .get(DataSource)
        .query('SELECT status FROM inbound_events WHERE dedupe_key = ?', [
          `meta:status:${messageId}:${status}`,
        ]);
      return rows[0]?.status === 'processed';
    });
  }

  it('counts delivered, read and billed (with its price) once per verification, however often the webhooks come', async () => {
    const owner = await createTenant(t);
    const phone = uniquePhone();
    const created = await t.http
      .post('/v1/verifications')
      .set(owner.auth)
      .send({ phone })
      .expect(201);
    const messageId: string = created.body.delivery.messageId;
    for (const status of ['sent', 'delivered', 'delivered', 'read', 'read', 'delivered']) {
      await postStatus(statusUpdate(messageId, phone, status));
      await processed(messageId, status);
    }
    // The same statuses again under a new notification (a provider retry with other bytes).
    const again = statusUpdate(messageId, phone, 'read').replace(
      '"status":"read"',
      '"status": "read"',
    );
    await postStatus(again);
    const code = graph.lastCodeTo(phone)!;
    await t.http
      .post(`/v1/verifications/${created.body.id}/check`)
      .set(owner.auth)
      .send({ code })
      .expect(200);

    // A second verification: delivered only, not billable.
    const other = uniquePhone();
    const second = await t.http
      .post('/v1/verifications')
      .set(owner.auth)
      .send({ phone: other })
      .expect(201);
    await postStatus(statusUpdate(second.body.delivery.messageId, other, 'delivered', false));
    await processed(second.body.delivery.messageId, 'delivered');

    expect(await total(t, owner)).toEqual({
      ...ZERO,
      created: 2,
      sent: 2,
      delivered: 2,
      read: 1,
      approved: 1,
      billed: 1,
      conversionRate: 0.5,
      cost: 0.0294, // one billable message to Indonesia, at the configured price
    });
  });

  it('counts a verification no channel could deliver as failed', async () => {
    const owner = await createTenant(t);
    graph.failNext(1, 400, {
      error: { message: 'Recipient not on WhatsApp', type: 'OAuthException', code: 131026 },
    });
    await t.http
      .post('/v1/verifications')
      .set(owner.auth)
      .send({ phone: uniquePhone() })
      .expect(502);
    expect(await total(t, owner)).toEqual({
      ...ZERO,
      created: 1,
      failed: 1,
      conversionRate: 0,
      cost: null,
    });
  });
});

describe('Conversion counters with two instances counting at once', () => {
  let t1: TestApp;
  let t2: TestApp;

  beforeAll(async () => {
    // One database for both: E2E_DATABASE_URL, else one new SQLite file.
    const databaseUrl = e2eDatabaseUrl();
    t1 = await startApp(RELAXED_LIMITS, databaseUrl);
    t2 = await startApp(RELAXED_LIMITS, databaseUrl);
  });
  afterAll(async () => {
    await t1.close();
    await t2.close();
  });

  it('keeps exact totals when both instances create, approve and cancel concurrently', async () => {
    const owner = await createTenant(t1);
    const PER_INSTANCE = 15;
    const created = await Promise.all(
      [t1, t2].flatMap((t) =>
        Array.from({ length: PER_INSTANCE }, async () => {
          const phone = uniquePhone();
          const res = await t.http
            .post('/v1/verifications')
            .set(owner.auth)
            .send({ phone })
            .expect(201);
          return { t, id: res.body.id as string, phone };
        }),
      ),
    );
    // Every third is approved on the other instance (both instances racing the same right code),
    // every other one canceled on both instances at once.
    await Promise.all(
      created.map(async ({ id, phone }, i) => {
        if (i % 3 === 0) {
          const code = await sandboxCodeFor(t1, owner, phone);
          await Promise.all(
            [t1, t2].map((t) =>
              t.http.post(`/v1/verifications/${id}/check`).set(owner.auth).send({ code }),
            ),
          );
        } else if (i % 2 === 0) {
          await Promise.all(
            [t1, t2].map((t) => t.http.post(`/v1/verifications/${id}/cancel`).set(owner.auth)),
          );
        }
      }),
    );
    const approved = created.filter((_, i) => i % 3 === 0).length;
    const canceled = created.filter((_, i) => i % 3 !== 0 && i % 2 === 0).length;
    for (const t of [t1, t2]) {
      expect(await total(t, owner)).toEqual({
        ...ZERO,
        created: 2 * PER_INSTANCE,
        sent: 2 * PER_INSTANCE,
        approved,
        canceled,
        conversionRate: Math.round((approved / (2 * PER_INSTANCE)) * 10_000) / 10_000,
        cost: null,
      });
    }
  });
});
