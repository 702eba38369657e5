import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiDocumentProblems } from '../src/openapi/openapi';
import { startApp, TestApp } from './support/harness';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
// The pages are public HTML: the console asks for a key in the page, the demo needs none.
const PUBLIC_PATHS = [
  '/health/live',
  '/health/ready',
  '/v1/webhooks/meta',
  '/v1/webhooks/twilio',
  '/demo',
  '/console',
];

function operations(doc: Json): { path: string; method: string; op: Json }[] {
  return Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => ({ path, method, op: item[method] })),
  );
}

describe('OpenAPI document (/docs-json and openapi.json)', () => {
  let t: TestApp;
  let doc: Json;

  beforeAll(async () => {
    t = await startApp();
    doc = (await t.http.get('/docs-json').expect(200)).body;
  });

  afterAll(async () => {
    await t.close();
  });

  it('is the committed openapi.json (run `npm run openapi:export` after changing a route or DTO)', () => {
    const committed = JSON.parse(readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8'));
    expect(doc).toEqual(committed);
  });

  it('is OpenAPI 3.1 with a relative server and the MIT license', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: '/', description: expect.any(String) }]);
    expect(doc.info.license).toMatchObject({ name: 'MIT' });
  });

  it('has one scheme for app keys (apiKey), one for the admin key and one for the metrics token, and every route names one of them or none', () => {
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual([
      'admin',
      'apiKey',
      'metricsToken',
    ]);
    for (const { path, method, op } of operations(doc)) {
      const where = `${method} ${path}`;
      expect({ where, security: op.security }).toEqual({ where, security: expect.any(Array) });
      if (PUBLIC_PATHS.includes(path))
        expect({ where, security: op.security }).toEqual({ where, security: [] });
      else expect({ where, empty: op.security.length === 0 }).toEqual({ where, empty: false });
      for (const requirement of op.security)
        for (const scheme of Object.keys(requirement))
          expect(['apiKey', 'admin', ...(path === '/metrics' ? ['metricsToken'] : [])]).toContain(
            scheme,
          );
    }
    const security = (path: string, method: string) => doc.paths[path][method].security;
    expect(security('/v1/sandbox/messages', 'get')).toEqual([{ apiKey: [] }]);
    expect(security('/v1/sandbox/inbound', 'post')).toEqual([{ apiKey: [] }]);
    expect(security('/v1/verifications', 'post')).toEqual([{ apiKey: [] }]);
    expect(security('/v1/apps', 'post')).toEqual([{ admin: [] }]);
    expect(security('/v1/audit-events', 'get')).toEqual([{ apiKey: [] }, { admin: [] }]);
    // Open unless METRICS_TOKEN is set: no credential, or the metrics token.
    expect(security('/metrics', 'get')).toEqual([{}, { metricsToken: [] }]);
  });

  it('documents the provider signature headers on the public webhook routes', () => {
    const headers = (path: string) =>
      (doc.paths[path].post.parameters as Json[]).filter((p) => p.in === 'header');
    expect(headers('/v1/webhooks/meta')).toEqual([
      expect.objectContaining({ name: 'x-hub-signature-256', required: true }),
    ]);
    expect(headers('/v1/webhooks/twilio')).toEqual([
      expect.objectContaining({ name: 'x-twilio-signature', required: true }),
    ]);
  });

  it('gives every operation a readable, unique operationId', () => {
    expect(openApiDocumentProblems(doc as never)).toEqual([]);
    const ids = operations(doc).map(({ op }) => op.operationId as string);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][A-Za-z0-9]+$/);
    expect(doc.paths['/v1/verifications'].post.operationId).toBe('createVerification');
    expect(doc.paths['/v1/verifications/{id}/check'].post.operationId).toBe('checkVerification');
  });

  it('has only the optional Idempotency-Key header on POST /v1/verifications', () => {
    const headers = (doc.paths['/v1/verifications'].post.parameters as Json[]).filter(
      (p) => p.in === 'header',
    );
    expect(headers).toEqual([
      expect.objectContaining({ name: 'Idempotency-Key', required: false }),
    ]);
  });

  it('keeps optional body fields optional for generated clients (no required, no defaults)', () => {
    const create = doc.components.schemas.CreateVerificationDto;
    expect(create.required).toBeUndefined();
    for (const field of ['flow', 'channel', 'inboundReply'])
      expect(create.properties[field].default).toBeUndefined();
    expect(doc.components.schemas.UpdateAppDto.required).toBeUndefined();
    expect(doc.components.schemas.CreateAppDto.required).toEqual(['name']);
  });

  it('types the nullable admin fields as string or integer, and null', () => {
    for (const name of ['CreateAppDto', 'UpdateAppDto', 'AppResponseDto']) {
      const props = doc.components.schemas[name].properties;
      expect(props.webhookUrl.type).toEqual(['string', 'null']);
      expect(props.brandName.type).toEqual(['string', 'null']);
      expect(props.phoneLimitPer15Minutes.type).toEqual(['integer', 'null']);
      expect(props.phoneLimitPerDay.type).toEqual(['integer', 'null']);
    }
    expect(JSON.stringify(doc)).not.toContain('"nullable"');
  });

  it('describes every client webhook with its Standard Webhooks headers and body', () => {
    expect(Object.keys(doc.webhooks).sort()).toEqual([
      'verification.approved',
      'verification.delivery_updated',
      'verification.expired',
      'verification.failed',
      'verification.inbound_mismatch',
      'verification.max_attempts_reached',
    ]);
    for (const [type, item] of Object.entries(doc.webhooks as Json)) {
      const op = item.post;
      expect((op.parameters as Json[]).map((p) => [p.name, p.in, p.required])).toEqual([
        ['webhook-id', 'header', true],
        ['webhook-timestamp', 'header', true],
        ['webhook-signature', 'header', true],
      ]);
      const body = op.requestBody.content['application/json'];
      expect(body.schema.allOf[0]).toEqual({ $ref: '#/components/schemas/ClientWebhookEventDto' });
      expect(body.example.type).toBe(type);
    }
    const event = doc.components.schemas.ClientWebhookEventDto;
    expect(event.required).toEqual(['type', 'timestamp', 'data']);
    expect(event.properties.data.allOf).toEqual([
      { $ref: '#/components/schemas/VerificationResponseDto' },
    ]);
  });
});
