import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, MAIN_JS, ServiceProcess, startProcess } from './support/service-process';

/**
 * The built service (`node dist/src/main.js`) with LOG_FORMAT=json and LOG_LEVEL=trace, driven
 * through both flows and an admin app creation: its whole output is searched for every secret the
 * requests carried, and its request lines are checked field by field.
 */
const ADMIN_KEY = 'logging-admin-key-0123456789abcdef';
const PEPPER = 'logging-pepper-0123456789abcdef';
const e2eUrl = process.env.E2E_DATABASE_URL ?? '';

jest.setTimeout(120_000);

type Line = Record<string, unknown>;

describe('logs of the running service', () => {
  let proc: ServiceProcess;
  let base: string;

  beforeAll(async () => {
    ensureBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'wa-verify-logs-'));
    proc = startProcess(MAIN_JS, {
      NODE_ENV: 'test',
      DATABASE_URL: e2eUrl.startsWith('mysql') ? e2eUrl : `sqlite:${join(dir, 'db.sqlite')}`,
      DATA_DIR: join(dir, 'data'),
      ADMIN_API_KEY: ADMIN_KEY,
      OTP_PEPPER: PEPPER,
      CREATE_DEFAULT_APP: 'false',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'trace',
      INBOUND_RETRY_INTERVAL: '100ms',
      PORT: '0',
      HOST: '127.0.0.1',
    });
    const out = await proc.waitForStdout(/Listening on http:\/\/127\.0\.0\.1:\d+/, 60_000);
    base = `http://127.0.0.1:${/Listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]}`;
  }, 240_000);

  afterAll(async () => {
    await proc?.stop();
  });

  async function call(
    method: string,
    path: string,
    key: string,
    body?: unknown,
    requestId?: string,
  ): Promise<{ status: number; body: Record<string, unknown>; requestId: string | null }> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(requestId ? { 'x-request-id': requestId } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      requestId: res.headers.get('x-request-id'),
    };
  }

  it('never writes a key, secret, code, token, Authorization value or full phone, and logs one line per request', async () => {
    const createdApp = await call('POST', '/v1/apps', ADMIN_KEY, {
      name: 'Logging app',
      brandName: 'Acme',
    });
    expect(createdApp.status).toBe(201);
    const apiKey = createdApp.body.apiKey as string;
    const webhookSecret = createdApp.body.webhookSecret as string;
    const appId = createdApp.body.id as string;
    expect(apiKey).toEqual(expect.any(String));
    expect(webhookSecret).toEqual(expect.any(String));

    // Outbound: create, read the code from the sandbox, check it.
    const phone = `+62812${String(Date.now()).slice(-8)}`;
    const created = await call(
      'POST',
      '/v1/verifications',
      apiKey,
      { phone },
      'client-req.outbound_1',
    );
    expect(created.status).toBe(201);
    expect(created.requestId).toBe('client-req.outbound_1');
    const id = created.body.id as string;
    const messages = await call(
      'GET',
      `/v1/sandbox/messages?phone=${encodeURIComponent(phone)}`,
      apiKey,
    );
    const code = /\b(\d{4,10})\b/.exec(
      (messages.body as unknown as { text: string }[])[0].text,
    )![1];
    const checked = await call('POST', `/v1/verifications/${id}/check`, apiKey, { code });
    expect(checked.body.status).toBe('approved');

    // Inbound: the user writes the token from waMessage (through the sandbox).
    const inboundPhone = `+62813${String(Date.now() + 7).slice(-8)}`;
    const inbound = await call('POST', '/v1/verifications', apiKey, {
      flow: 'inbound',
      phone: inboundPhone,
    });
    expect(inbound.status).toBe(201);
    const waMessage = inbound.body.waMessage as string;
    const token = /WAV-[A-Z0-9-]+/.exec(waMessage)![0];
    const written = await call('POST', '/v1/sandbox/inbound', apiKey, {
      from: inboundPhone,
      text: waMessage,
    });
    expect(written.status).toBe(200);
    let status = '';
    for (let i = 0; i < 50 && status !== 'approved'; i += 1) {
      status = (await call('GET', `/v1/verifications/${inbound.body.id as string}`, apiKey)).body
        .status as string;
      if (status !== 'approved') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe('approved');

    // A generated id when the incoming one is unusable.
    const badId = await call('GET', `/v1/verifications/${id}`, apiKey, undefined, 'bad id!');
    expect(badId.requestId).toMatch(/^[0-9a-f-]{36}$/);

    // The audit trail names the request each event was written in.
    const audit = await call('GET', `/v1/audit-events?verificationId=${id}`, ADMIN_KEY);
    const events = audit.body.data as { type: string; data: Record<string, unknown> | null }[];
    const creation = events.find((event) => event.type === 'verification.created');
    expect(creation?.data?.requestId).toBe('client-req.outbound_1');

    // Give the process a moment to write its last lines, then read everything it wrote.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const output = proc.stdout() + proc.stderr();
    for (const secret of [
      ADMIN_KEY,
      apiKey,
      webhookSecret,
      code,
      token,
      PEPPER,
      phone,
      inboundPhone,
      phone.slice(1),
      inboundPhone.slice(1),
      'Bearer',
    ])
      expect({ secret, found: output.includes(secret) }).toEqual({ secret, found: false });
    expect(proc.stderr()).toBe('');

    const lines = proc
      .stdout()
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Line);
    const requests = lines.filter((line) => line.msg === 'request completed');
    // Exactly one line per request: the calls above, not Fastify's two.
    expect(requests.length).toBeGreaterThanOrEqual(8);
    expect(lines.filter((line) => line.msg === 'incoming request')).toEqual([]);
    for (const line of requests) {
      expect(line).toEqual(
        expect.objectContaining({
          reqId: expect.any(String),
          method: expect.stringMatching(/^(GET|POST)$/),
          route: expect.stringMatching(/^\/v1\//),
          statusCode: expect.any(Number),
          responseTime: expect.any(Number),
        }),
      );
      if ((line.route as string).startsWith('/v1/apps') || line.route === '/v1/audit-events')
        expect(line.appId).toBeUndefined();
      else expect(line.appId).toBe(appId);
    }
    expect(requests.map((line) => `${line.method as string} ${line.route as string}`)).toEqual(
      expect.arrayContaining([
        'POST /v1/apps',
        'POST /v1/verifications',
        'GET /v1/verifications/:id',
        'POST /v1/verifications/:id/check',
        'POST /v1/sandbox/inbound',
      ]),
    );
    expect(requests.find((line) => line.reqId === 'client-req.outbound_1')).toMatchObject({
      method: 'POST',
      route: '/v1/verifications',
      statusCode: 201,
      appId,
    });
  });
});
