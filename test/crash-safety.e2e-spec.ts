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
import { metaWithTwilioSmsEnv } from './support/provider-env';
import { waitFor } from './support/wait';

/**
 * Store first, then send: a creation is visible (delivery `queued`) before its code goes out, so a
 * client that retries with its Idempotency-Key while the send hangs, or after the instance that
 * took the request died, gets the stored verification and no second message. Two instances share
 * one database; the providers are fakes on 127.0.0.1.
 */
describe('Creation stores the verification before sending the code', () => {
  const graph = new FakeGraphServer();
  const twilio = new FakeTwilioServer();
  let t1: TestApp;
  let t2: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    const [graphUrl, twilioUrl] = await Promise.all([graph.start(), twilio.start()]);
    const env = metaWithTwilioSmsEnv(graphUrl, twilioUrl, twilio, {
      phoneNumberId: '106540352242922',
      appSecret: 'test-app-secret',
      verifyToken: 'test-verify-token',
    });
    const databaseUrl = e2eDatabaseUrl();
    t1 = await startApp({ ...env, META_TIMEOUT: '4s' }, databaseUrl);
    t2 = await startApp({ ...env, META_TIMEOUT: '4s' }, databaseUrl);
    tenant = await createTenant(t1);
  });
  afterAll(async () => {
    await Promise.all([t1?.close(), t2?.close()]);
    await Promise.all([graph.stop(), twilio.stop()]);
  });
  beforeEach(() => {
    graph.reset();
    twilio.reset();
  });

  const sendsTo = (server: FakeGraphServer | FakeTwilioServer, phone: string): number =>
    server.requests.filter((request) => JSON.stringify(request.body).includes(phone.slice(1)))
      .length;

  const create = (t: TestApp, phone: string, key: string, body: Record<string, unknown> = {}) =>
    t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .set('Idempotency-Key', key)
      .send({ phone, ...body });

  it('shows the verification as queued while the provider call is in flight; same-key retries on either instance return it and send nothing', async () => {
    const phone = uniquePhone();
    const key = `slow-${phone}`;
    graph.delayMs = 1500;
    // Started now, answered once the slow Graph API answers.
    const first = create(t1, phone, key).then((res) => res);
    await waitFor(() => sendsTo(graph, phone) === 1);

    const listed = await t2.http
      .get('/v1/verifications')
      .query({ phone })
      .set(tenant.auth)
      .expect(200);
    expect(listed.body.data).toHaveLength(1);
    const id = listed.body.data[0].id as string;
    expect(listed.body.data[0]).toMatchObject({
      status: 'pending',
      delivery: { channel: 'whatsapp', status: 'queued', messageId: null, errorCode: null },
    });
    const shown = await t1.http.get(`/v1/verifications/${id}`).set(tenant.auth).expect(200);
    expect(shown.body.delivery).toEqual({
      channel: 'whatsapp',
      status: 'queued',
      messageId: null,
      errorCode: null,
    });

    // The client gives up on the hanging request and retries, here on the other instance.
    const retried = await create(t2, phone, key).expect(201);
    expect(retried.body).toMatchObject({ id, status: 'pending', delivery: { status: 'queued' } });
    const retriedHere = await create(t1, phone, key).expect(201);
    expect(retriedHere.body.id).toBe(id);

    const answered = await first;
    expect(answered.status).toBe(201);
    expect(answered.body).toMatchObject({
      id,
      delivery: { channel: 'whatsapp', status: 'accepted', messageId: expect.any(String) },
    });
    const after = await create(t2, phone, key).expect(201);
    expect(after.body).toMatchObject({ id, delivery: { status: 'accepted' } });
    expect(after.body.delivery.messageId).toBe(answered.body.delivery.messageId);
    expect(sendsTo(graph, phone)).toBe(1);

    const code = graph.lastCodeTo(phone)!;
    const checked = await t2.http
      .post(`/v1/verifications/${id}/check`)
      .set(tenant.auth)
      .send({ code })
      .expect(200);
    expect(checked.body).toMatchObject({ valid: true, status: 'approved' });

    const audit = await t1.http
      .get('/v1/audit-events')
      .query({ verificationId: id })
      .set(tenant.auth)
      .expect(200);
    expect((audit.body.data as { type: string }[]).map((event) => event.type).sort()).toEqual(
      ['check.succeeded', 'message.sent', 'verification.created'].sort(),
    );
  });

  it('a same-key retry while the first instance hangs on the provider gets the stored verification, still queued, and no second code', async () => {
    const phone = uniquePhone();
    const key = `hung-${phone}`;
    // The Graph API does not answer: the first instance waits until META_TIMEOUT (4 s).
    graph.delayMs = 60_000;
    const hung = create(t1, phone, key).then((res) => res);
    await waitFor(() => sendsTo(graph, phone) === 1);

    const retried = await create(t2, phone, key).expect(201);
    expect(retried.body).toMatchObject({
      status: 'pending',
      delivery: { channel: 'whatsapp', status: 'queued', messageId: null, errorCode: null },
    });
    const again = await create(t2, phone, key).expect(201);
    expect(again.body.id).toBe(retried.body.id);

    // The hung call times out: its outcome lands on the same stored verification.
    const timedOut = await hung;
    expect(timedOut.status).toBe(502);
    expect(timedOut.body).toMatchObject({ code: 'delivery_failed', id: retried.body.id });
    const after = await create(t2, phone, key).expect(201);
    expect(after.body).toMatchObject({ id: retried.body.id, status: 'failed' });
    expect(sendsTo(graph, phone)).toBe(1);
    expect(sendsTo(twilio, phone)).toBe(0);
  });

  it('records a send that no channel delivered on the stored verification: failed, 502 with its id, and a replay returns it', async () => {
    const phone = uniquePhone();
    const key = `fail-${phone}`;
    graph.failAll(400);
    const res = await create(t1, phone, key).expect(502);
    expect(res.body.code).toBe('delivery_failed');
    const id = res.body.id as string;
    expect(id).toEqual(expect.any(String));
    graph.failAll(null);

    const shown = await t2.http.get(`/v1/verifications/${id}`).set(tenant.auth).expect(200);
    expect(shown.body).toMatchObject({
      status: 'failed',
      delivery: { channel: 'whatsapp', status: 'failed', messageId: null },
    });
    const replay = await create(t2, phone, key).expect(201);
    expect(replay.body).toMatchObject({ id, status: 'failed' });
    expect(sendsTo(graph, phone)).toBe(1);
  });

  it('falls back to SMS after the stored verification: the fallback channel is recorded, with created, failed and sent audited in that order', async () => {
    const phone = uniquePhone();
    graph.failAll(400);
    const res = await create(t1, phone, `fallback-${phone}`, { fallbackChannels: ['sms'] }).expect(
      201,
    );
    graph.failAll(null);
    expect(res.body.delivery).toMatchObject({ channel: 'sms', messageId: expect.any(String) });
    const shown = await t2.http
      .get(`/v1/verifications/${res.body.id}`)
      .set(tenant.auth)
      .expect(200);
    expect(shown.body.delivery).toEqual(res.body.delivery);
    expect(sendsTo(twilio, phone)).toBe(1);
    const audit = await t1.http
      .get('/v1/audit-events')
      .query({ verificationId: res.body.id })
      .set(tenant.auth)
      .expect(200);
    const types = (audit.body.data as { type: string }[]).map((event) => event.type);
    expect(types).toEqual(['verification.created', 'message.failed', 'message.sent']);
  });
});
