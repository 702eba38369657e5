import { Prng } from './support/prng';
import { approve, createTenant, createVerification, Tenant } from './support/api';
import { freshDatabase, FreshDatabase } from './support/mariadb';
import { ADMIN_KEY, ServiceProcess } from './support/service';

const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const CONCURRENCY = 12;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2_147_483_647);

type Schema = {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
};
interface Operation {
  method: string;
  path: string;
  query: string[];
  body: Schema | null;
}
interface Outcome {
  status: number;
  request: string;
  response: string;
}

/**
 * Malformed requests across every endpoint of the OpenAPI document: wrong types, huge and negative
 * numbers, unicode, nulls, arrays for objects, broken JSON, wrong content types, deep nesting,
 * long strings, bad path params and query strings, bad credentials, with and without valid keys.
 * Seeded (FUZZ_SEED reproduces a run). Never a 5xx; every error is JSON with a string `code`.
 */
describe(`Fuzzer (seed ${SEED})`, () => {
  let db: FreshDatabase;
  let service: ServiceProcess;
  let tenant: Tenant;
  let operations: Operation[];
  let schemas: Record<string, Schema>;
  const ids: string[] = [];

  beforeAll(async () => {
    db = await freshDatabase('fuzz');
    service = await ServiceProcess.start({
      DATABASE_URL: db.url,
      LOG_LEVEL: 'error',
      RATE_LIMIT_API_KEY_PER_MINUTE: '10000000',
      RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '10000000',
      RATE_LIMIT_PHONE_PER_15_MINUTES: '1000000',
      RATE_LIMIT_PHONE_PER_DAY: '1000000',
      RATE_LIMIT_INBOUND_SENDER_PER_MINUTE: '1000000',
      VELOCITY_GUARD_ENABLED: 'false',
    });
    tenant = await createTenant(service, { webhookUrl: 'http://127.0.0.1:9/hook' });
    const pending = await createVerification(service, tenant);
    const approved = await createVerification(service, tenant);
    await approve(service, tenant, approved);
    ids.push(tenant.appId, pending.id, approved.id);

    const document = (await (await service.fetch('/docs-json')).json()) as {
      paths: Record<
        string,
        Record<
          string,
          {
            parameters?: { in: string; name: string }[];
            requestBody?: { content?: Record<string, { schema: Schema }> };
          }
        >
      >;
      components: { schemas: Record<string, Schema> };
    };
    schemas = document.components.schemas;
    operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map(([method, op]) => ({
          method: method.toUpperCase(),
          path,
          query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
          body: op.requestBody?.content?.['application/json']?.schema ?? null,
        })),
    );
  });

  afterAll(async () => {
    await service?.stop();
    await db?.drop();
  });

  it(`answers ${REQUESTS} malformed requests without a 5xx, every error with a code`, async () => {
    expect(operations.length).toBeGreaterThan(15);
    const rng = new Prng(SEED);
    const generated = Array.from({ length: REQUESTS }, () => malformed(rng));
    const statuses = new Map<number, number>();
    const failures: Outcome[] = [];
    const transportErrors: string[] = [];
    let next = 0;

    const worker = async (): Promise<void> => {
      while (next < generated.length) {
        const request = generated[next++];
        let res: Response;
        let text: string;
        try {
          res = await service.fetch(request.path, request.init, 20_000);
          text = await res.text();
        } catch (error) {
          // A header fetch itself refuses to send is not a service answer; anything else is.
          if ((error as Error).name === 'TypeError' && /ByteString/.test((error as Error).message))
            continue;
          transportErrors.push(`${request.label}: ${String(error)}`);
          continue;
        }
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const outcome = {
          status: res.status,
          request: request.label,
          response: text.slice(0, 300),
        };
        if (res.status >= 500) failures.push(outcome);
        else if (res.status >= 400 && !hasCode(text)) failures.push(outcome);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    const summary = [...statuses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, count]) => `${status}: ${count}`)
      .join(', ');
    process.stdout.write(
      `fuzz seed ${SEED}: ${REQUESTS} requests over ${operations.length} operations → ${summary}\n`,
    );
    for (const failure of failures.slice(0, 10))
      process.stdout.write(`  ${failure.status} ${failure.request}\n    → ${failure.response}\n`);
    expect(transportErrors.slice(0, 5)).toEqual([]);
    expect(failures.slice(0, 5)).toEqual([]);
    expect(service.alive).toBe(true);
  });

  /** Percent-encodes; a lone surrogate becomes the invalid UTF-8 bytes %ED%A0%80. */
  function encode(value: string): string {
    try {
      return encodeURIComponent(value);
    } catch {
      return value
        .replace(/[\ud800-\udfff]/g, '%ED%A0%80')
        .replace(/[^\w%.-]/g, (c) => encodeURIComponent(c));
    }
  }

  function hasCode(text: string): boolean {
    try {
      const body = JSON.parse(text) as { code?: unknown };
      return typeof body?.code === 'string' && body.code.length > 0;
    } catch {
      return false;
    }
  }

  // ---- the generator ---------------------------------------------------------------------------

  function malformed(rng: Prng): { path: string; init: RequestInit; label: string } {
    const op = rng.pick(operations);
    const path = op.path.replace(/\{[^}]+\}/g, () => encode(pathParam(rng)));
    const query = queryString(rng, op.query);
    const headers: Record<string, string> = {};
    const auth = authHeader(rng, op.path);
    if (auth !== null) headers.authorization = auth;
    if (rng.chance(0.1)) headers['idempotency-key'] = rng.pick(['', 'k', 'x'.repeat(300), 'é']);
    if (rng.chance(0.05)) headers['x-hub-signature-256'] = rng.pick(['sha256=00', 'garbage', '']);
    const method = rng.chance(0.05)
      ? rng.pick(['GET', 'POST', 'PATCH', 'DELETE', 'PUT'])
      : op.method;
    let body: string | undefined;
    if (method !== 'GET' && (op.body || rng.chance(0.3))) {
      const built = requestBody(rng, op.body);
      body = built.text;
      headers['content-type'] = built.contentType;
    }
    const url = `${rng.chance(0.03) ? path + rng.pick(['/', '//', '/x', '%00', '/..']) : path}${query}`;
    return {
      path: url,
      init: { method, headers, body },
      label: `${method} ${url.slice(0, 200)} [${headers['content-type'] ?? '-'}] ${auth === null ? 'no-auth' : auth.slice(0, 30)} ${body ? body.slice(0, 160) : ''}`,
    };
  }

  function pathParam(rng: Prng): string {
    return rng.pick([
      () => rng.pick(ids),
      () => '00000000-0000-0000-0000-000000000000',
      () => rng.pick(ids).toUpperCase(),
      () => strangeString(rng),
      () => String(rng.int(-1e9, 1e9)),
      () => 'x'.repeat(rng.int(100, 3000)),
      () => '../../etc/passwd',
      () => '%',
      () => ' ',
      () => 'null',
    ])();
  }

  function queryString(rng: Prng, names: string[]): string {
    if (rng.chance(0.3)) return '';
    const pairs: string[] = [];
    const count = rng.int(1, 4);
    for (let i = 0; i < count; i++) {
      const name = names.length > 0 && rng.chance(0.8) ? rng.pick(names) : strangeKey(rng);
      const value = rng.pick([
        () => String(rng.pick([-1, 0, 1, 101, 1e21, -1e21, 2 ** 53, 0.5, NaN, Infinity])),
        () => strangeString(rng),
        () => 'x'.repeat(rng.int(100, 5000)),
        () => '',
        () => rng.pick(['pending', 'approved', 'true', 'null', '[]', '{}', 'undefined']),
        () => rng.pick(ids),
      ])();
      const encoded = rng.chance(0.9) ? encode(value) : value.replace(/[#\s]/g, '');
      pairs.push(`${rng.chance(0.1) ? `${name}[]` : name}=${encoded}`);
      if (rng.chance(0.1)) pairs.push(`${name}=${encoded}`); // repeated key → array
    }
    return `?${pairs.join('&')}`;
  }

  function authHeader(rng: Prng, path: string): string | null {
    // Mostly a valid key (so requests reach validation and the handlers), sometimes a broken one.
    if (rng.chance(0.65)) {
      const admin = path.startsWith('/v1/apps') ? rng.chance(0.9) : rng.chance(0.15);
      return `Bearer ${admin ? ADMIN_KEY : tenant.apiKey}`;
    }
    return rng.pick<() => string | null>([
      () => null,
      () => 'Bearer ',
      () => 'Bearer',
      () => `Bearer ${tenant.apiKey}x`,
      () => `bearer ${tenant.apiKey.slice(0, -1)}`,
      () => `Basic ${Buffer.from('a:b').toString('base64')}`,
      () => `Bearer ${'k'.repeat(rng.int(100, 6000))}`,
      () => `Bearer ${ADMIN_KEY} ${ADMIN_KEY}`,
      () => `Bearer \u00e9\u00e8`,
      () => 'Token abc',
    ])();
  }

  function requestBody(rng: Prng, schema: Schema | null): { text: string; contentType: string } {
    const contentType = rng.chance(0.85)
      ? 'application/json'
      : rng.pick([
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/xml',
          'application/json; charset=latin1',
          'application/jsonx',
          '',
        ]);
    const roll = rng.next();
    let text: string;
    if (roll < 0.12)
      text = rng.pick(['{', '{"a":', 'nul', '[1,2', '"unterminated', '{"a":1}}', '\u0000', '']);
    else if (roll < 0.2) text = JSON.stringify(wrongValue(rng, 0));
    else if (roll < 0.25) text = nested(rng.int(50, 5000));
    else if (roll < 0.28) text = JSON.stringify({ text: 'x'.repeat(rng.int(90_000, 150_000)) });
    else text = JSON.stringify(mutatedObject(rng, schema, 0));
    if (contentType === 'application/x-www-form-urlencoded' && rng.chance(0.5))
      text = 'phone=%2B6281212345678&code[]=1&a=%ZZ';
    return { text, contentType };
  }

  function nested(depth: number): string {
    return '['.repeat(depth) + ']'.repeat(depth);
  }

  function resolve(schema: Schema | undefined): Schema | undefined {
    if (schema?.$ref) return schemas[schema.$ref.split('/').pop()!];
    return schema;
  }

  /** A plausible object for `schema`, with a few of its fields (or extra ones) made wrong. */
  function mutatedObject(rng: Prng, raw: Schema | null | undefined, depth: number): unknown {
    const schema = resolve(raw ?? undefined);
    const props = schema?.properties ?? {};
    const result: Record<string, unknown> = {};
    for (const [name, prop] of Object.entries(props)) {
      if (rng.chance(0.3)) continue;
      result[name] = rng.chance(0.35) ? wrongValue(rng, depth) : plausible(rng, prop, depth);
    }
    if (rng.chance(0.15)) result[strangeKey(rng)] = wrongValue(rng, depth);
    if (rng.chance(0.05)) result.__proto__ = { admin: true };
    if (rng.chance(0.05)) return [result];
    return result;
  }

  function plausible(rng: Prng, raw: Schema, depth: number): unknown {
    const schema = resolve(raw) ?? {};
    if (schema.enum) return rng.pick(schema.enum);
    switch (schema.type) {
      case 'string':
        return rng.pick([
          '+6281212345678',
          '6281212345678',
          'en',
          'ID',
          'whatsapp',
          '123456',
          'https://example.com/hook',
          'x',
        ]);
      case 'integer':
      case 'number':
        return rng.pick([4, 6, 10, 60, 600, 3600]);
      case 'boolean':
        return rng.chance(0.5);
      case 'array':
        return [plausible(rng, schema.items ?? {}, depth + 1)];
      case 'object':
        return depth < 3 ? mutatedObject(rng, schema, depth + 1) : {};
      default:
        return schema.properties && depth < 3 ? mutatedObject(rng, schema, depth + 1) : 'x';
    }
  }

  function wrongValue(rng: Prng, depth: number): unknown {
    return rng.pick<() => unknown>([
      () => null,
      () => true,
      () => rng.pick([-1, 0, -0.5, 1e308, -1e308, 2 ** 63, Number.MAX_SAFE_INTEGER + 2, 1.5]),
      () => strangeString(rng),
      () => 'x'.repeat(rng.int(1000, 20_000)),
      () => [],
      () => [1, 'a', null],
      () => ({}),
      () => ({ $gt: '' }),
      () => (depth < 4 ? { nested: wrongValue(rng, depth + 1) } : 1),
      () => JSON.parse(nested(rng.int(20, 200))) as unknown,
      () => Array.from({ length: rng.int(50, 500) }, (_, i) => i),
    ])();
  }

  function strangeKey(rng: Prng): string {
    return rng.pick([
      'constructor',
      '__proto__',
      'prototype',
      '',
      ' ',
      'a.b',
      '$where',
      '\u202e',
      '𝕏',
      'x'.repeat(200),
    ]);
  }

  function strangeString(rng: Prng): string {
    return rng.pick([
      '',
      ' ',
      '\u0000',
      '\uFEFF+6281212345678',
      '+62 812-1234-5678',
      '٠١٢٣٤٥',
      '𝟙𝟚𝟛𝟜𝟝𝟞',
      '😀'.repeat(50),
      '\ud800',
      '\u202e\u0041',
      "'; DROP TABLE apps; --",
      '<script>alert(1)</script>',
      '%00%ff',
      '../..',
      'NaN',
      '-1',
      '1e999',
      '0x10',
      'null',
      'true',
      '2026-13-45T99:99:99Z',
      'ZZ',
      'https://169.254.169.254/latest',
      'javascript:alert(1)',
      'http://[::1]:80/x',
    ]);
  }
});
