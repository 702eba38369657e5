import { DataSource } from 'typeorm';
import {
  createTenant,
  sandboxCodeFor,
  startApp,
  TestApp,
  TestTenant,
  uniquePhone,
} from './support/harness';

describe('Outbound flow with OTP_HASHER=bcrypt', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startApp({ OTP_HASHER: 'bcrypt', OTP_HASH_COST: '4' });
    tenant = await createTenant(t);
  });
  afterAll(async () => t.close());

  it('stores a bcrypt hash, rejects a wrong code and approves the right one exactly once under a race', async () => {
    const phone = uniquePhone();
    const created = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone })
      .expect(201);
    const id = created.body.id as string;
    const code = await sandboxCodeFor(t, tenant, phone);

    const [row] = (await t.app
      .get(DataSource)
      .query('SELECT code_hash FROM verifications WHERE id = ?', [id])) as { code_hash: string }[];
    expect(row.code_hash).toMatch(/^\$2[aby]\$04\$/);
    expect(row.code_hash).not.toContain(code);

    const wrong = code === '000000' ? '111111' : '000000';
    const miss = await t.http
      .post(`/v1/verifications/${id}/check`)
      .set(tenant.auth)
      .send({ code: wrong })
      .expect(200);
    expect(miss.body).toMatchObject({ valid: false, attemptsRemaining: 4 });

    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.http.post(`/v1/verifications/${id}/check`).set(tenant.auth).send({ code }),
      ),
    );
    expect(results.filter((res) => res.status === 200 && res.body.valid === true)).toHaveLength(1);
    expect(results.filter((res) => res.status === 409)).toHaveLength(9);
  });
});
