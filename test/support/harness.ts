import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createApp } from '../../src/bootstrap';
import { AppConfig, loadConfig } from '../../src/config/app-config';

export const ADMIN_KEY = 'test-admin-key-0123456789';
export const PEPPER = 'test-pepper-0123456789abcdef';

/**
 * The database the e2e suites run on: E2E_DATABASE_URL (e.g. a fresh MariaDB database made by
 * .ci/run), else a new SQLite file per call (pass one to several instances to share it).
 */
export function e2eDatabaseUrl(): string {
  return (
    process.env.E2E_DATABASE_URL ??
    `sqlite:${join(mkdtempSync(join(tmpdir(), 'wa-verify-e2e-')), 'db.sqlite')}`
  );
}

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  http: ReturnType<typeof request>;
  /** Listening URL (for servers that call us, e.g. signed webhook senders). */
  url: string;
  close(): Promise<void>;
}

/** Boots the real application (same bootstrap as main.ts) on 127.0.0.1 with a random port. */
export async function startApp(
  env: Record<string, string> = {},
  databaseUrl = e2eDatabaseUrl(),
): Promise<TestApp> {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'wa-verify-data-')),
    ADMIN_API_KEY: ADMIN_KEY,
    OTP_PEPPER: PEPPER,
    CREATE_DEFAULT_APP: 'false',
    LOG_LEVEL: 'error',
    WEBHOOK_DISPATCH_INTERVAL: '100ms',
    ...env,
  });
  const app = await createApp(config, { logger: false });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  return { app, config, http: request(url), url, close: () => app.close() };
}

export interface TestTenant {
  appId: string;
  apiKey: string;
  webhookSecret: string;
  auth: { Authorization: string };
}

/** Creates an app (tenant) through the admin API. */
export async function createTenant(
  t: TestApp,
  body: Record<string, unknown> = {},
): Promise<TestTenant> {
  const res = await t.http
    .post('/v1/apps')
    .set('Authorization', `Bearer ${ADMIN_KEY}`)
    .send({ name: 'Test app', brandName: 'Acme', ...body })
    .expect(201);
  return {
    appId: res.body.id,
    apiKey: res.body.apiKey,
    webhookSecret: res.body.webhookSecret,
    auth: { Authorization: `Bearer ${res.body.apiKey}` },
  };
}

/** A fresh, valid Indonesian mobile number per call, so suites sharing a database never collide. */
let phoneCounter = 0;
export function uniquePhone(prefix = '+62812'): string {
  phoneCounter += 1;
  const tail = `${Date.now() % 1_000_000}${String(phoneCounter).padStart(2, '0')}`
    .slice(-8)
    .padStart(8, '0');
  return `${prefix}${tail}`;
}

/** Extracts the code from a sandbox or fake-provider message text. */
export function codeIn(text: string): string {
  const match = /\b(\d{4,10})\b/.exec(text);
  if (!match) throw new Error('no code in message');
  return match[1];
}

export async function sandboxCodeFor(
  t: TestApp,
  tenant: TestTenant,
  phone: string,
): Promise<string> {
  const res = await t.http
    .get('/v1/sandbox/messages')
    .query({ phone })
    .set(tenant.auth)
    .expect(200);
  return codeIn(res.body[0].text);
}
