import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeGraphServer } from './support/fake-graph-server';
import { CollectedSpan, FakeOtlpCollector } from './support/fake-otlp-collector';
import { ensureBuilt, MAIN_JS, ServiceProcess, startProcess } from './support/service-process';

/**
 * The built service with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a fake OTLP/HTTP collector on
 * 127.0.0.1: one trace per request, the server span named after the route with the verification
 * id, client spans for provider calls (Meta, faked), and database spans on MariaDB. Without the
 * endpoint (or with OTEL_SDK_DISABLED=true) nothing is exported.
 */
const ADMIN_KEY = 'tracing-admin-key-0123456789abcdef';
const e2eUrl = process.env.E2E_DATABASE_URL ?? '';
const onMysql = e2eUrl.startsWith('mysql');
const redisUrl = process.env.E2E_REDIS_URL;
const SERVER = 2;
const QUERY_SECRET = 'query-secret-4242';
const uniquePhone = (): string => `+62812${String(Date.now()).slice(-8)}`;
const CLIENT = 3;

jest.setTimeout(120_000);

describe('tracing', () => {
  const collector = new FakeOtlpCollector();
  const graph = new FakeGraphServer();
  let collectorUrl: string;
  let graphUrl: string;

  beforeAll(async () => {
    ensureBuilt();
    collectorUrl = await collector.start();
    graphUrl = await graph.start();
  }, 240_000);

  afterAll(async () => {
    await collector.stop();
    await graph.stop();
  });

  beforeEach(() => collector.reset());

  function env(extra: Record<string, string>): Record<string, string> {
    const dir = mkdtempSync(join(tmpdir(), 'wa-verify-tracing-'));
    return {
      NODE_ENV: 'test',
      DATABASE_URL: onMysql ? e2eUrl : `sqlite:${join(dir, 'db.sqlite')}`,
      DATA_DIR: join(dir, 'data'),
      ADMIN_API_KEY: ADMIN_KEY,
      OTP_PEPPER: 'tracing-pepper-0123456789abcdef',
      CREATE_DEFAULT_APP: 'false',
      LOG_FORMAT: 'json',
      WHATSAPP_PROVIDER: 'meta',
      META_API_BASE_URL: graphUrl,
      META_ACCESS_TOKEN: 'test-access-token',
      META_PHONE_NUMBER_ID: '1234567890',
      META_APP_SECRET: 'test-app-secret',
      META_VERIFY_TOKEN: 'test-verify-token',
      SMS_PROVIDER: 'none',
      ...(redisUrl
        ? {
            REDIS_URL: redisUrl,
            REDIS_KEY_PREFIX: `wa-verify-tracing-${process.pid}-${Date.now()}:`,
          }
        : {}),
      PORT: '0',
      HOST: '127.0.0.1',
      ...extra,
    };
  }

  async function withService<T>(
    extra: Record<string, string>,
    fn: (base: string) => Promise<T>,
  ): Promise<T> {
    const proc: ServiceProcess = startProcess(MAIN_JS, env(extra));
    try {
      const out = await proc.waitForStdout(/Listening on http:\/\/127\.0\.0\.1:\d+/, 60_000);
      return await fn(
        `http://127.0.0.1:${/Listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]}`,
      );
    } finally {
      await proc.stop();
    }
  }

  /** Creates an app and a verification (one message through the fake Graph API); returns its id. */
  async function createVerification(base: string, phone = uniquePhone()): Promise<string> {
    const app = await fetch(`${base}/v1/apps`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Traced', brandName: 'Acme' }),
    });
    expect(app.status).toBe(201);
    const { apiKey } = (await app.json()) as { apiKey: string };
    await fetch(`${base}/health/live`);
    const created = await fetch(`${base}/v1/verifications`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ phone }),
    });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { id: string }).id;
    const read = await fetch(`${base}/v1/verifications/${id}?probe=${QUERY_SECRET}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(read.status).toBe(200);
    return id;
  }

  async function spansUntil(done: (spans: CollectedSpan[]) => boolean): Promise<CollectedSpan[]> {
    for (let i = 0; i < 100 && !done(collector.spans()); i += 1)
      await new Promise((resolve) => setTimeout(resolve, 100));
    return collector.spans();
  }

  it('exports a server span per request named after the route, with the verification id and child spans', async () => {
    let id = '';
    const phone = uniquePhone();
    await withService(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl,
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_SERVICE_NAME: 'wa-verify-tracing-test',
      },
      async (base) => {
        id = await createVerification(base, phone);
        await spansUntil(
          (spans) =>
            spans.filter((span) => span.attributes['waverify.verification_id'] === id).length >= 2,
        );
      },
    );
    const spans = collector.spans();
    const server = spans.find(
      (span) =>
        span.kind === SERVER &&
        span.attributes['waverify.verification_id'] === id &&
        span.name.startsWith('POST'),
    );
    expect(server).toMatchObject({
      name: 'POST /v1/verifications',
      serviceName: 'wa-verify-tracing-test',
      attributes: expect.objectContaining({ 'http.route': '/v1/verifications' }),
    });
    expect(server!.parentSpanId).toBeUndefined();
    const sameTrace = spans.filter((span) => span.traceId === server!.traceId);
    // The provider call (node:http in src/providers/provider-http.ts) is a client span of the request.
    const graphPort = new URL(graphUrl).port;
    const providerCall = sameTrace.find(
      (span) => span.kind === CLIENT && JSON.stringify(span.attributes).includes(graphPort),
    );
    expect(providerCall).toBeDefined();
    expect(providerCall!.parentSpanId).toBe(server!.spanId);
    if (onMysql) {
      const db = sameTrace.filter((span) => span.scope.includes('mysql2'));
      expect(db.length).toBeGreaterThan(0);
      expect(db.every((span) => span.parentSpanId === server!.spanId)).toBe(true);
      // The background pollers' queries do not start traces of their own.
      expect(spans.filter((span) => span.scope.includes('mysql2') && !span.parentSpanId)).toEqual(
        [],
      );
    }
    if (redisUrl) {
      const redis = sameTrace.filter((span) => span.scope.includes('ioredis'));
      expect(redis.length).toBeGreaterThan(0);
    }
    // The admin's app creation is its own trace; health probes are not traced; every request
    // span is named after its route pattern, never a raw URL.
    const serverSpans = spans.filter((span) => span.kind === SERVER);
    expect(serverSpans.map((span) => span.name).sort()).toEqual([
      'GET /v1/verifications/:id',
      'POST /v1/apps',
      'POST /v1/verifications',
    ]);
    expect(
      serverSpans.find((span) => span.name === 'GET /v1/verifications/:id')?.attributes[
        'waverify.verification_id'
      ],
    ).toBe(id);
    expect(new Set(serverSpans.map((span) => span.traceId)).size).toBe(3);
    // No secret, query string or phone number in what is exported (SQL values are masked).
    const exported = JSON.stringify(spans);
    for (const secret of [ADMIN_KEY, QUERY_SECRET, phone, phone.slice(1)])
      expect({ secret, found: exported.includes(secret) }).toEqual({ secret, found: false });
  });

  it('keeps the signature of a demo handle out of the exported spans', async () => {
    let handle = '';
    await withService(
      {
        CREATE_DEFAULT_APP: 'true',
        OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl,
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
      async (base) => {
        const created = await fetch(`${base}/demo/api/verifications`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ flow: 'inbound' }),
        });
        expect(created.status).toBe(201);
        handle = ((await created.json()) as { handle: string }).handle;
        expect((await fetch(`${base}/demo/api/verifications/${handle}`)).status).toBe(200);
        await spansUntil((spans) =>
          spans.some((span) => span.name === 'GET /demo/api/verifications/:handle'),
        );
      },
    );
    const [id, signature] = handle.split('.');
    const read = collector
      .spans()
      .find((span) => span.name === 'GET /demo/api/verifications/:handle');
    expect(read?.attributes['http.target']).toBe(`/demo/api/verifications/${id}.[Redacted]`);
    expect(JSON.stringify(collector.spans())).not.toContain(signature);
  });

  it('exports nothing without OTEL_EXPORTER_OTLP_ENDPOINT, or with OTEL_SDK_DISABLED=true', async () => {
    const otherOtel = {
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_SERVICE_NAME: 'wa-verify-off',
    };
    await withService(otherOtel, async (base) => {
      await createVerification(base);
      await new Promise((resolve) => setTimeout(resolve, 500));
    });
    await withService(
      { ...otherOtel, OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl, OTEL_SDK_DISABLED: 'true' },
      async (base) => {
        await createVerification(base);
        await new Promise((resolve) => setTimeout(resolve, 500));
      },
    );
    expect(collector.requests).toEqual([]);
  });
});
