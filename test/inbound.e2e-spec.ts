import { DataSource } from 'typeorm';
import {
  codeIn,
  createTenant,
  startApp,
  TestApp,
  TestTenant,
  uniquePhone,
} from './support/harness';
import { metaNotification, postMetaWebhook } from './support/meta-notifications';
import { ageVerification } from './support/time-travel';

interface SandboxMessage {
  id: string;
  to: string;
  channel: string;
  text: string;
  createdAt: string;
}

describe('Inbound verification through the sandbox', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startApp({ RATE_LIMIT_INBOUND_SENDER_PER_MINUTE: '4' });
    tenant = await createTenant(t, { brandName: 'Acme' });
  });
  afterAll(async () => t.close());

  async function createInbound(
    body: Record<string, unknown> = {},
  ): Promise<{ id: string; waMessage: string; phone?: string }> {
    const res = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ flow: 'inbound', ...body })
      .expect(201);
    expect(res.body.waMessage).toEqual(expect.any(String));
    return {
      id: res.body.id,
      waMessage: res.body.waMessage,
      phone: body.phone as string | undefined,
    };
  }

  async function writeIn(
    from: string,
    text: string,
  ): Promise<{ accepted: boolean; messageId: string }> {
    const res = await t.http
      .post('/v1/sandbox/inbound')
      .set(tenant.auth)
      .send({ from, text })
      .expect(200);
    return res.body;
  }

  async function messagesTo(phone: string): Promise<SandboxMessage[]> {
    const res = await t.http
      .get('/v1/sandbox/messages')
      .query({ phone })
      .set(tenant.auth)
      .expect(200);
    return res.body;
  }

  async function verification(id: string): Promise<Record<string, unknown>> {
    return (await t.http.get(`/v1/verifications/${id}`).set(tenant.auth).expect(200)).body;
  }

  async function auditFor(
    verificationId: string,
  ): Promise<{ type: string; data: string | null; actor_type: string; actor_id: string | null }[]> {
    return t.app
      .get(DataSource)
      .query(
        'SELECT type, data, actor_type, actor_id FROM audit_events WHERE verification_id = ? ORDER BY id',
        [verificationId],
      );
  }

  it('approves a confirm verification from the right phone and replies with a confirmation', async () => {
    const phone = uniquePhone();
    const { id, waMessage } = await createInbound({ phone });
    const answer = await writeIn(phone, waMessage);
    expect(answer).toEqual({ accepted: true, messageId: expect.stringMatching(/^sandbox-in-/) });

    expect(await verification(id)).toMatchObject({
      status: 'approved',
      phone,
      approvedAt: expect.any(String),
    });
    const replies = await messagesTo(phone);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({
      to: phone,
      channel: 'whatsapp',
      text: 'Your number is verified. You can go back to the Acme app.',
    });

    const audit = await auditFor(id);
    expect(audit.map((row) => row.type)).toEqual(
      expect.arrayContaining(['inbound.received', 'inbound.matched', 'message.sent']),
    );
    const received = audit.find((row) => row.type === 'inbound.received')!;
    expect(received).toMatchObject({ actor_type: 'provider', actor_id: 'sandbox' });
    const token = /WAV-[A-Z0-9-]+/.exec(waMessage)![0];
    for (const row of audit) {
      expect(row.data ?? '').not.toContain(token);
      expect(row.data ?? '').not.toContain(phone);
      expect(row.data ?? '').not.toContain('Verify my number');
    }
    const inbox = await t.app
      .get(DataSource)
      .query('SELECT status, payload FROM inbound_events WHERE dedupe_key = ?', [
        `sandbox:message:${answer.messageId}`,
      ]);
    expect(inbox).toEqual([expect.objectContaining({ status: 'processed' })]);
    expect(inbox[0].payload).not.toContain(token);
  });

  it('tolerates an edited message: case, spacing and extra words around the token', async () => {
    const phone = uniquePhone();
    const { id, waMessage } = await createInbound({ phone });
    const token = /WAV-[A-Z0-9-]+/.exec(waMessage)![0];
    await writeIn(phone, `hi! ${token.toLowerCase().replace(/-/g, ' ')} thanks`);
    expect((await verification(id)).status).toBe('approved');
  });

  it('sends a code for inboundReply=code that /check then approves; a repeat inside the cooldown sends no second code', async () => {
    const phone = uniquePhone();
    const { id, waMessage } = await createInbound({ phone, inboundReply: 'code', codeLength: 6 });
    await writeIn(phone, waMessage);
    const replies = await messagesTo(phone);
    expect(replies).toHaveLength(1);
    expect(replies[0].text).toMatch(
      /^\d{6} is your Acme verification code\. It expires in 10 minutes\.$/,
    );
    expect(await verification(id)).toMatchObject({ status: 'pending', sendsRemaining: 4 });

    await writeIn(phone, waMessage);
    expect(await messagesTo(phone)).toHaveLength(1);
    expect((await auditFor(id)).map((row) => row.type)).toContain('inbound.code_throttled');

    const ok = await t.http
      .post(`/v1/verifications/${id}/check`)
      .set(tenant.auth)
      .send({ code: codeIn(replies[0].text) })
      .expect(200);
    expect(ok.body).toEqual({ id, status: 'approved', valid: true });
  });

  it('issues a fresh code for a repeat after the cooldown; the older code stops working', async () => {
    const phone = uniquePhone();
    const { id, waMessage } = await createInbound({
      phone,
      inboundReply: 'code',
      ttlSeconds: 3600,
    });
    await writeIn(phone, waMessage);
    const first = codeIn((await messagesTo(phone))[0].text);
    await ageVerification(t, id, 31_000);
    await writeIn(phone, waMessage);
    const replies = await messagesTo(phone);
    expect(replies).toHaveLength(2);
    const second = codeIn(replies[0].text);
    if (first !== second) {
      const old = await t.http
        .post(`/v1/verifications/${id}/check`)
        .set(tenant.auth)
        .send({ code: first })
        .expect(200);
      expect(old.body.valid).toBe(false);
    }
    const ok = await t.http
      .post(`/v1/verifications/${id}/check`)
      .set(tenant.auth)
      .send({ code: second })
      .expect(200);
    expect(ok.body.valid).toBe(true);
  });

  it('refuses a token sent from another phone: stays pending, polite refusal to the sender only', async () => {
    const phone = uniquePhone();
    const other = uniquePhone();
    const { id, waMessage } = await createInbound({ phone });
    await writeIn(other, waMessage);
    expect(await verification(id)).toMatchObject({ status: 'pending', phone });
    const refusal = await messagesTo(other);
    expect(refusal).toHaveLength(1);
    expect(refusal[0].text).toContain('requested for a different phone number');
    expect(await messagesTo(phone)).toHaveLength(0);
    expect((await auditFor(id)).map((row) => row.type)).toContain('inbound.mismatch');

    await writeIn(phone, waMessage);
    expect((await verification(id)).status).toBe('approved');
  });

  it('answers an expired token with the expired reply and marks the verification expired', async () => {
    const phone = uniquePhone();
    const { id, waMessage } = await createInbound({ phone, ttlSeconds: 60 });
    await ageVerification(t, id, 61_000);
    await writeIn(phone, waMessage);
    expect((await verification(id)).status).toBe('expired');
    const replies = await messagesTo(phone);
    expect(replies).toHaveLength(1);
    expect(replies[0].text).toBe(
      'This verification has expired or was already used. Please start again in the Acme app.',
    );
  });

  it('answers a token that was already used with the expired reply', async () => {
    const phone = uniquePhone();
    const { id, waMessage } = await createInbound({ phone });
    await writeIn(phone, waMessage);
    await writeIn(phone, waMessage);
    expect((await verification(id)).status).toBe('approved');
    const replies = await messagesTo(phone);
    expect(replies.map((m) => m.text)).toEqual([
      'This verification has expired or was already used. Please start again in the Acme app.',
      'Your number is verified. You can go back to the Acme app.',
    ]);
  });

  it('sends one help reply per hour to a sender without a token', async () => {
    const phone = uniquePhone();
    await writeIn(phone, 'hello, is anyone there?');
    await writeIn(phone, 'hello again');
    await writeIn(phone, 'Verify my number: WAV-2222-3333-4444');
    const replies = await messagesTo(phone);
    expect(replies).toHaveLength(1);
    expect(replies[0].text).toBe('Untuk memverifikasi nomor Anda, gunakan tautan dari aplikasi.');
  });

  it('drops messages beyond the per-sender rate and audits them', async () => {
    const phone = uniquePhone();
    const { id, waMessage } = await createInbound({ phone });
    for (let i = 0; i < 4; i += 1) await writeIn(phone, `noise ${i}`);
    await writeIn(phone, waMessage);
    expect((await verification(id)).status).toBe('pending');
    const dropped = await t.app
      .get(DataSource)
      .query("SELECT data FROM audit_events WHERE type = 'inbound.dropped'");
    expect(dropped.length).toBeGreaterThanOrEqual(1);
    expect(dropped[dropped.length - 1].data).not.toContain('WAV-');
  });

  it('records the phone of the sender when the verification had none', async () => {
    const phone = uniquePhone();
    const { id, waMessage } = await createInbound();
    expect((await verification(id)).phone).toBeNull();
    await writeIn(phone.replace('+62', '0062 '), waMessage);
    expect(await verification(id)).toMatchObject({ status: 'approved', phone });
    expect((await messagesTo(phone))[0].text).toContain('Your number is verified');
  });

  it('records the first sender of a phone-less code verification; a second sender is refused', async () => {
    const phone = uniquePhone();
    const other = uniquePhone();
    const { id, waMessage } = await createInbound({ inboundReply: 'code' });
    await writeIn(phone, waMessage);
    expect(await verification(id)).toMatchObject({ status: 'pending', phone });
    await writeIn(other, waMessage);
    expect((await messagesTo(other))[0].text).toContain('requested for a different phone number');
    const code = codeIn((await messagesTo(phone))[0].text);
    await t.http.post(`/v1/verifications/${id}/check`).set(tenant.auth).send({ code }).expect(200);
    expect((await verification(id)).status).toBe('approved');
  });

  it('queues client webhooks for a mismatch, an approval and an expiry in the same transaction as the change', async () => {
    const hooked = await createTenant(t, {
      brandName: 'Acme',
      webhookUrl: 'http://127.0.0.1:9/hooks',
    });
    const typesFor = async (id: string): Promise<string[]> =>
      (
        await t.app
          .get(DataSource)
          .query(
            'SELECT type FROM webhook_deliveries WHERE verification_id = ? ORDER BY created_at, id',
            [id],
          )
      ).map((row: { type: string }) => row.type);
    const phone = uniquePhone();
    const created = await t.http
      .post('/v1/verifications')
      .set(hooked.auth)
      .send({ flow: 'inbound', phone })
      .expect(201);
    await t.http
      .post('/v1/sandbox/inbound')
      .set(hooked.auth)
      .send({ from: uniquePhone(), text: created.body.waMessage })
      .expect(200);
    await t.http
      .post('/v1/sandbox/inbound')
      .set(hooked.auth)
      .send({ from: phone, text: created.body.waMessage })
      .expect(200);
    expect(await typesFor(created.body.id)).toEqual([
      'verification.inbound_mismatch',
      'verification.approved',
    ]);

    const late = await t.http
      .post('/v1/verifications')
      .set(hooked.auth)
      .send({ flow: 'inbound', phone: uniquePhone(), ttlSeconds: 60 })
      .expect(201);
    await ageVerification(t, late.body.id, 61_000);
    await t.http
      .post('/v1/sandbox/inbound')
      .set(hooked.auth)
      .send({ from: uniquePhone(), text: late.body.waMessage })
      .expect(200);
    expect(await typesFor(late.body.id)).toEqual(['verification.expired']);
  });

  it('validates the sandbox request', async () => {
    const bad = await t.http
      .post('/v1/sandbox/inbound')
      .set(tenant.auth)
      .send({ from: '+1', text: 'hi' })
      .expect(400);
    expect(bad.body.code).toBe('invalid_phone');
    const missing = await t.http
      .post('/v1/sandbox/inbound')
      .set(tenant.auth)
      .send({ from: uniquePhone() })
      .expect(400);
    expect(missing.body.code).toBe('validation_failed');
    const unknown = await t.http
      .post('/v1/sandbox/inbound')
      .set(tenant.auth)
      .send({ from: uniquePhone(), text: 'x', extra: 1 })
      .expect(400);
    expect(unknown.body.code).toBe('validation_failed');
    const anonymous = await t.http
      .post('/v1/sandbox/inbound')
      .send({ from: uniquePhone(), text: 'x' })
      .expect(401);
    expect(anonymous.body.code).toBe('unauthorized');
  });

  it('refuses a Meta webhook when Meta is not configured, and processes nothing', async () => {
    const res = await postMetaWebhook(t, metaNotification([]), `sha256=${'0'.repeat(64)}`).expect(
      401,
    );
    expect(res.body).toMatchObject({ statusCode: 401, code: 'invalid_signature' });
    const twilio = await t.http
      .post('/v1/webhooks/twilio')
      .type('form')
      .send({ MessageSid: 'SM1' })
      .expect(401);
    expect(twilio.body.code).toBe('invalid_signature');
  });

  it('documents the new routes in OpenAPI', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    expect(doc.paths['/v1/sandbox/inbound'].post.tags).toEqual(['sandbox']);
    expect(doc.paths['/v1/webhooks/meta'].get.tags).toEqual(['provider webhooks']);
    expect(doc.paths['/v1/webhooks/meta'].post).toBeDefined();
    expect(doc.paths['/v1/webhooks/twilio'].post).toBeDefined();
  });
});

describe('An inbound confirmation whose transaction fails', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startApp({ INBOUND_RETRY_INTERVAL: '100ms' });
    tenant = await createTenant(t);
  });
  afterAll(async () => t.close());

  async function auditTypes(id: string): Promise<string[]> {
    const rows: { type: string }[] = await t.app
      .get(DataSource)
      .query('SELECT type FROM audit_events WHERE verification_id = ? ORDER BY id', [id]);
    return rows.map((row) => row.type);
  }

  it('records the arrival once: on its own after the failure, not again when the retry approves', async () => {
    const phone = uniquePhone();
    const created = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ flow: 'inbound', phone })
      .expect(201);
    const id = created.body.id as string;
    // The database refuses this verification's approval (a real error inside the transaction).
    const db = t.app.get(DataSource);
    const trigger = `wv_refuse_${id.replace(/-/g, '').slice(-12)}`;
    await db.query(
      db.options.type === 'mysql'
        ? `CREATE TRIGGER ${trigger} BEFORE UPDATE ON verifications FOR EACH ROW BEGIN
             IF NEW.id = '${id}' AND NEW.status = 'approved' THEN
               SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused for the test';
             END IF;
           END`
        : `CREATE TRIGGER ${trigger} BEFORE UPDATE ON verifications
           WHEN NEW.id = '${id}' AND NEW.status = 'approved'
           BEGIN SELECT RAISE(ABORT, 'refused for the test'); END`,
    );
    try {
      await t.http
        .post('/v1/sandbox/inbound')
        .set(tenant.auth)
        .send({ from: phone, text: created.body.waMessage })
        .expect(200);
      const read = await t.http.get(`/v1/verifications/${id}`).set(tenant.auth).expect(200);
      expect(read.body.status).toBe('pending');
      expect(await auditTypes(id)).toEqual(['verification.created', 'inbound.received']);
    } finally {
      await db.query(`DROP TRIGGER ${trigger}`);
    }
    // The event waits for its retry: due now, the next poll takes it.
    await db.query(
      'UPDATE inbound_events SET next_attempt_at = 0 WHERE status = ? AND dedupe_key LIKE ? AND payload LIKE ?',
      ['pending', 'sandbox:message:%', `%${phone}%`],
    );
    let status = 'pending';
    for (let i = 0; i < 100 && status === 'pending'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = (await t.http.get(`/v1/verifications/${id}`).set(tenant.auth).expect(200)).body
        .status;
    }
    expect(status).toBe('approved');
    const types = await auditTypes(id);
    expect(types.filter((type) => type === 'inbound.received')).toHaveLength(1);
    expect(types.filter((type) => type === 'inbound.matched')).toHaveLength(1);
  });
});
