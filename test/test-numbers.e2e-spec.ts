import { DataSource } from 'typeorm';
import { FakeGraphServer } from './support/fake-graph-server';
import {
  ADMIN_KEY,
  createTenant,
  startApp,
  TestApp,
  TestTenant,
  uniquePhone,
} from './support/harness';
import { ageVerification } from './support/time-travel';
import { hourStart, seedVelocityCounter } from './support/velocity-counters';

/**
 * Test numbers: per app, phones with a fixed code that never get a message (CI, app-store review).
 * WhatsApp goes through a fake Graph API on 127.0.0.1, so "no message" means "no HTTP request";
 * SMS is the sandbox, so its outbox must stay empty too.
 */

const GRAPH = { phoneNumberId: '106540352242922', appSecret: 'test-app-secret' };
/** Longer than the apps' 6-digit codes, so a generated code can never equal it by chance. */
const FIXED_CODE = '24681357';

function metaEnv(graphUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    WHATSAPP_PROVIDER: 'meta',
    META_API_BASE_URL: graphUrl,
    META_ACCESS_TOKEN: 'test-access-token',
    META_PHONE_NUMBER_ID: GRAPH.phoneNumberId,
    META_APP_SECRET: GRAPH.appSecret,
    META_VERIFY_TOKEN: 'test-verify-token',
    META_TIMEOUT: '2s',
    ...overrides,
  };
}

async function isTestRow(t: TestApp, id: string): Promise<boolean> {
  const [row] = (await t.app
    .get(DataSource)
    .query('SELECT is_test FROM verifications WHERE id = ?', [id])) as {
    is_test: number | string;
  }[];
  return Number(row.is_test) === 1;
}

describe('Test numbers (outside production: always honoured)', () => {
  const graph = new FakeGraphServer();
  const admin = { Authorization: `Bearer ${ADMIN_KEY}` };
  let t: TestApp;
  let tenant: TestTenant;
  let testPhone: string;
  let otherTestPhone: string;

  beforeAll(async () => {
    t = await startApp(metaEnv(await graph.start(), { SMS_PROVIDER: 'sandbox' }));
  });
  afterAll(async () => {
    await t.close();
    await graph.stop();
  });
  beforeEach(async () => {
    graph.reset();
    testPhone = uniquePhone();
    otherTestPhone = uniquePhone('+39347');
    tenant = await createTenant(t, {
      codeLength: 6,
      testNumbers: [
        // Spelled the way people write it: stored in E.164 like every phone.
        {
          phone: `${testPhone.slice(0, 3)} ${testPhone.slice(3, 6)}-${testPhone.slice(6)}`,
          code: FIXED_CODE,
        },
        { phone: otherTestPhone, code: '9999' },
      ],
    });
  });

  const create = (body: Record<string, unknown>) =>
    t.http.post('/v1/verifications').set(tenant.auth).send(body);
  const check = (id: string, code: string) =>
    t.http.post(`/v1/verifications/${id}/check`).set(tenant.auth).send({ code });
  const sandboxMessages = async (phone: string): Promise<unknown[]> =>
    (await t.http.get('/v1/sandbox/messages').query({ phone }).set(tenant.auth).expect(200))
      .body as unknown[];
  const events = async (verificationId: string) =>
    (
      await t.http
        .get('/v1/audit-events')
        .query({ verificationId, limit: 100 })
        .set(tenant.auth)
        .expect(200)
    ).body.data as { type: string; data: Record<string, unknown> | null }[];

  it('shows the phones (E.164) on the app, never the codes', async () => {
    const created = await t.http
      .post('/v1/apps')
      .set(admin)
      .send({ name: 'Shown', testNumbers: [{ phone: testPhone, code: FIXED_CODE }] })
      .expect(201);
    expect(created.body).toMatchObject({
      testNumbers: [{ phone: testPhone }],
      testNumbersInProduction: false,
      testNumbersActive: true,
    });
    expect(JSON.stringify(created.body)).not.toContain(FIXED_CODE);

    const read = await t.http.get(`/v1/apps/${tenant.appId}`).set(admin).expect(200);
    expect(read.body.testNumbers).toEqual([{ phone: testPhone }, { phone: otherTestPhone }]);
    expect(JSON.stringify(read.body)).not.toContain(FIXED_CODE);
  });

  it('outbound: sends nothing (no Graph request, no sandbox message) and approves the fixed code; a wrong code counts as usual', async () => {
    const res = await create({ phone: testPhone, fallbackChannels: ['sms'] }).expect(201);
    expect(res.body).toMatchObject({
      phone: testPhone,
      status: 'pending',
      attemptsRemaining: 5,
      sendsRemaining: 4,
      delivery: { channel: 'whatsapp', status: 'sent', messageId: null },
    });
    expect(graph.requests).toHaveLength(0);
    expect(await sandboxMessages(testPhone)).toEqual([]);
    expect(await isTestRow(t, res.body.id)).toBe(true);

    const wrong = await check(res.body.id, '1234').expect(200);
    expect(wrong.body).toEqual({
      id: res.body.id,
      status: 'pending',
      valid: false,
      attemptsRemaining: 4,
    });
    const right = await check(res.body.id, FIXED_CODE).expect(200);
    expect(right.body).toEqual({ id: res.body.id, status: 'approved', valid: true });
    await check(res.body.id, FIXED_CODE).expect(409);
  });

  it('a test number on SMS sends nothing either, and the check by phone takes the fixed code', async () => {
    const res = await create({ phone: otherTestPhone, channel: 'sms' }).expect(201);
    expect(res.body.delivery).toEqual({
      channel: 'sms',
      status: 'sent',
      messageId: null,
      errorCode: null,
    });
    expect(await sandboxMessages(otherTestPhone)).toEqual([]);
    const ok = await t.http
      .post('/v1/verification-checks')
      .set(tenant.auth)
      .send({ phone: otherTestPhone, code: '9999' })
      .expect(200);
    expect(ok.body).toMatchObject({ status: 'approved', valid: true });
    // Each test number has its own code: another one's code does not work here.
    const again = await create({ phone: otherTestPhone, channel: 'sms' }).expect(201);
    await check(again.body.id, FIXED_CODE).expect(200, {
      id: again.body.id,
      status: 'pending',
      valid: false,
      attemptsRemaining: 4,
    });
    expect(graph.requests).toHaveLength(0);
  });

  it('five wrong codes lock a test verification like any other', async () => {
    const res = await create({ phone: testPhone }).expect(201);
    for (let i = 0; i < 4; i++) await check(res.body.id, '0000').expect(200);
    const last = await check(res.body.id, '0000').expect(200);
    expect(last.body).toMatchObject({ status: 'max_attempts_reached', attemptsRemaining: 0 });
    await check(res.body.id, FIXED_CODE).expect(409);
  });

  it('resend: cooldown and max sends apply, nothing is sent, the fixed code stays valid', async () => {
    const res = await create({ phone: testPhone }).expect(201);
    const tooSoon = await t.http
      .post(`/v1/verifications/${res.body.id}/resend`)
      .set(tenant.auth)
      .send({})
      .expect(429);
    expect(tooSoon.body.code).toBe('resend_too_soon');

    await ageVerification(t, res.body.id, 31_000);
    const resent = await t.http
      .post(`/v1/verifications/${res.body.id}/resend`)
      .set(tenant.auth)
      .send({ channel: 'sms' })
      .expect(200);
    expect(resent.body).toMatchObject({
      status: 'pending',
      sendsRemaining: 3,
      delivery: { channel: 'sms', status: 'sent', messageId: null },
    });
    expect(graph.requests).toHaveLength(0);
    expect(await sandboxMessages(testPhone)).toEqual([]);

    for (let send = 3; send <= 5; send++) {
      await ageVerification(t, res.body.id, 31_000);
      await t.http
        .post(`/v1/verifications/${res.body.id}/resend`)
        .set(tenant.auth)
        .send({})
        .expect(200);
    }
    await ageVerification(t, res.body.id, 31_000);
    const tooMany = await t.http
      .post(`/v1/verifications/${res.body.id}/resend`)
      .set(tenant.auth)
      .send({})
      .expect(429);
    expect(tooMany.body.code).toBe('max_sends_reached');
    expect(graph.requests).toHaveLength(0);
    expect(await sandboxMessages(testPhone)).toEqual([]);
    await check(res.body.id, FIXED_CODE).expect(200, {
      id: res.body.id,
      status: 'approved',
      valid: true,
    });

    const audit = await events(res.body.id);
    expect(audit.find((event) => event.type === 'verification.resend')?.data).toEqual({
      channel: 'sms',
      send: 2,
      testNumber: true,
      requestId: expect.any(String),
    });
    expect(audit.filter((event) => event.type === 'message.skipped')).toHaveLength(5);
  });

  it('never counts against the per-phone limit (5 per 15 minutes): 30 creations pass, while an ordinary phone gets 429 on the sixth', async () => {
    for (let i = 0; i < 30; i++) await create({ phone: testPhone }).expect(201);
    expect(graph.requests).toHaveLength(0);

    const ordinary = uniquePhone();
    for (let i = 0; i < 5; i++) await create({ phone: ordinary }).expect(201);
    const refused = await create({ phone: ordinary }).expect(429);
    expect(refused.body.code).toBe('rate_limited');
    expect(graph.requests).toHaveLength(5);
  });

  it('neither counts towards nor is stopped by the velocity guard of its calling code', async () => {
    // One short of the floor (100 per hour): one more ordinary creation is still fine, two are not.
    await seedVelocityCounter(t, tenant.appId, '62', hourStart(), 99);
    for (let i = 0; i < 30; i++) await create({ phone: testPhone }).expect(201);
    // Had the 30 been counted, this would be the 130th of the hour and blocked.
    await create({ phone: uniquePhone() }).expect(201);
    const blocked = await create({ phone: uniquePhone() }).expect(403);
    expect(blocked.body.code).toBe('country_not_allowed');
    // The calling code is now blocked for the app, yet its test number still works.
    await create({ phone: testPhone }).expect(201);
  });

  it('skips the allowed-countries check: the admin listed the number, and nothing is sent to it', async () => {
    await t.http
      .patch(`/v1/apps/${tenant.appId}`)
      .set(admin)
      .send({ allowedCountries: ['IT'] })
      .expect(200);
    await create({ phone: testPhone }).expect(201);
    await create({ phone: uniquePhone() }).expect(403);
  });

  it('audits as a test number: testNumber true, phones masked, never the code', async () => {
    const res = await create({ phone: testPhone }).expect(201);
    await check(res.body.id, '1111').expect(200);
    await check(res.body.id, FIXED_CODE).expect(200);

    const audit = await events(res.body.id);
    expect(audit.map((event) => event.type)).toEqual([
      'verification.created',
      'message.skipped',
      'check.failed',
      'check.succeeded',
    ]);
    for (const event of audit) expect(event.data).toMatchObject({ testNumber: true });
    expect(audit[0].data).toMatchObject({
      phone: `${testPhone.slice(0, 6)}****${testPhone.slice(-4)}`,
    });
    expect(audit[1].data).toEqual({
      channel: 'whatsapp',
      purpose: 'code',
      reason: 'test_number',
      testNumber: true,
      requestId: expect.any(String),
    });
    const text = JSON.stringify(audit);
    expect(text).not.toContain(FIXED_CODE);
    expect(text).not.toContain(testPhone);

    // The admin's own change is audited with masked phones and without codes or hashes.
    await t.http
      .patch(`/v1/apps/${tenant.appId}`)
      .set(admin)
      .send({ testNumbers: [{ phone: testPhone, code: '13579' }] })
      .expect(200);
    const appEvents = (
      await t.http
        .get('/v1/audit-events')
        .query({ type: 'app.updated', limit: 100 })
        .set(admin)
        .expect(200)
    ).body.data as { appId: string; data: Record<string, unknown> }[];
    const updated = appEvents.filter((event) => event.appId === tenant.appId);
    expect(updated).toHaveLength(1);
    expect(updated[0].data).toEqual({
      fields: ['testNumbers'],
      testNumbers: [`${testPhone.slice(0, 6)}****${testPhone.slice(-4)}`],
      requestId: expect.any(String),
    });
    expect(JSON.stringify(updated)).not.toMatch(/13579|hmac\$/);
  });

  it('ordinary verifications of the same app are not marked as tests', async () => {
    const res = await create({ phone: uniquePhone() }).expect(201);
    expect(res.body.delivery).toMatchObject({ status: 'accepted', messageId: expect.any(String) });
    expect(graph.requests).toHaveLength(1);
    expect(await isTestRow(t, res.body.id)).toBe(false);
  });

  it('inbound flow: not a test number there (the person writes in themselves), so limits and the normal path apply', async () => {
    const res = await create({ phone: testPhone, flow: 'inbound' }).expect(201);
    expect(res.body.waLink).toEqual(expect.stringContaining('https://wa.me/'));
    expect(await isTestRow(t, res.body.id)).toBe(false);
  });

  it('PATCH replaces the list (the old code stops working for new verifications); [] removes them all', async () => {
    const replaced = await t.http
      .patch(`/v1/apps/${tenant.appId}`)
      .set(admin)
      .send({ testNumbers: [{ phone: testPhone, code: '13579' }] })
      .expect(200);
    expect(replaced.body.testNumbers).toEqual([{ phone: testPhone }]);
    expect(JSON.stringify(replaced.body)).not.toContain('13579');
    const first = await create({ phone: testPhone }).expect(201);
    await check(first.body.id, FIXED_CODE).expect(200);
    await check(first.body.id, '13579').expect(200, {
      id: first.body.id,
      status: 'approved',
      valid: true,
    });
    expect(graph.requests).toHaveLength(0);

    // A PATCH that does not name testNumbers keeps them.
    await t.http.patch(`/v1/apps/${tenant.appId}`).set(admin).send({ name: 'Renamed' }).expect(200);
    await create({ phone: testPhone }).expect(201);
    expect(graph.requests).toHaveLength(0);

    const cleared = await t.http
      .patch(`/v1/apps/${tenant.appId}`)
      .set(admin)
      .send({ testNumbers: [] })
      .expect(200);
    expect(cleared.body.testNumbers).toEqual([]);
    const real = await create({ phone: testPhone }).expect(201);
    expect(real.body.delivery).toMatchObject({ status: 'accepted', messageId: expect.any(String) });
    expect(graph.lastCodeTo(testPhone)).toMatch(/^\d{6}$/);
    expect(await isTestRow(t, real.body.id)).toBe(false);
  });

  describe('validation (400 validation_failed with details; nothing stored)', () => {
    const cases: [string, unknown, string][] = [
      [
        'a phone that is not a number',
        [{ phone: 'not-a-phone', code: '1234' }],
        'testNumbers.0.phone',
      ],
      ['a code with letters', [{ phone: '+6281200000001', code: '12ab56' }], 'testNumbers.0.code'],
      [
        'a code shorter than 4 digits',
        [{ phone: '+6281200000001', code: '123' }],
        'testNumbers.0.code',
      ],
      [
        'a code longer than 10 digits',
        [{ phone: '+6281200000001', code: '12345678901' }],
        'testNumbers.0.code',
      ],
      [
        'a numeric (not string) code',
        [{ phone: '+6281200000001', code: 123456 }],
        'testNumbers.0.code',
      ],
      ['a missing code', [{ phone: '+6281200000001' }], 'testNumbers.0.code'],
      [
        'an unknown field in an entry',
        [{ phone: '+6281200000001', code: '1234', note: 'x' }],
        'testNumbers.0.note',
      ],
      ['an entry that is not an object', ['+6281200000001'], 'testNumbers.0'],
      ['not a list', { phone: '+6281200000001', code: '1234' }, 'testNumbers'],
      [
        'the same phone twice in two spellings',
        [
          { phone: '+6281200000001', code: '1234' },
          { phone: '0062 812-0000-0001', code: '5678' },
        ],
        'testNumbers',
      ],
      [
        'more than 10 entries',
        Array.from({ length: 11 }, (_, i) => ({
          phone: `+62812000000${String(i).padStart(2, '0')}`,
          code: '1234',
        })),
        'testNumbers',
      ],
    ];

    it.each(cases)('refuses %s on create', async (_name, testNumbers, field) => {
      const res = await t.http
        .post('/v1/apps')
        .set(admin)
        .send({ name: 'Invalid', testNumbers })
        .expect(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ field })]),
      );
      // The message explains the rule; it never repeats a submitted code.
      expect(JSON.stringify(res.body)).not.toMatch(/12ab56|12345678901|5678"/);
    });

    it('refuses the same on PATCH and keeps the previous list', async () => {
      const res = await t.http
        .patch(`/v1/apps/${tenant.appId}`)
        .set(admin)
        .send({ testNumbers: [{ phone: testPhone, code: 'abcd' }] })
        .expect(400);
      expect(res.body.details).toEqual([
        { field: 'testNumbers.0.code', message: 'code must be 4 to 10 digits' },
      ]);
      const app = await t.http.get(`/v1/apps/${tenant.appId}`).set(admin).expect(200);
      expect(app.body.testNumbers).toHaveLength(2);
    });

    it('refuses a testNumbersInProduction that is not a boolean', async () => {
      const res = await t.http
        .patch(`/v1/apps/${tenant.appId}`)
        .set(admin)
        .send({ testNumbersInProduction: 'yes' })
        .expect(400);
      expect(res.body.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: 'testNumbersInProduction' })]),
      );
    });
  });
});

describe('Test numbers in production (NODE_ENV=production): only with testNumbersInProduction, per-phone limits kept', () => {
  const graph = new FakeGraphServer();
  const adminKey = 'prod-admin-key-7f3c9a1e5b2d4f6a8c0e2b4d6f8a1c3e';
  const admin = { Authorization: `Bearer ${adminKey}` };
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp(
      metaEnv(await graph.start(), {
        NODE_ENV: 'production',
        SMS_PROVIDER: 'none',
        ADMIN_API_KEY: adminKey,
        OTP_PEPPER: 'prod-pepper-2b7d9f1a3c5e7a9b1d3f5a7c9e1b3d5f',
        WHATSAPP_BUSINESS_NUMBER: '+15550001111',
      }),
    );
  });
  afterAll(async () => {
    await t.close();
    await graph.stop();
  });
  beforeEach(() => graph.reset());

  it('with the flag off a test number is an ordinary number: a real message, the fixed code refused; with it on, nothing is sent, the fixed code approves, and the per-phone limits still count', async () => {
    expect(t.config.isProduction).toBe(true);
    const phone = uniquePhone();
    const created = await t.http
      .post('/v1/apps')
      .set(admin)
      .send({ name: 'Store review', codeLength: 6, testNumbers: [{ phone, code: FIXED_CODE }] })
      .expect(201);
    expect(created.body).toMatchObject({
      testNumbers: [{ phone }],
      testNumbersInProduction: false,
      testNumbersActive: false,
    });
    const auth = { Authorization: `Bearer ${created.body.apiKey}` };

    const real = await t.http.post('/v1/verifications').set(auth).send({ phone }).expect(201);
    expect(real.body.delivery).toMatchObject({ status: 'accepted', messageId: expect.any(String) });
    expect(graph.lastCodeTo(phone)).toMatch(/^\d{6}$/);
    await t.http
      .post(`/v1/verifications/${real.body.id}/check`)
      .set(auth)
      .send({ code: FIXED_CODE })
      .expect(200, { id: real.body.id, status: 'pending', valid: false, attemptsRemaining: 4 });
    expect(await isTestRow(t, real.body.id)).toBe(false);

    const enabled = await t.http
      .patch(`/v1/apps/${created.body.id}`)
      .set(admin)
      .send({ testNumbersInProduction: true })
      .expect(200);
    expect(enabled.body).toMatchObject({ testNumbersInProduction: true, testNumbersActive: true });
    graph.reset();

    const test = await t.http.post('/v1/verifications').set(auth).send({ phone }).expect(201);
    expect(test.body.delivery).toEqual({
      channel: 'whatsapp',
      status: 'sent',
      messageId: null,
      errorCode: null,
    });
    expect(graph.requests).toHaveLength(0);
    await t.http
      .post(`/v1/verifications/${test.body.id}/check`)
      .set(auth)
      .send({ code: FIXED_CODE })
      .expect(200, { id: test.body.id, status: 'approved', valid: true });
    expect(await isTestRow(t, test.body.id)).toBe(true);

    // In production the per-phone limits (5 per 15 minutes) still count for a test number: every
    // creation gives five more guesses at the same fixed code. Two creations so far.
    for (let i = 0; i < 3; i++)
      await t.http.post('/v1/verifications').set(auth).send({ phone }).expect(201);
    const limited = await t.http.post('/v1/verifications').set(auth).send({ phone }).expect(429);
    expect(limited.body.code).toBe('rate_limited');
    expect(graph.requests).toHaveLength(0);

    const appEvents = (
      await t.http
        .get('/v1/audit-events')
        .query({ type: 'app.updated', limit: 100 })
        .set(admin)
        .expect(200)
    ).body.data as { appId: string; data: Record<string, unknown> }[];
    expect(appEvents.find((event) => event.appId === created.body.id)?.data).toEqual({
      fields: ['testNumbersInProduction'],
      testNumbersInProduction: true,
      requestId: expect.any(String),
    });
  });
});
