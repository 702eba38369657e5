import { ValidationPipe } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { App } from '../apps/entities/app.entity';
import { AuthenticatedRequest } from '../auth/auth.types';
import { HttpErrorFilter } from '../common/http-error.filter';
import { AppConfig, loadConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { Channel } from '../verification/verification.types';
import { SandboxMessage } from './entities/sandbox-message.entity';
import { ProviderRegistry } from './provider-registry';
import { ProvidersModule } from './providers.module';
import { MetricsModule } from '../metrics/metrics.module';

const CALLER_APP_ID = '0193a000-0000-7000-8000-000000000001';

/** Boots ProvidersModule on Fastify (real DI, real SQLite in memory) and calls the route. */
async function appWith(
  env: Record<string, string>,
  overrides: Partial<AppConfig> = {},
): Promise<NestFastifyApplication> {
  const config = {
    ...loadConfig({
      DATABASE_URL: 'sqlite::memory:',
      ADMIN_API_KEY: 'admin-key-for-sandbox-spec',
      OTP_PEPPER: 'pepper-for-sandbox-spec-0123456789',
      ...env,
    }),
    ...overrides,
  };
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(config),
      TypeOrmModule.forRoot({
        type: 'better-sqlite3',
        database: ':memory:',
        entities: [SandboxMessage],
        synchronize: true, // throwaway in-memory database
      }),
      MetricsModule,
      ProvidersModule,
    ],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
  // What the global API-key guard leaves on the request: the calling app (the guard is not under test here).
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, _reply, done) => {
      (request as unknown as AuthenticatedRequest).auth = {
        kind: 'app',
        app: { id: CALLER_APP_ID } as App,
        apiKeyId: 'key-1',
      };
      done();
    });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
  app.useGlobalFilters(new HttpErrorFilter());
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

describe('GET /v1/sandbox/messages', () => {
  let app: NestFastifyApplication | null = null;

  afterEach(async () => {
    await app?.close();
    app = null;
  });

  it('lists what the sandbox sent, newest first, for the phone asked', async () => {
    app = await appWith({ NODE_ENV: 'development' });
    const registry = app.get(ProviderRegistry);
    const base = { kind: 'text' as const, locale: 'en', appId: CALLER_APP_ID };
    await registry.sendFirstAvailable({ ...base, to: '+6281212345678', text: 'one' }, [
      Channel.WHATSAPP,
    ]);
    await registry.sendFirstAvailable({ ...base, to: '+393331234567', text: 'other' }, [
      Channel.SMS,
    ]);
    await registry.sendFirstAvailable({ ...base, to: '+6281212345678', text: 'two' }, [
      Channel.SMS,
    ]);
    await registry.sendFirstAvailable(
      { ...base, appId: 'another-app', to: '+6281212345678', text: 'not yours' },
      [Channel.SMS],
    );

    const response = await app.inject({
      method: 'GET',
      url: '/v1/sandbox/messages?phone=%2B6281212345678',
    });

    expect(response.statusCode).toBe(200);
    const body =
      response.json<
        { id: string; to: string; channel: string; text: string; createdAt: string }[]
      >();
    expect(body.map((m) => [m.channel, m.text])).toEqual([
      ['sms', 'two'],
      ['whatsapp', 'one'],
    ]);
    expect(Object.keys(body[0]).sort()).toEqual(['channel', 'createdAt', 'id', 'text', 'to']);
    expect(body[0].to).toBe('+6281212345678');
    expect(new Date(body[0].createdAt).toISOString()).toBe(body[0].createdAt);

    const all = await app.inject({ method: 'GET', url: '/v1/sandbox/messages' });
    expect(all.json<unknown[]>()).toHaveLength(3);
  });

  it('rejects a phone longer than 32 characters with validation_failed', async () => {
    app = await appWith({ NODE_ENV: 'development' });
    const response = await app.inject({
      method: 'GET',
      url: `/v1/sandbox/messages?phone=${'1'.repeat(33)}`,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'validation_failed' });
  });

  it('answers 404 not_found when no sandbox provider is in use', async () => {
    app = await appWith({
      NODE_ENV: 'development',
      WHATSAPP_PROVIDER: 'meta',
      SMS_PROVIDER: 'none',
      META_ACCESS_TOKEN: 'EAAG-test',
      META_PHONE_NUMBER_ID: '106540352242922',
      META_APP_SECRET: 'meta-app-secret',
      META_VERIFY_TOKEN: 'meta-verify-token',
    });
    const response = await app.inject({ method: 'GET', url: '/v1/sandbox/messages' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ statusCode: 404, code: 'not_found' });
  });

  it('answers 404 not_found in production even with the sandbox', async () => {
    // Configuration refuses the sandbox in production; this is the second line of defence.
    app = await appWith({ NODE_ENV: 'test' }, { isProduction: true });
    const response = await app.inject({ method: 'GET', url: '/v1/sandbox/messages' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'not_found' });
  });
});
