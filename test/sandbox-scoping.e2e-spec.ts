import { createTenant, startApp, TestApp, TestTenant, uniquePhone } from './support/harness';

interface SandboxMessage {
  to: string;
  text: string;
}

/** The sandbox is per app: each app reads only what was sent for it and injects only into its own verifications. */
describe('Sandbox tenant isolation', () => {
  let t: TestApp;
  let appA: TestTenant;
  let appB: TestTenant;

  beforeAll(async () => {
    t = await startApp({ RATE_LIMIT_INBOUND_SENDER_PER_MINUTE: '2' });
    appA = await createTenant(t, { name: 'App A', brandName: 'Alpha' });
    appB = await createTenant(t, { name: 'App B', brandName: 'Beta' });
  });
  afterAll(async () => t.close());

  async function messages(tenant: TestTenant, phone?: string): Promise<SandboxMessage[]> {
    const res = await t.http
      .get('/v1/sandbox/messages')
      .query(phone ? { phone } : {})
      .set(tenant.auth)
      .expect(200);
    return res.body;
  }

  it("lists only the caller's own sandbox messages, with and without a phone", async () => {
    const phone = uniquePhone();
    await t.http
      .post('/v1/verifications')
      .set(appA.auth)
      .send({ flow: 'outbound', phone })
      .expect(201);
    await t.http
      .post('/v1/verifications')
      .set(appB.auth)
      .send({ flow: 'outbound', phone })
      .expect(201);

    const forA = await messages(appA, phone);
    const forB = await messages(appB, phone);
    expect(forA).toHaveLength(1);
    expect(forA[0].text).toContain('Alpha');
    expect(forB).toHaveLength(1);
    expect(forB[0].text).toContain('Beta');
    expect((await messages(appA)).some((m) => m.text.includes('Beta'))).toBe(false);
    expect((await messages(appB)).some((m) => m.text.includes('Alpha'))).toBe(false);
  });

  it("does not let app B approve app A's inbound verification by injecting A's message", async () => {
    const phone = uniquePhone();
    const created = await t.http
      .post('/v1/verifications')
      .set(appA.auth)
      .send({ flow: 'inbound', phone })
      .expect(201);

    // Three times: more than the sender may write per minute, which must not hold back app A's own injection.
    for (let i = 0; i < 3; i += 1)
      await t.http
        .post('/v1/sandbox/inbound')
        .set(appB.auth)
        .send({ from: phone, text: created.body.waMessage })
        .expect(200);
    const afterB = await t.http.get(`/v1/verifications/${created.body.id}`).set(appA.auth);
    expect(afterB.body.status).toBe('pending');
    // B's injection is treated as an unknown token: the neutral help reply goes to B's sandbox, never A's.
    expect(await messages(appA, phone)).toEqual([]);
    const helpForB = await messages(appB, phone);
    expect(helpForB).toHaveLength(1);
    expect(helpForB[0].text).not.toContain('Alpha');

    await t.http
      .post('/v1/sandbox/inbound')
      .set(appA.auth)
      .send({ from: phone, text: created.body.waMessage })
      .expect(200);
    const afterA = await t.http.get(`/v1/verifications/${created.body.id}`).set(appA.auth);
    expect(afterA.body.status).toBe('approved');
    expect((await messages(appA, phone)).map((m) => m.text).join(' ')).toContain('Alpha');
  });
});
