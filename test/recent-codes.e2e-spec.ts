import {
  createTenant,
  e2eDatabaseUrl,
  sandboxCodeFor,
  startApp,
  TestApp,
  TestTenant,
  uniquePhone,
} from './support/harness';
import { ageVerification } from './support/time-travel';

/**
 * A right code checked on the instance that sent it goes straight to the approval (on MySQL one
 * round trip, see hot-path-statements); the approval's conditional UPDATE still decides. These
 * hold on either engine: what a check answers and records whichever instance sent the code.
 */
describe('Checking a code on the instance that sent it, or another', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    // One database for both: E2E_DATABASE_URL, else one new SQLite file.
    const databaseUrl = e2eDatabaseUrl();
    a = await startApp({}, databaseUrl);
    b = await startApp({}, databaseUrl);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  /** A verification whose code instance `a` sent. */
  async function sentByA(): Promise<{
    tenant: TestTenant;
    phone: string;
    created: { body: { id: string } };
  }> {
    const tenant = await createTenant(a);
    const phone = uniquePhone();
    const created = await a.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone })
      .expect(201);
    return { tenant, phone, created };
  }

  async function checkEvents(
    t: TestApp,
    auth: Record<string, string>,
    id: string,
  ): Promise<{ type: string; data: unknown }[]> {
    const res = await t.http
      .get('/v1/audit-events')
      .query({ verificationId: id, limit: 50 })
      .set(auth)
      .expect(200);
    return (res.body.data as { type: string; data: unknown }[])
      .filter((event) => event.type.startsWith('check.'))
      .map(({ type, data }) => ({ type, data }));
  }

  it('approves the right code after a wrong one, with the attempt number, one approval counted', async () => {
    const { tenant, phone, created } = await sentByA();
    const id = created.body.id as string;
    const code = await sandboxCodeFor(a, tenant, phone);
    const wrong = await a.http
      .post(`/v1/verifications/${id}/check`)
      .set(tenant.auth)
      .send({ code: code === '000000' ? '111111' : '000000' })
      .expect(200);
    const right = await a.http
      .post(`/v1/verifications/${id}/check`)
      .set(tenant.auth)
      .send({ code: ` ${code} ` })
      .expect(200);
    expect(right.body).toEqual({ id, status: 'approved', valid: true });
    // Once approved, the same code is refused (the approval happened once).
    const again = await a.http
      .post(`/v1/verifications/${id}/check`)
      .set(tenant.auth)
      .send({ code })
      .expect(409);
    expect(again.body).toMatchObject({ code: 'verification_not_pending', status: 'approved' });

    expect(await checkEvents(a, tenant.auth, id)).toEqual([
      { type: 'check.failed', data: { attempt: 1, requestId: wrong.headers['x-request-id'] } },
      { type: 'check.succeeded', data: { attempt: 2, requestId: right.headers['x-request-id'] } },
    ]);
    const read = await a.http.get(`/v1/verifications/${id}`).set(tenant.auth).expect(200);
    expect(read.body).toMatchObject({ status: 'approved', attemptsRemaining: 4 });
    const funnel = await a.http.get('/v1/analytics/conversion').set(tenant.auth).expect(200);
    expect(funnel.body.data).toEqual([
      expect.objectContaining({ created: 1, sent: 1, approved: 1, conversionRate: 1 }),
    ]);
  });

  it('counts the old code as wrong after another instance resent a new one, then approves the new', async () => {
    const { tenant, phone, created } = await sentByA();
    const id = created.body.id as string;
    const first = await sandboxCodeFor(a, tenant, phone);
    await ageVerification(a, id, 31_000);
    await b.http.post(`/v1/verifications/${id}/resend`).set(tenant.auth).send({}).expect(200);
    const second = await sandboxCodeFor(b, tenant, phone);
    // A new code can repeat the old one by chance (1 in a million): then there is nothing to tell.
    if (second === first) return;

    const old = await a.http
      .post(`/v1/verifications/${id}/check`)
      .set(tenant.auth)
      .send({ code: first })
      .expect(200);
    expect(old.body).toEqual({ id, status: 'pending', valid: false, attemptsRemaining: 4 });
    const fresh = await a.http
      .post(`/v1/verifications/${id}/check`)
      .set(tenant.auth)
      .send({ code: second })
      .expect(200);
    expect(fresh.body).toEqual({ id, status: 'approved', valid: true });
    expect((await checkEvents(b, tenant.auth, id)).map((event) => event.data)).toEqual([
      { attempt: 1, requestId: old.headers['x-request-id'] },
      { attempt: 2, requestId: fresh.headers['x-request-id'] },
    ]);
  });

  it('approves on another instance than the one that sent the code', async () => {
    const { tenant, phone, created } = await sentByA();
    const code = await sandboxCodeFor(a, tenant, phone);
    const res = await b.http
      .post(`/v1/verifications/${created.body.id}/check`)
      .set(tenant.auth)
      .send({ code })
      .expect(200);
    expect(res.body).toMatchObject({ status: 'approved', valid: true });
    // The instance that sent it now finds it approved.
    const late = await a.http
      .post(`/v1/verifications/${created.body.id}/check`)
      .set(tenant.auth)
      .send({ code })
      .expect(409);
    expect(late.body.status).toBe('approved');
  });
});
