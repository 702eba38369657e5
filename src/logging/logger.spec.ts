import Fastify from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, Logger } from './logger';
import { PinoNestLogger } from './pino-nest-logger';
import { fastifyLoggingOptions, registerRequestLogging } from './request-logging';
import { requestIdFor } from './request-id';

type Line = Record<string, unknown>;

function captured(level: 'info' | 'trace' = 'trace'): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const logger = createLogger(
    { logLevel: level, logFormat: 'json' },
    { write: (chunk: string) => lines.push(JSON.parse(chunk) as Line) },
  );
  return { logger, lines };
}

describe('createLogger', () => {
  it('redacts secrets by key, at the top level and one level down', () => {
    const { logger, lines } = captured();
    logger.info(
      {
        apiKey: 'wav_live_key',
        code: '123456',
        headers: { authorization: 'Bearer wav_live_key' },
        req: { headers: { authorization: 'Bearer other' } },
        app: { webhookSecret: 'whsec_abc', token: 'tok_1', secret: 's', password: 'p' },
      },
      'hello',
    );
    const text = JSON.stringify(lines);
    for (const secret of ['wav_live_key', '123456', 'Bearer', 'whsec_abc', 'tok_1', '"s"', '"p"'])
      expect(text).not.toContain(secret);
    expect(lines[0].apiKey).toBe('[Redacted]');
    expect((lines[0].app as Line).webhookSecret).toBe('[Redacted]');
  });

  it('masks phone numbers by key and inside messages, and leaves date bounds named from/to alone', () => {
    const { logger, lines } = captured();
    logger.info(
      { phone: '+6281234565678', to: 'whatsapp:+6281234565678', from: '2026-01-01T00:00:00Z' },
      'Sent to +6281234565678 and +6281234565679.',
    );
    expect(lines[0].phone).toBe('+62812****5678');
    expect(lines[0].to).toBe('whatsapp:+62812****5678');
    expect(lines[0].from).toBe('2026-01-01T00:00:00Z');
    expect(lines[0].msg).toBe('Sent to +62812****5678 and +62812****5679.');
    expect(JSON.stringify(lines)).not.toContain('6281234565678');
  });

  it('writes pino level labels and honours the level', () => {
    const { logger, lines } = captured('info');
    logger.debug('hidden');
    logger.warn('shown');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'shown' });
  });
});

describe('PinoNestLogger', () => {
  it("maps Nest's levels (log → info, verbose → trace) and keeps the context", () => {
    const { logger, lines } = captured();
    const nest = new PinoNestLogger(logger);
    nest.log('a', 'Ctx');
    nest.verbose('b', 'Ctx');
    nest.warn('c');
    nest.error('d', 'Error: boom\n    at somewhere (file.ts:1:1)', 'Filter');
    expect(lines.map((line) => [line.level, line.msg, line.context])).toEqual([
      ['info', 'a', 'Ctx'],
      ['trace', 'b', 'Ctx'],
      ['warn', 'c', undefined],
      ['error', 'd', 'Filter'],
    ]);
    expect(lines[3].stack).toContain('at somewhere');
  });

  it("demotes Nest's start-up lines to debug, so the default level does not print them", () => {
    const { logger, lines } = captured('info');
    new PinoNestLogger(logger).log('Mapped {/v1/apps, POST} route', 'RouterExplorer');
    expect(lines).toHaveLength(0);
    const debug = captured('debug' as 'trace');
    new PinoNestLogger(debug.logger).log('Mapped {/v1/apps, POST} route', 'RouterExplorer');
    expect(debug.lines[0]).toMatchObject({ level: 'debug', context: 'RouterExplorer' });
  });
});

describe('requestIdFor', () => {
  it('keeps 1-128 characters of [A-Za-z0-9._-] and replaces anything else with a UUID', () => {
    const uuid = /^[0-9a-f-]{36}$/;
    expect(requestIdFor({ headers: { 'x-request-id': 'abc.DEF_1-2' } })).toBe('abc.DEF_1-2');
    expect(requestIdFor({ headers: { 'x-request-id': 'a'.repeat(128) } })).toBe('a'.repeat(128));
    expect(requestIdFor({ headers: { 'x-request-id': 'a'.repeat(129) } })).toMatch(uuid);
    expect(requestIdFor({ headers: { 'x-request-id': 'bad id\n{"forged":1}' } })).toMatch(uuid);
    expect(requestIdFor({ headers: { 'x-request-id': '' } })).toMatch(uuid);
    expect(requestIdFor({ headers: {} })).toMatch(uuid);
  });
});

describe('registerRequestLogging', () => {
  async function server(logger: Logger) {
    const fastify = Fastify(fastifyLoggingOptions(logger));
    registerRequestLogging(fastify, logger);
    const nest = new PinoNestLogger(logger);
    fastify.post('/v1/things/:id', async (request) => {
      (request as unknown as { auth: unknown }).auth = { kind: 'app', app: { id: 'app_1' } };
      await sleep(5);
      nest.warn('inside the handler', 'Things');
      request.log.warn('through request.log');
      return { ok: true };
    });
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    const address = fastify.server.address() as { port: number };
    return { fastify, url: `http://127.0.0.1:${address.port}` };
  }

  it('logs one line per request with the route pattern and app, and the request id on every line', async () => {
    const { logger, lines } = captured('info');
    const { fastify, url } = await server(logger);
    try {
      const res = await fetch(`${url}/v1/things/th_42?token=secret-in-query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'req-from-client' },
        body: JSON.stringify({ phone: '+6281234565678', code: '999999' }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toBe('req-from-client');
      const done = lines.find((line) => line.msg === 'request completed');
      expect(done).toEqual(
        expect.objectContaining({
          reqId: 'req-from-client',
          method: 'POST',
          route: '/v1/things/:id',
          statusCode: 200,
          responseTime: expect.any(Number),
          appId: 'app_1',
        }),
      );
      expect(lines.find((line) => line.msg === 'inside the handler')?.reqId).toBe(
        'req-from-client',
      );
      const viaRequestLog = lines.filter((line) => line.msg === 'through request.log');
      expect(viaRequestLog).toHaveLength(1);
      expect(viaRequestLog[0].reqId).toBe('req-from-client');
      const text = JSON.stringify(lines);
      for (const leak of ['secret-in-query', '6281234565678', '999999', 'th_42'])
        expect(text).not.toContain(leak);
    } finally {
      await fastify.close();
    }
  });

  it('generates an id for a missing or invalid X-Request-Id and returns it', async () => {
    const { logger, lines } = captured('info');
    const { fastify, url } = await server(logger);
    try {
      const res = await fetch(`${url}/nowhere`, { headers: { 'x-request-id': 'has space' } });
      expect(res.status).toBe(404);
      const id = res.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(lines.find((line) => line.msg === 'request completed')).toMatchObject({
        reqId: id,
        method: 'GET',
        route: null,
        statusCode: 404,
      });
    } finally {
      await fastify.close();
    }
  });
});
