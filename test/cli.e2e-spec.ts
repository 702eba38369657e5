import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { withAppContext } from '../src/cli/cli-context';
import { loadConfig } from '../src/config/app-config';
import { MIGRATIONS } from '../src/database/migrations';
import { FAKE_DISPLAY_PHONE_NUMBER, FakeGraphServer } from './support/fake-graph-server';
import { FakeTwilioServer } from './support/fake-twilio-server';
import {
  ADMIN_KEY,
  PEPPER,
  sandboxCodeFor,
  startApp,
  TestApp,
  uniquePhone,
} from './support/harness';
import { metaWithTwilioSmsEnv } from './support/provider-env';
import { CLI_JS, ensureBuilt, runProcess } from './support/service-process';
import { sleep, waitFor } from './support/wait';
import { WebhookReceiver } from './support/webhook-receiver';

/**
 * The `wa-verify` command line (package.json `bin`), run as operators run it: `node
 * dist/src/cli/main.js <command>`, a process with its own environment, against a real database
 * that a running service shares. Provider APIs are fakes on 127.0.0.1.
 */

// Each case starts Node processes: generous per-test time on a busy machine.
jest.setTimeout(120_000);

beforeAll(() => ensureBuilt(), 240_000);

interface Database {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database of the engine: a new SQLite file, or a new database on E2E_DATABASE_URL's server. */
async function freshDatabase(engine: 'sqlite' | 'mysql'): Promise<Database> {
  if (engine === 'sqlite') {
    const file = join(mkdtempSync(join(tmpdir(), 'wa-verify-cli-')), 'db.sqlite');
    return { url: `sqlite:${file}`, drop: async () => undefined };
  }
  const server = process.env.E2E_DATABASE_URL!;
  const url = new URL(server);
  const name = `wa_verify_cli_${process.pid}_${Date.now()}`;
  url.pathname = `/${name}`;
  const admin = await createConnection({ uri: server });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  return {
    url: url.toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    },
  };
}

function baseEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'wa-verify-cli-data-')),
    ADMIN_API_KEY: ADMIN_KEY,
    OTP_PEPPER: PEPPER,
    CREATE_DEFAULT_APP: 'false',
    ...extra,
  };
}

function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runProcess(CLI_JS, env, 60_000, args);
}

/** A port on 127.0.0.1 that nothing listens on (taken from the system, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The doctor's lines as { status, name, detail }. */
function checks(stdout: string): { status: string; name: string; detail: string }[] {
  return stdout
    .trim()
    .split('\n')
    .map((line) => {
      const match = /^(ok|FAIL|SKIP) +(\S+) {2}(.*)$/.exec(line);
      if (!match) throw new Error(`not a check line: ${line}`);
      return { status: match[1], name: match[2], detail: match[3] };
    });
}

const engines: ('sqlite' | 'mysql')[] = ['sqlite'];
// Needs a MySQL/MariaDB server: runs when E2E_DATABASE_URL points at one (as in .ci/run).
if ((process.env.E2E_DATABASE_URL ?? '').startsWith('mysql')) engines.push('mysql');

describe.each(engines)('wa-verify CLI on %s', (engine) => {
  let db: Database;
  let env: Record<string, string>;
  let service: TestApp | null = null;

  beforeAll(async () => {
    db = await freshDatabase(engine);
    env = baseEnv(db.url);
  });
  afterAll(async () => {
    await service?.close();
    await db.drop();
  });

  it('manages an app end to end: migrate, create, keys, secret rotation and list, against a running service', async () => {
    const refused = await cli(['apps', 'list'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^wa-verify: migrations_pending: .*run: wa-verify migrate\n$/);

    const migrated = await cli(['migrate'], env);
    expect(migrated.stderr).toBe('');
    expect(migrated.code).toBe(0);
    expect(migrated.stdout.trim().split('\n')).toEqual(
      MIGRATIONS.map((migration) => `wa-verify: migrated ${migration.name}`),
    );

    const created = await cli(
      ['apps', 'create', '--name', 'CLI shop', '--webhook-url', 'http://127.0.0.1:9/hooks'],
      env,
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const app = JSON.parse(created.stdout) as {
      id: string;
      name: string;
      webhookUrl: string;
      apiKey: string;
      webhookSecret: string;
      apiKeys: { id: string; prefix: string }[];
    };
    expect(app).toMatchObject({ name: 'CLI shop', webhookUrl: 'http://127.0.0.1:9/hooks' });
    expect(app.apiKey).toMatch(/^wav_/);
    expect(app.webhookSecret).toMatch(/^whsec_/);
    expect(app.apiKeys).toEqual([expect.objectContaining({ prefix: app.apiKey.slice(0, 12) })]);

    // The printed key works against the service running on the same database.
    service = await startApp({}, db.url);
    const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
    await service.http.get('/v1/verifications').set(auth(app.apiKey)).expect(200);
    const admin = { Authorization: `Bearer ${ADMIN_KEY}` };
    const shown = await service.http.get(`/v1/apps/${app.id}`).set(admin).expect(200);
    expect(shown.body).toMatchObject({ id: app.id, name: 'CLI shop' });

    const added = await cli(['keys', 'create', '--app', app.id], env);
    expect(added.code).toBe(0);
    const key = JSON.parse(added.stdout) as { id: string; apiKey: string };
    expect(Object.keys(key).sort()).toEqual(['apiKey', 'id']);
    await service.http.get('/v1/verifications').set(auth(key.apiKey)).expect(200);

    const revoked = await cli(['keys', 'revoke', '--app', app.id, '--key', key.id], env);
    expect(revoked.stderr).toBe('');
    expect(revoked.code).toBe(0);
    // The CLI is another process: the service stops accepting the key at once (within
    // API_KEY_CACHE_TTL when an operator turns the cache on).
    const running = service;
    await waitFor(
      async () =>
        (await running.http.get('/v1/verifications').set(auth(key.apiKey))).status === 401,
      4_000,
    );
    await service.http.get('/v1/verifications').set(auth(app.apiKey)).expect(200);

    const rotated = await cli(['webhook-secret', 'rotate', '--app', app.id], env);
    expect(rotated.code).toBe(0);
    const secret = JSON.parse(rotated.stdout) as {
      webhookSecret: string;
      previousSecretExpiresAt: string;
    };
    expect(secret.webhookSecret).toMatch(/^whsec_/);
    expect(secret.webhookSecret).not.toBe(app.webhookSecret);
    expect(Date.parse(secret.previousSecretExpiresAt)).toBeGreaterThan(Date.now());

    // Audited like the admin API, with the CLI as the actor.
    const audit = await service.http
      .get('/v1/audit-events')
      .query({ appId: app.id, limit: 50 })
      .set(admin)
      .expect(200);
    const byType = new Map(
      (audit.body.data as { type: string; actor: { type: string } }[]).map((event) => [
        event.type,
        event.actor.type,
      ]),
    );
    for (const type of [
      'app.created',
      'api_key.created',
      'api_key.revoked',
      'webhook_secret.rotated',
    ])
      expect(byType.get(type)).toBe('cli');

    const listed = await cli(['apps', 'list'], env);
    expect(listed.code).toBe(0);
    const apps = JSON.parse(listed.stdout) as { id: string; apiKeys: { id: string }[] }[];
    const entry = apps.find((candidate) => candidate.id === app.id);
    expect(entry).toMatchObject({ name: 'CLI shop', webhookUrl: 'http://127.0.0.1:9/hooks' });
    // Only the active key, and never a secret.
    expect(entry!.apiKeys.map((k) => k.id)).toEqual([app.apiKeys[0].id]);
    for (const value of [app.apiKey, key.apiKey, app.webhookSecret, secret.webhookSecret])
      expect(listed.stdout).not.toContain(value);
    expect(listed.stdout).not.toMatch(/apiKey"|webhookSecret|whsec_|wav_[A-Za-z0-9_-]{20}/);
  });

  it('answers 1 with the error code, never a stack trace, for an unknown app or a refused value', async () => {
    await cli(['migrate'], env);
    for (const args of [
      ['keys', 'create', '--app', 'no-such-app'],
      ['webhook-secret', 'rotate', '--app', 'no-such-app'],
    ]) {
      const result = await cli(args, env);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe('wa-verify: not_found: App not found\n');
    }
    const unknownKey = await cli(['keys', 'revoke', '--app', 'no-such-app', '--key', 'x'], env);
    expect(unknownKey.code).toBe(1);
    expect(unknownKey.stderr).toBe('wa-verify: not_found: API key not found\n');

    const badUrl = await cli(['apps', 'create', '--name', 'x', '--webhook-url', 'ftp://a.b'], env);
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toMatch(/^wa-verify: validation_failed: webhookUrl .*\n$/);
    expect(badUrl.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('wa-verify CLI arguments', () => {
  const env = baseEnv('sqlite::memory:');

  it.each([
    [
      ['apps', 'create'],
      /required option '--name <name>' not specified/,
      /Usage: wa-verify apps create/,
    ],
    [
      ['keys', 'revoke', '--app', 'a'],
      /required option '--key <keyId>'/,
      /Usage: wa-verify keys revoke/,
    ],
    [['frobnicate'], /unknown command 'frobnicate'/, /Usage: wa-verify/],
    [['apps', 'list', '--bogus'], /unknown option '--bogus'/, /Usage: wa-verify apps list/],
    [[], /Usage: wa-verify/, /Commands:/],
  ])('exits 2 with usage on stderr for %j', async (args, error, usage) => {
    const result = await cli(args, env);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(error);
    expect(result.stderr).toMatch(usage);
  });

  it('prints help on stdout and exits 0 when asked', async () => {
    const result = await cli(['--help'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Commands:[\s\S]*apps[\s\S]*doctor/);
  });
});

describe.each(engines)('wa-verify doctor on %s', (engine) => {
  const graph = new FakeGraphServer();
  const twilio = new FakeTwilioServer();
  const meta = { phoneNumberId: '1234567890', appSecret: 'app-secret-xyz', verifyToken: 'vt' };
  let db: Database;
  let env: Record<string, string>;

  beforeAll(async () => {
    const [graphUrl, twilioUrl] = await Promise.all([graph.start(), twilio.start()]);
    db = await freshDatabase(engine);
    env = baseEnv(db.url, metaWithTwilioSmsEnv(graphUrl, twilioUrl, twilio, meta));
    const migrated = await cli(['migrate'], env);
    expect(migrated.code).toBe(0);
  });
  afterEach(() => {
    graph.reset();
    twilio.reset();
  });
  afterAll(async () => {
    await Promise.all([graph.stop(), twilio.stop(), db.drop()]);
  });

  it('passes every check on a healthy set-up, with one read call per provider and no secret printed', async () => {
    const result = await cli(['doctor'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = checks(result.stdout);
    expect(lines.map((line) => [line.status, line.name])).toEqual([
      ['ok', 'config'],
      ['ok', 'database'],
      ['ok', 'migrations'],
      ['ok', 'redis'],
      ['ok', 'whatsapp'],
      ['ok', 'sms'],
      ['ok', 'webhooks'],
    ]);
    expect(lines[1].detail).toMatch(
      engine === 'sqlite' ? /^sqlite \// : /^mysql 127\.0\.0\.1:\d+\/wa_verify_cli_/,
    );
    expect(lines[4].detail).toContain(FAKE_DISPLAY_PHONE_NUMBER);
    expect(lines[5].detail).toMatch(/twilio: account AC.*\(active\)/);

    expect(graph.requests).toHaveLength(1);
    expect(graph.requests[0]).toMatchObject({
      method: 'GET',
      path: `/v21.0/${meta.phoneNumberId}?fields=display_phone_number`,
    });
    expect(graph.requests[0].headers.authorization).toBe('Bearer test-access-token');
    expect(twilio.requests.map((r) => [r.method, r.path])).toEqual([
      ['GET', `/2010-04-01/Accounts/${twilio.accountSid}.json`],
    ]);
    for (const secret of ['test-access-token', twilio.authToken, ADMIN_KEY, PEPPER])
      expect(result.stdout).not.toContain(secret);
  });

  it('fails the WhatsApp line and exits 1 when Meta refuses the token', async () => {
    graph.failAll(401, {
      error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190 },
    });
    const result = await cli(['doctor'], { ...env, META_ACCESS_TOKEN: 'wrong-token-123' });
    expect(result.code).toBe(1);
    const whatsapp = checks(result.stdout).find((line) => line.name === 'whatsapp');
    expect(whatsapp).toEqual({
      status: 'FAIL',
      name: 'whatsapp',
      detail: 'meta: Graph API answered HTTP 401 (code 190: Invalid OAuth access token.)',
    });
    expect(checks(result.stdout).filter((line) => line.status !== 'ok')).toHaveLength(1);
    expect(result.stdout).not.toContain('wrong-token-123');
  });

  it('fails the SMS line when the Twilio credentials are wrong', async () => {
    const result = await cli(['doctor'], { ...env, TWILIO_AUTH_TOKEN: 'not-the-token-456' });
    expect(result.code).toBe(1);
    expect(checks(result.stdout).find((line) => line.name === 'sms')).toMatchObject({
      status: 'FAIL',
      detail: expect.stringContaining('HTTP 401'),
    });
    expect(result.stdout).not.toContain('not-the-token-456');
  });

  it('fails the Redis line when Redis does not answer', async () => {
    const port = await closedPort();
    const result = await cli(['doctor'], {
      ...env,
      REDIS_URL: `redis://:pw-789@127.0.0.1:${port}`,
    });
    expect(result.code).toBe(1);
    expect(checks(result.stdout).find((line) => line.name === 'redis')).toEqual({
      status: 'FAIL',
      name: 'redis',
      detail: `connect ECONNREFUSED 127.0.0.1:${port}`,
    });
    expect(result.stdout).not.toContain('pw-789');
  });

  (process.env.E2E_REDIS_URL ? it : it.skip)(
    'passes the Redis line with a live Redis',
    async () => {
      const result = await cli(['doctor'], { ...env, REDIS_URL: process.env.E2E_REDIS_URL! });
      expect(result.code).toBe(0);
      expect(checks(result.stdout).find((line) => line.name === 'redis')?.status).toBe('ok');
    },
  );

  it('fails the database line with one reason when the database is unreachable', async () => {
    const port = await closedPort();
    const result = await cli(['doctor'], {
      ...env,
      DATABASE_URL: `mysql://root:db-secret-1@127.0.0.1:${port}/wa_verify`,
    });
    expect(result.code).toBe(1);
    const lines = checks(result.stdout);
    expect(lines.find((line) => line.name === 'database')).toMatchObject({
      status: 'FAIL',
      detail: expect.stringContaining(`127.0.0.1:${port} (ECONNREFUSED)`),
    });
    expect(lines.find((line) => line.name === 'migrations')?.status).toBe('SKIP');
    expect(result.stdout).not.toContain('db-secret-1');
  });

  it('counts configuration warnings as ok, with a note naming the variable', async () => {
    const result = await cli(['doctor'], { ...env, WHATSAP_PROVIDER: 'meta' });
    expect(result.code).toBe(0);
    expect(checks(result.stdout)[0]).toEqual({
      status: 'ok',
      name: 'config',
      detail: expect.stringContaining(
        '1 warning(s): unknown variable WHATSAP_PROVIDER is ignored (did you mean WHATSAPP_PROVIDER?)',
      ),
    });
  });

  it('fails the config line alone and exits 1 on an invalid configuration', async () => {
    const result = await cli(['doctor'], { ...env, WHATSAPP_PROVIDER: 'carrier-pigeon' });
    expect(result.code).toBe(1);
    expect(checks(result.stdout)).toEqual([
      {
        status: 'FAIL',
        name: 'config',
        detail: expect.stringContaining('WHATSAPP_PROVIDER must be one of'),
      },
    ]);
  });

  it('applies the production webhook URL policy to every app, without calling the URLs', async () => {
    const created = await cli(
      [
        'apps',
        'create',
        '--name',
        'Local hooks',
        '--webhook-url',
        'http://127.0.0.1:9/h?token=t0k3n',
      ],
      env,
    );
    expect(created.code).toBe(0);
    const { id } = JSON.parse(created.stdout) as { id: string };
    const production = {
      ...env,
      NODE_ENV: 'production',
      ADMIN_API_KEY: 'Zq8vN3kT7mW2xR5pL9cB4hJ6yF1dG0sA',
      OTP_PEPPER: 'Hk3nP8wQ2zV7mX5cR9tB4yL6jF1gD0sN',
      WHATSAPP_BUSINESS_NUMBER: '+15550001111',
      PUBLIC_BASE_URL: 'https://verify.acme.test',
    };
    const result = await cli(['doctor'], production);
    expect(result.code).toBe(1);
    const webhooks = checks(result.stdout).find((line) => line.name === 'webhooks');
    expect(webhooks?.status).toBe('FAIL');
    expect(webhooks?.detail).toContain(`app ${id} (Local hooks): must use https in production`);
    expect(result.stdout).not.toContain('t0k3n');
    // Development allows it (a receiver on 127.0.0.1).
    const dev = await cli(['doctor'], env);
    expect(checks(dev.stdout).find((line) => line.name === 'webhooks')?.status).toBe('ok');
  });
});

describe('wa-verify CLI and background work', () => {
  const receiver = new WebhookReceiver();
  beforeAll(async () => {
    await receiver.start();
  });
  afterAll(async () => receiver.stop());

  it('never dispatches due client webhooks while a command runs (background jobs stay off)', async () => {
    const db = await freshDatabase('sqlite');
    const env = baseEnv(db.url);
    expect((await cli(['migrate'], env)).code).toBe(0);
    const url = receiver.expect([]);
    const created = await cli(['apps', 'create', '--name', 'Hooked', '--webhook-url', url], env);
    const app = JSON.parse(created.stdout) as { id: string; apiKey: string; webhookSecret: string };
    receiver.setSecrets(url, [app.webhookSecret]);
    const auth = { Authorization: `Bearer ${app.apiKey}` };
    const tenant = { appId: app.id, apiKey: app.apiKey, webhookSecret: app.webhookSecret, auth };
    const path = new URL(url).pathname;

    // A service that polls its outbox once at start, then not for an hour: the approval's
    // webhook stays due in the database when it stops.
    const quiet = await startApp({ WEBHOOK_DISPATCH_INTERVAL: '1h' }, db.url);
    const phone = uniquePhone();
    const verification = await quiet.http
      .post('/v1/verifications')
      .set(auth)
      .send({ phone })
      .expect(201);
    const code = await sandboxCodeFor(quiet, tenant, phone);
    await quiet.http
      .post(`/v1/verifications/${verification.body.id}/check`)
      .set(auth)
      .send({ code })
      .expect(200);
    const pending = await quiet.http
      .get('/v1/webhook-deliveries')
      .query({ status: 'pending' })
      .set(auth)
      .expect(200);
    expect(pending.body.data.length).toBeGreaterThan(0);
    await quiet.close();

    // Commands boot the service's modules; the due delivery must stay untouched.
    for (const args of [
      ['apps', 'list'],
      ['keys', 'create', '--app', app.id],
    ])
      expect((await cli(args, env)).code).toBe(0);
    // The same context in this process, held open long enough for any timer to fire.
    const config = loadConfig({ ...env, WEBHOOK_DISPATCH_INTERVAL: '50ms' });
    await withAppContext(config, () => sleep(1_000));
    expect(receiver.received.filter((hook) => hook.path === path)).toEqual([]);

    // Control: the delivery was due and deliverable; a service sends it at once.
    const service = await startApp({}, db.url);
    try {
      await waitFor(
        () => receiver.received.some((hook) => hook.path === path && hook.status === 200),
        10_000,
      );
    } finally {
      await service.close();
    }
  });
});
