/**
 * Both verification flows and a client webhook, driven only through the typed client, against a
 * running wa-verify (sandbox providers). test/typescript-client.e2e-spec.ts boots the real app and
 * a webhook receiver and runs these; this file is also compiled with the client's strict tsconfig
 * (`npm run client:check`), so the calls below are exactly what a strict TypeScript user writes.
 */
import {
  createWaVerifyClient,
  unwrap,
  verifyWebhook,
  WaVerifyError,
  WebhookVerificationError,
  type WaVerifyClient,
} from '../src';
import { buildSignupBackend } from '../examples/signup-backend';

/** One request the receiver got: the body bytes as sent, and Node's request headers. */
export interface ReceivedRequest {
  rawBody: string;
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/** A webhook endpoint of the local receiver. */
export interface WebhookEndpoint {
  url: string;
  received(): readonly ReceivedRequest[];
}

export interface ClientFlowsEnv {
  baseUrl: string;
  adminKey: string;
  /** A fresh phone number (suites may share a database). */
  newPhone(): string;
  newWebhookEndpoint(): WebhookEndpoint;
  /** Polls `probe` until it returns a value (bounded in time). */
  waitFor<T>(probe: () => T | undefined): Promise<T>;
}

/** Registers the client suite; `env` is read once the surrounding `beforeAll`s have run. */
export function describeClientFlows(env: () => ClientFlowsEnv): void {
  let admin: WaVerifyClient;
  let client: WaVerifyClient;
  let webhookSecret: string;
  let endpoint: WebhookEndpoint;

  beforeAll(async () => {
    const { baseUrl, adminKey, newWebhookEndpoint } = env();
    endpoint = newWebhookEndpoint();
    admin = createWaVerifyClient({ baseUrl, apiKey: adminKey });
    const app = await unwrap(
      admin.POST('/v1/apps', {
        body: { name: 'Client e2e', brandName: 'Acme', webhookUrl: endpoint.url },
      }),
    );
    expect(app.webhookUrl).toBe(endpoint.url);
    webhookSecret = app.webhookSecret;
    client = createWaVerifyClient({ baseUrl: `${baseUrl}/`, apiKey: app.apiKey });
  });

  /** The code the sandbox "sent" to `phone` (newest message first). */
  async function sandboxCode(phone: string): Promise<string> {
    const messages = await unwrap(
      client.GET('/v1/sandbox/messages', { params: { query: { phone } } }),
    );
    const code = /\b(\d{4,10})\b/.exec(messages[0]?.text ?? '')?.[1];
    if (code === undefined) throw new Error(`no code sent to ${phone}`);
    return code;
  }

  it('outbound: create, read the code from the sandbox, a wrong code then the right one approves', async () => {
    const phone = env().newPhone();
    const created = await unwrap(
      client.POST('/v1/verifications', { body: { phone, metadata: { userId: '42' } } }),
    );
    expect(created).toMatchObject({ flow: 'outbound', phone, status: 'pending' });
    const code = await sandboxCode(phone);
    const wrong = code === '000000' ? '111111' : '000000';

    const miss = await unwrap(
      client.POST('/v1/verifications/{id}/check', {
        params: { path: { id: created.id } },
        body: { code: wrong },
      }),
    );
    expect(miss).toEqual({ id: created.id, status: 'pending', valid: false, attemptsRemaining: 4 });

    const hit = await unwrap(
      client.POST('/v1/verifications/{id}/check', {
        params: { path: { id: created.id } },
        body: { code },
      }),
    );
    expect(hit).toMatchObject({ id: created.id, status: 'approved', valid: true });

    const read = await unwrap(
      client.GET('/v1/verifications/{id}', { params: { path: { id: created.id } } }),
    );
    expect(read.status).toBe('approved');
    expect(read.approvedAt).not.toBeNull();
  });

  it('gives errors as typed values, and unwrap() throws them with their code', async () => {
    const { error, response } = await client.GET('/v1/verifications/{id}', {
      params: { path: { id: 'ver_does_not_exist' } },
    });
    expect(response.status).toBe(404);
    expect(error?.code).toBe('not_found');

    const phone = env().newPhone();
    const created = await unwrap(client.POST('/v1/verifications', { body: { phone } }));
    await unwrap(
      client.POST('/v1/verifications/{id}/cancel', { params: { path: { id: created.id } } }),
    );
    const again = client.POST('/v1/verifications/{id}/check', {
      params: { path: { id: created.id } },
      body: { code: await sandboxCode(phone) },
    });
    await expect(unwrap(again)).rejects.toMatchObject({
      name: 'WaVerifyError',
      status: 409,
      code: 'verification_not_pending',
      body: { status: 'canceled' },
    });
    await expect(unwrap(again)).rejects.toBeInstanceOf(WaVerifyError);
  });

  it('inbound: the person sends the prefilled message, the verification is approved, the signed webhook verifies', async () => {
    const phone = env().newPhone();
    const created = await unwrap(
      client.POST('/v1/verifications', { body: { flow: 'inbound', phone } }),
    );
    expect(created.status).toBe('pending');
    expect(created.waLink).toMatch(/^https:\/\/wa\.me\/\d+\?text=/);
    expect(created.qrCode).toMatch(/^data:image\/svg\+xml;base64,/);
    const waMessage = created.waMessage;
    if (waMessage === undefined) throw new Error('an inbound verification has a waMessage');

    const inbound = await unwrap(
      client.POST('/v1/sandbox/inbound', { body: { from: phone, text: waMessage } }),
    );
    expect(inbound.accepted).toBe(true);

    const read = await unwrap(
      client.GET('/v1/verifications/{id}', { params: { path: { id: created.id } } }),
    );
    expect(read.status).toBe('approved');

    const request = await env().waitFor(() =>
      endpoint.received().find((hook) => hook.rawBody.includes(created.id)),
    );
    const event = verifyWebhook(webhookSecret, request.rawBody, request.headers);
    expect(event.type).toBe('verification.approved');
    expect(event.data).toMatchObject({ id: created.id, status: 'approved', flow: 'inbound' });

    // The same bytes as a Uint8Array and the headers as a Fetch `Headers` verify too.
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers))
      if (typeof value === 'string') headers.set(name, value);
    expect(
      verifyWebhook(webhookSecret, new TextEncoder().encode(request.rawBody), headers),
    ).toEqual(event);

    // Tampering with the body, the signature or the secret is refused.
    const tampered = request.rawBody.replace('"approved"', '"canceled"');
    expect(() => verifyWebhook(webhookSecret, tampered, request.headers)).toThrow(
      WebhookVerificationError,
    );
    const forged = { ...request.headers, 'webhook-signature': 'v1,bm90IGEgc2lnbmF0dXJl' };
    expect(() => verifyWebhook(webhookSecret, request.rawBody, forged)).toThrow(
      WebhookVerificationError,
    );
    const otherSecret = `whsec_${Buffer.from('another app secret, 32 bytes...').toString('base64')}`;
    expect(() => verifyWebhook(otherSecret, request.rawBody, request.headers)).toThrow(
      WebhookVerificationError,
    );
    const { 'webhook-signature': _signature, ...unsigned } = request.headers;
    expect(() => verifyWebhook(webhookSecret, request.rawBody, unsigned)).toThrow(
      'Missing webhook-signature header',
    );
  });

  it('the README sign-up backend: a code by WhatsApp, then the wa.me link flow, and its raw-body webhook route', async () => {
    const backend = buildSignupBackend(client, webhookSecret);
    const post = async (url: string, payload: object) => {
      const res = await backend.inject({ method: 'POST', url, payload });
      const body: unknown = res.json();
      return { status: res.statusCode, body };
    };

    const phone = env().newPhone();
    const started = await post('/signup/phone', { phone, method: 'code' });
    expect(started).toEqual({
      status: 201,
      body: { signupId: expect.any(String), expiresAt: expect.any(String) },
    });
    const signupId = stringField(started.body, 'signupId');
    const code = await sandboxCode(phone);
    const wrong = code === '000000' ? '111111' : '000000';
    await expect(post('/signup/verify', { signupId, code: wrong })).resolves.toEqual({
      status: 200,
      body: { verified: false, status: 'pending', attemptsRemaining: 4 },
    });
    await expect(post('/signup/verify', { signupId, code })).resolves.toEqual({
      status: 200,
      body: { verified: true, userId: expect.any(String), phone, sessionToken: expect.any(String) },
    });
    await expect(post('/signup/verify', { signupId, code })).resolves.toEqual({
      status: 409,
      body: { error: 'verification_not_pending', status: 'approved' },
    });

    // The wa.me flow: the app opens the link, the person sends the prefilled text.
    const linked = await post('/signup/phone', {});
    expect(linked.status).toBe(201);
    const inboundId = stringField(linked.body, 'signupId');
    const text = new URL(stringField(linked.body, 'waLink')).searchParams.get('text');
    if (text === null) throw new Error('the wa.me link carries the prefilled text');
    await expect(post('/signup/verify', { signupId: inboundId })).resolves.toEqual({
      status: 200,
      body: { verified: false, status: 'pending' },
    });
    const person = env().newPhone();
    await unwrap(client.POST('/v1/sandbox/inbound', { body: { from: person, text } }));
    await expect(post('/signup/verify', { signupId: inboundId })).resolves.toMatchObject({
      status: 200,
      body: { verified: true, phone: person },
    });

    // wa-verify's webhook for that sign-up, replayed into the backend's route byte for byte.
    const hook = await env().waitFor(() =>
      endpoint.received().find((request) => request.rawBody.includes(inboundId)),
    );
    const headers = {
      'content-type': 'application/json',
      'webhook-id': stringField(hook.headers, 'webhook-id'),
      'webhook-timestamp': stringField(hook.headers, 'webhook-timestamp'),
      'webhook-signature': stringField(hook.headers, 'webhook-signature'),
    };
    const deliver = async (payload: string) =>
      (await backend.inject({ method: 'POST', url: '/webhooks/wa-verify', headers, payload }))
        .statusCode;
    await expect(deliver(hook.rawBody)).resolves.toBe(204);
    // Re-serialised JSON (other spacing) is not the signed bytes.
    await expect(deliver(JSON.stringify(JSON.parse(hook.rawBody), null, 1))).resolves.toBe(401);
    await backend.close();
  });
}

function stringField(value: unknown, key: string): string {
  const field: unknown =
    typeof value === 'object' && value !== null
      ? Object.entries(value).find(([k]) => k === key)?.[1]
      : undefined;
  if (typeof field !== 'string') throw new Error(`no string ${key}`);
  return field;
}
