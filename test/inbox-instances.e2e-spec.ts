import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { FakeGraphServer } from './support/fake-graph-server';
import { FakeTwilioServer } from './support/fake-twilio-server';
import {
  createTenant,
  e2eDatabaseUrl,
  startApp,
  TestApp,
  TestTenant,
  uniquePhone,
} from './support/harness';
import { metaInboundText, metaSignature, postMetaWebhook } from './support/meta-notifications';
import { metaWithTwilioSmsEnv } from './support/provider-env';
import { waitFor } from './support/wait';

const PHONE_NUMBER_ID = '106540352242922';
const APP_SECRET = 'meta-app-secret-0123456789';
const digits = (phone: string): string => phone.replace(/^\+/, '');

/**
 * Two instances share one inbox. Both poll it while one of them also processes what it accepted, and
 * every reply is slow, so their attempts overlap: each event must still be processed exactly once.
 */
describe('Inbox shared by two instances', () => {
  const graph = new FakeGraphServer();
  const twilio = new FakeTwilioServer();
  let t1: TestApp;
  let t2: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    const [graphUrl, twilioUrl] = await Promise.all([graph.start(), twilio.start()]);
    const env = metaWithTwilioSmsEnv(
      graphUrl,
      twilioUrl,
      twilio,
      { phoneNumberId: PHONE_NUMBER_ID, appSecret: APP_SECRET, verifyToken: 'verify-token' },
      { INBOUND_RETRY_INTERVAL: '50ms' },
    );
    const databaseUrl = e2eDatabaseUrl();
    t1 = await startApp(env, databaseUrl);
    t2 = await startApp(env, databaseUrl);
    tenant = await createTenant(t1, { brandName: 'Acme' });
  });
  afterAll(async () => {
    await Promise.all([t1?.close(), t2?.close()]);
    await Promise.all([graph.stop(), twilio.stop()]);
  });

  it('processes each event once: one approval, one reply and one audit event per message', async () => {
    graph.delayMs = 150;
    const phones = Array.from({ length: 6 }, () => uniquePhone());
    const created = await Promise.all(
      phones.map(async (phone) => {
        const res = await t1.http
          .post('/v1/verifications')
          .set(tenant.auth)
          .send({ flow: 'inbound', phone })
          .expect(201);
        return {
          id: res.body.id as string,
          phone,
          text: res.body.waMessage as string,
          messageId: `wamid.${randomBytes(12).toString('hex')}`,
        };
      }),
    );
    const raw = metaInboundText(
      PHONE_NUMBER_ID,
      created.map((c) => ({ from: c.phone, text: c.text, id: c.messageId })),
    );
    const signature = metaSignature(raw, APP_SECRET);
    // Meta delivers to one instance, then redelivers to the other: one row per message either way.
    const [first, again] = await Promise.all([
      postMetaWebhook(t1, raw, signature),
      postMetaWebhook(t2, raw, signature),
    ]);
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(first.body.received + again.body.received).toBe(created.length);
    expect(first.body.duplicates + again.body.duplicates).toBe(created.length);

    const db = t1.app.get(DataSource);
    const keys = created.map((c) => `meta:message:${c.messageId}`);
    const rows = await waitFor(async () => {
      const found: { status: string; attempts: number; lease_token: string | null }[] =
        await db.query(
          `SELECT status, attempts, lease_token FROM inbound_events WHERE dedupe_key IN (${keys.map(() => '?').join(', ')})`,
          keys,
        );
      return found.length === keys.length && found.every((row) => row.status === 'processed')
        ? found
        : undefined;
    }, 20_000);
    expect(rows.map((row) => [row.attempts, row.lease_token])).toEqual(keys.map(() => [0, null]));
    // Let any straggling duplicate attempt finish before counting.
    await new Promise((resolve) => setTimeout(resolve, 500));

    for (const c of created) {
      const shown = await t2.http.get(`/v1/verifications/${c.id}`).set(tenant.auth).expect(200);
      expect(shown.body.status).toBe('approved');
      const replies = graph.requests.filter(
        (r) => (r.body as { to?: string } | null)?.to === digits(c.phone),
      );
      expect(replies).toHaveLength(1);
      const audit = await t1.http
        .get('/v1/audit-events')
        .query({ verificationId: c.id })
        .set(tenant.auth)
        .expect(200);
      const types = (audit.body.data as { type: string }[]).map((event) => event.type);
      expect(types.filter((type) => type === 'inbound.matched')).toHaveLength(1);
    }
  });
});
