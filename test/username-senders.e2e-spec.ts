import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { FakeGraphServer, GraphSendBody } from './support/fake-graph-server';
import {
  ADMIN_KEY,
  createTenant,
  startApp,
  TestApp,
  TestTenant,
  uniquePhone,
} from './support/harness';
import { metaInboundText, metaSignature, postMetaWebhook } from './support/meta-notifications';
import { waitFor } from './support/wait';

/**
 * WhatsApp senders with a username: Meta may show only their business-scoped user id (BSUID).
 * Replies go to that id (`recipient`), never as an authentication template; a phone-less confirm
 * verification approves them only when the app allows username-only senders; the user id ↔ phone
 * pairs Meta reveals resolve a later user-id-only message to the phone. Fake Graph API on 127.0.0.1.
 */

const PHONE_NUMBER_ID = '106540352242922';
const APP_SECRET = 'meta-app-secret-0123456789';
const ADMIN = { Authorization: `Bearer ${ADMIN_KEY}` };

const wamid = (): string => `wamid.${randomBytes(24).toString('base64')}`;
let userCounter = 0;
/** A fresh BSUID per call (country prefix, period, digits), so cases never share a sender. */
const newUserId = (country = 'US'): string =>
  `${country}.${Date.now()}${String((userCounter += 1)).padStart(4, '0')}`;

describe('Username senders (business-scoped user ids) through Meta', () => {
  const graph = new FakeGraphServer();
  let t: TestApp;
  let strict: TestTenant;
  let lenient: TestTenant;

  beforeAll(async () => {
    const graphUrl = await graph.start();
    t = await startApp({
      WHATSAPP_PROVIDER: 'meta',
      SMS_PROVIDER: 'none',
      META_API_BASE_URL: graphUrl,
      META_ACCESS_TOKEN: 'test-access-token',
      META_PHONE_NUMBER_ID: PHONE_NUMBER_ID,
      META_APP_SECRET: APP_SECRET,
      META_VERIFY_TOKEN: 'meta-verify-token',
      INBOUND_RETRY_INTERVAL: '200ms',
    });
    strict = await createTenant(t, { brandName: 'Acme' });
    lenient = await createTenant(t, { brandName: 'Acme', allowUsernameOnly: true });
  });
  afterAll(async () => {
    await t.close();
    await graph.stop();
  });

  async function createInbound(
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

  /** The person writes `text`; `from` (phone) and/or `userId` identify them, as Meta shows them. */
  async function send(
    sender: { from?: string; userId?: string; timestamp?: string },
    text: string,
  ): Promise<string> {
    const id = wamid();
    const raw = metaInboundText(PHONE_NUMBER_ID, {
      ...sender,
      profile: { name: 'Sheena', ...(sender.from ? {} : { username: '@sheena' }) },
      id,
      text,
    });
    await postMetaWebhook(t, raw, metaSignature(raw, APP_SECRET)).expect(200);
    return id;
  }

  /** Resolves once the inbox has processed the message `id`. */
  const processed = (id: string) =>
    waitFor(async () => {
      const rows: { status: string }[] = await t.app
        .get(DataSource)
        .query('SELECT status FROM inbound_events WHERE dedupe_key = ?', [`meta:message:${id}`]);
      return rows[0]?.status === 'processed';
    });

  const verification = async (tenant: TestTenant, id: string) =>
    (await t.http.get(`/v1/verifications/${id}`).set(tenant.auth).expect(200)).body;

  const replyToUserId = (userId: string): Promise<GraphSendBody> =>
    waitFor(() => graph.lastMessageToUserId(userId)?.body);

  async function auditData(verificationId: string, type: string): Promise<unknown[]> {
    const rows: { data: string }[] = await t.app
      .get(DataSource)
      .query('SELECT data FROM audit_events WHERE verification_id = ? AND type = ?', [
        verificationId,
        type,
      ]);
    return rows.map((row) => JSON.parse(row.data) as unknown);
  }

  describe('app field allowUsernameOnly', () => {
    it('defaults to false, and create, PATCH and GET carry it', async () => {
      const created = await t.http
        .post('/v1/apps')
        .set(ADMIN)
        .send({ name: 'Usernames' })
        .expect(201);
      expect(created.body.allowUsernameOnly).toBe(false);
      const id = created.body.id as string;
      const patched = await t.http
        .patch(`/v1/apps/${id}`)
        .set(ADMIN)
        .send({ allowUsernameOnly: true })
        .expect(200);
      expect(patched.body.allowUsernameOnly).toBe(true);
      expect((await t.http.get(`/v1/apps/${id}`).set(ADMIN).expect(200)).body).toMatchObject({
        allowUsernameOnly: true,
      });
      // Another field's PATCH leaves it alone.
      await t.http.patch(`/v1/apps/${id}`).set(ADMIN).send({ brandName: 'X' }).expect(200);
      expect((await t.http.get(`/v1/apps/${id}`).set(ADMIN)).body.allowUsernameOnly).toBe(true);
    });

    it.each([[null], ['yes'], [1]])('refuses %p with 400 validation_failed', async (value) => {
      const res = await t.http
        .post('/v1/apps')
        .set(ADMIN)
        .send({ name: 'Bad', allowUsernameOnly: value })
        .expect(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: 'allowUsernameOnly' })]),
      );
    });
  });

  it('asks a user-id-only sender to share their number (to the user id, as text) and keeps the verification pending', async () => {
    const userId = newUserId();
    const { id, waMessage } = await createInbound(strict);
    await send({ userId }, waMessage);

    const reply = await replyToUserId(userId);
    expect(reply).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      recipient: userId,
      type: 'text',
      text: {
        preview_url: false,
        body:
          'To verify your number for the Acme app, we need to see your phone number, which your ' +
          'WhatsApp username keeps hidden. Please share your number with us in this chat, then ' +
          'send the verification message again.',
      },
    });
    expect(await verification(strict, id)).toMatchObject({
      status: 'pending',
      phone: null,
      waUserId: null,
    });
    expect(await auditData(id, 'verification.inbound_refused')).toEqual([
      expect.objectContaining({ reason: 'phone_required', from: null }),
    ]);
  });

  it('approves a phone-less confirm verification with waUserId and no phone when the app allows it, and confirms to the user id', async () => {
    const userId = newUserId('BR');
    const { id, waMessage } = await createInbound(lenient);
    await send({ userId }, waMessage);

    await waitFor(async () => (await verification(lenient, id)).status === 'approved');
    expect(await verification(lenient, id)).toMatchObject({
      status: 'approved',
      phone: null,
      waUserId: userId,
    });
    const reply = await replyToUserId(userId);
    expect(reply).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      recipient: userId,
      type: 'text',
      text: {
        preview_url: false,
        body: 'Your number is verified. You can go back to the Acme app.',
      },
    });
    expect(reply.to).toBeUndefined();
  });

  it('never sends a code (or any template) to a user id: a code verification asks for the number, in its language', async () => {
    const userId = newUserId('ID');
    const { id, waMessage } = await createInbound(lenient, {
      inboundReply: 'code',
      locale: 'id',
    });
    await send({ userId }, waMessage);

    const reply = await replyToUserId(userId);
    expect(reply.type).toBe('text');
    expect(reply.text?.body).toBe(
      'Untuk memverifikasi nomor Anda di aplikasi Acme, kami perlu melihat nomor telepon Anda, ' +
        'yang disembunyikan oleh nama pengguna WhatsApp Anda. Silakan bagikan nomor Anda kepada ' +
        'kami di chat ini, lalu kirim ulang pesan verifikasi.',
    );
    const toUser = graph.requests.filter(
      (r) => (r.body as GraphSendBody | null)?.recipient === userId,
    );
    expect(toUser.every((r) => (r.body as GraphSendBody).type === 'text')).toBe(true);
    expect(await verification(lenient, id)).toMatchObject({ status: 'pending', phone: null });
    expect(await auditData(id, 'inbound.mismatch')).toEqual([
      expect.objectContaining({ reason: 'phone_hidden' }),
    ]);
  });

  it('resolves a later user-id-only message to the phone Meta showed with that user id', async () => {
    const phone = uniquePhone();
    const userId = newUserId('ID');
    // First contact: both identifiers in one webhook (contacts[].wa_id + contacts[].user_id).
    await send({ from: phone, userId }, 'halo');
    await waitFor(() => graph.lastMessageTo(phone));
    const rows: { phone: string }[] = await t.app
      .get(DataSource)
      .query('SELECT phone FROM wa_user_phones WHERE user_id = ?', [userId]);
    expect(rows).toEqual([{ phone }]);

    // Later the phone is hidden: the verification bound to that phone still approves.
    const { id, waMessage } = await createInbound(strict, { phone });
    await send({ userId }, waMessage);
    await waitFor(async () => (await verification(strict, id)).status === 'approved');
    expect(await verification(strict, id)).toMatchObject({
      status: 'approved',
      phone,
      waUserId: userId,
    });
    // The confirmation goes to the phone (`to`), the address Meta recommends when known.
    const confirmation = await waitFor(() => {
      const body = graph.lastMessageTo(phone)?.body;
      return body?.text?.body?.startsWith('Your number is verified') ? body : undefined;
    });
    expect(confirmation.recipient).toBeUndefined();
    expect(graph.lastMessageToUserId(userId)).toBeUndefined();
  });

  it('still refuses a phone-bound verification to an unknown user id, asking for the number', async () => {
    const userId = newUserId();
    const phone = uniquePhone();
    const { id, waMessage } = await createInbound(lenient, { phone });
    await send({ userId }, waMessage);
    const reply = await replyToUserId(userId);
    expect(reply.text?.body).toContain('Please share your number with us in this chat');
    expect(await verification(lenient, id)).toMatchObject({ status: 'pending', phone });
  });

  it('keeps the newest pair when Meta shows a user id with another phone', async () => {
    const userId = newUserId();
    const [oldPhone, newPhone] = [uniquePhone(), uniquePhone()];
    await send({ from: oldPhone, userId }, 'hello');
    await waitFor(() => graph.lastMessageTo(oldPhone));
    await send({ from: newPhone, userId }, 'hello again');
    await waitFor(() => graph.lastMessageTo(newPhone));
    const rows: { phone: string }[] = await t.app
      .get(DataSource)
      .query('SELECT phone FROM wa_user_phones WHERE user_id = ?', [userId]);
    expect(rows).toEqual([{ phone: newPhone }]);

    // A late redelivery of an older message does not bring the old phone back.
    const anHourAgo = String(Math.floor(Date.now() / 1000) - 3600);
    await processed(
      await send({ from: oldPhone, userId, timestamp: anHourAgo }, 'hello from the past'),
    );
    const after: { phone: string }[] = await t.app
      .get(DataSource)
      .query('SELECT phone FROM wa_user_phones WHERE user_id = ?', [userId]);
    expect(after).toEqual([{ phone: newPhone }]);
  });
});
