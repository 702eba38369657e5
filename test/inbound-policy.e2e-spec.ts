import { DataSource } from 'typeorm';
import { createTenant, startApp, TestApp, TestTenant, uniquePhone } from './support/harness';

interface Refusal {
  data: string;
}

/**
 * A verification created without a phone takes the number of whoever sends its token. That number
 * must pass what a creation with it would: the app's allowed countries, the refused number types
 * and the per-phone limits. Otherwise the verification stays pending, the sender gets a polite
 * reply in the verification's language, and `verification.inbound_refused` is audited.
 */
describe('Inbound policy for phone-less verifications (sandbox)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => t.close());

  async function phoneless(
    tenant: TestTenant,
    body: Record<string, unknown> = {},
  ): Promise<{ id: string; waMessage: string }> {
    const res = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ flow: 'inbound', ...body })
      .expect(201);
    return { id: res.body.id, waMessage: res.body.waMessage };
  }

  async function writeIn(tenant: TestTenant, from: string, text: string): Promise<void> {
    await t.http.post('/v1/sandbox/inbound').set(tenant.auth).send({ from, text }).expect(200);
  }

  async function status(tenant: TestTenant, id: string): Promise<string> {
    return (await t.http.get(`/v1/verifications/${id}`).set(tenant.auth).expect(200)).body.status;
  }

  async function repliesTo(tenant: TestTenant, phone: string): Promise<string[]> {
    const res = await t.http
      .get('/v1/sandbox/messages')
      .query({ phone })
      .set(tenant.auth)
      .expect(200);
    return (res.body as { text: string }[]).map((m) => m.text);
  }

  async function refusals(verificationId: string): Promise<Record<string, unknown>[]> {
    const rows: Refusal[] = await t.app
      .get(DataSource)
      .query(
        "SELECT data FROM audit_events WHERE type = 'verification.inbound_refused' AND verification_id = ?",
        [verificationId],
      );
    return rows.map((row) => JSON.parse(row.data) as Record<string, unknown>);
  }

  it('refuses a sender from a country the app does not allow, in English', async () => {
    const tenant = await createTenant(t, { brandName: 'Acme', allowedCountries: ['ID'] });
    const { id, waMessage } = await phoneless(tenant);
    const sender = uniquePhone('+4479');
    await writeIn(tenant, sender, waMessage);

    expect(await status(tenant, id)).toBe('pending');
    expect(await repliesTo(tenant, sender)).toEqual([
      'Sorry, this number cannot be verified for the Acme app. Please try again later or with another number.',
    ]);
    const audited = await refusals(id);
    expect(audited).toEqual([expect.objectContaining({ reason: 'country_not_allowed' })]);
    expect(JSON.stringify(audited)).not.toContain(sender.slice(3));
    expect(audited[0].from).toEqual(expect.stringContaining('*'));

    // The right person can still complete it.
    const indonesian = uniquePhone();
    await writeIn(tenant, indonesian, waMessage);
    expect(await status(tenant, id)).toBe('approved');
  });

  it('refuses a premium-rate number and a landline, in Indonesian for an `id` verification', async () => {
    const tenant = await createTenant(t, { brandName: 'Toko' });
    const { id, waMessage } = await phoneless(tenant, { locale: 'id' });
    for (const sender of ['+449098790000', '+442079460000']) {
      await writeIn(tenant, sender, waMessage);
      expect(await repliesTo(tenant, sender)).toEqual([
        'Maaf, nomor ini tidak dapat diverifikasi untuk aplikasi Toko. Silakan coba lagi nanti atau gunakan nomor lain.',
      ]);
    }
    expect(await status(tenant, id)).toBe('pending');
    expect(await refusals(id)).toEqual([
      expect.objectContaining({ reason: 'number_type' }),
      expect.objectContaining({ reason: 'number_type' }),
    ]);
  });

  it('counts the sender against the per-phone limits and refuses beyond them', async () => {
    const tenant = await createTenant(t, { brandName: 'Acme', phoneLimitPer15Minutes: 1 });
    const sender = uniquePhone();
    const first = await phoneless(tenant);
    await writeIn(tenant, sender, first.waMessage);
    expect(await status(tenant, first.id)).toBe('approved');

    const second = await phoneless(tenant);
    await writeIn(tenant, sender, second.waMessage);
    expect(await status(tenant, second.id)).toBe('pending');
    expect(await refusals(second.id)).toEqual([
      expect.objectContaining({ reason: 'phone_rate_limited' }),
    ]);
    expect((await repliesTo(tenant, sender))[0]).toMatch(/^Sorry, this number cannot be verified/);
  });

  it('leaves verifications created with a phone to the usual phone match', async () => {
    const tenant = await createTenant(t, { brandName: 'Acme', allowedCountries: ['ID'] });
    const phone = uniquePhone();
    const { id, waMessage } = await phoneless(tenant, { phone });
    await writeIn(tenant, phone, waMessage);
    expect(await status(tenant, id)).toBe('approved');
    expect(await refusals(id)).toEqual([]);
  });
});
