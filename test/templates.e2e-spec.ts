import { DataSource } from 'typeorm';
import { runCli } from '../src/cli/cli';
import { FakeGraphServer } from './support/fake-graph-server';
import {
  ADMIN_KEY,
  createTenant,
  startApp,
  TestApp,
  TestTenant,
  uniquePhone,
} from './support/harness';

/**
 * WhatsApp authentication templates on the Business Account: `GET /v1/templates`,
 * `POST /v1/templates/sync` and `wa-verify templates list|sync`, against a fake Graph API on
 * 127.0.0.1; and the template language a verification's locale picks when the code is sent.
 */

const WABA_ID = '102290129340398';
const PHONE_NUMBER_ID = '106540352242922';
const ADMIN = { Authorization: `Bearer ${ADMIN_KEY}` };
const APPS = 'com.acme.app:K8a/AINcGX7,com.acme.beta:Zq3+xY9wT2a';
const SUPPORTED_APPS = [
  { package_name: 'com.acme.app', signature_hash: 'K8a/AINcGX7' },
  { package_name: 'com.acme.beta', signature_hash: 'Zq3+xY9wT2a' },
];

function metaEnv(graphUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    WHATSAPP_PROVIDER: 'meta',
    SMS_PROVIDER: 'none',
    META_API_BASE_URL: graphUrl,
    META_API_VERSION: 'v21.0',
    META_ACCESS_TOKEN: 'test-access-token',
    META_PHONE_NUMBER_ID: PHONE_NUMBER_ID,
    META_APP_SECRET: 'meta-app-secret-0123456789',
    META_VERIFY_TOKEN: 'meta-verify-token',
    META_OTP_TEMPLATE: 'acme_otp',
    META_WABA_ID: WABA_ID,
    META_TEMPLATE_LANGUAGES: 'en,id,pt_BR',
    META_OTP_BUTTON: 'one_tap',
    META_ANDROID_APPS: APPS,
    ...overrides,
  };
}

/** The one-tap authentication template wa-verify creates for `language` (default TTL 600 s). */
function oneTapTemplate(language: string): Record<string, unknown> {
  return {
    name: 'acme_otp',
    language,
    category: 'AUTHENTICATION',
    message_send_ttl_seconds: 600,
    components: [
      { type: 'BODY', add_security_recommendation: true },
      { type: 'FOOTER', code_expiration_minutes: 10 },
      {
        type: 'BUTTONS',
        buttons: [{ type: 'OTP', otp_type: 'ONE_TAP', supported_apps: SUPPORTED_APPS }],
      },
    ],
  };
}

const buttons = (otpType: string) => [
  { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: otpType }] },
];

/** The running service's database, for a CLI run against it. */
function databaseUrl(t: TestApp): string {
  const db = t.config.database;
  return db.type === 'sqlite' ? `sqlite:${db.file}` : db.url;
}

async function cli(args: string[], env: Record<string, string>) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env,
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  return { code, stdout, stderr };
}

describe('WhatsApp authentication templates (fake Graph API)', () => {
  const graph = new FakeGraphServer();
  let t: TestApp;
  let env: Record<string, string>;

  beforeAll(async () => {
    env = metaEnv(await graph.start());
    t = await startApp(env);
  });
  afterAll(async () => {
    await t.close();
    await graph.stop();
  });
  beforeEach(() => graph.reset());

  const templateRequests = () =>
    graph.requests.filter((r) => r.path.split('?')[0] === `/v21.0/${WABA_ID}/message_templates`);

  it('lists the templates named META_OTP_TEMPLATE with their status and OTP button', async () => {
    graph.seedTemplate(WABA_ID, {
      name: 'acme_otp',
      language: 'en',
      status: 'APPROVED',
      components: buttons('ONE_TAP'),
    });
    graph.seedTemplate(WABA_ID, { name: 'acme_otp', language: 'id', status: 'REJECTED' });
    // Meta's name filter also matches parts of names: these are not ours.
    graph.seedTemplate(WABA_ID, { name: 'acme_otp_old', language: 'en', status: 'APPROVED' });
    graph.seedTemplate(WABA_ID, { name: 'welcome', language: 'en', status: 'APPROVED' });

    const res = await t.http.get('/v1/templates').set(ADMIN).expect(200);

    expect(res.body).toEqual({
      data: [
        { name: 'acme_otp', language: 'en', status: 'APPROVED', otpType: 'one_tap' },
        { name: 'acme_otp', language: 'id', status: 'REJECTED', otpType: null },
      ],
    });
    const [list] = templateRequests();
    expect(list.method).toBe('GET');
    expect(list.headers.authorization).toBe('Bearer test-access-token');
    expect(new URL(list.path, 'http://x').searchParams.get('name')).toBe('acme_otp');
  });

  it('is for the admin only', async () => {
    const tenant: TestTenant = await createTenant(t);
    await t.http.get('/v1/templates').expect(401);
    const res = await t.http.post('/v1/templates/sync').set(tenant.auth).expect(401);
    expect(res.body.code).toBe('unauthorized');
    expect(templateRequests()).toHaveLength(0);
  });

  it('creates every missing language with the one-tap payload, lists the others as existing, and is idempotent', async () => {
    graph.seedTemplate(WABA_ID, { name: 'acme_otp', language: 'en', status: 'APPROVED' });
    graph.seedTemplate(WABA_ID, { name: 'acme_otp', language: 'id', status: 'REJECTED' });

    const first = await t.http.post('/v1/templates/sync').set(ADMIN).expect(200);
    expect(first.body).toEqual({ created: ['pt_BR'], existing: ['en', 'id'], failed: [] });
    const creates = graph.templateCreates();
    expect(creates).toHaveLength(1);
    expect(creates[0].path).toBe(`/v21.0/${WABA_ID}/message_templates`);
    expect(creates[0].headers.authorization).toBe('Bearer test-access-token');
    expect(creates[0].headers['content-type']).toBe('application/json');
    expect(creates[0].body).toEqual(oneTapTemplate('pt_BR'));

    const again = await t.http.post('/v1/templates/sync').set(ADMIN).expect(200);
    expect(again.body).toEqual({ created: [], existing: ['en', 'id', 'pt_BR'], failed: [] });
    expect(graph.templateCreates()).toHaveLength(1);

    const audit: { data: string; actor_type: string }[] = await t.app
      .get(DataSource)
      .query(
        "SELECT data, actor_type FROM audit_events WHERE type = 'templates.synced' ORDER BY created_at DESC",
      );
    expect(audit.length).toBeGreaterThanOrEqual(2);
    expect(audit[0].actor_type).toBe('admin');
    expect(JSON.parse(audit[1].data)).toMatchObject({
      name: 'acme_otp',
      otpButton: 'one_tap',
      created: ['pt_BR'],
      existing: ['en', 'id'],
      failed: [],
    });
  });

  it('reports a language the Graph API refuses in `failed` and still creates the others', async () => {
    graph.refusedTemplateLanguages.add('id');
    const res = await t.http.post('/v1/templates/sync').set(ADMIN).expect(200);
    expect(res.body).toEqual({
      created: ['en', 'pt_BR'],
      existing: [],
      failed: [{ language: 'id', error: 'meta error 100: Invalid parameter' }],
    });
    expect(graph.templateCreates().map((r) => r.body.language)).toEqual(['en', 'id', 'pt_BR']);
    expect(graph.templateCreates()[0].body).toEqual(oneTapTemplate('en'));

    // The next sync creates only what is still missing.
    graph.refusedTemplateLanguages.clear();
    const retry = await t.http.post('/v1/templates/sync').set(ADMIN).expect(200);
    expect(retry.body).toEqual({ created: ['id'], existing: ['en', 'pt_BR'], failed: [] });
  });

  it('follows the Graph paging to find existing languages', async () => {
    for (let i = 0; i < 105; i += 1)
      graph.seedTemplate(WABA_ID, {
        name: 'acme_otp',
        language: `x${String(i).padStart(3, '0')}`,
        status: 'APPROVED',
      });
    graph.seedTemplate(WABA_ID, { name: 'acme_otp', language: 'pt_BR', status: 'PAUSED' });

    const res = await t.http.post('/v1/templates/sync').set(ADMIN).expect(200);

    expect(res.body.existing).toEqual(['pt_BR']);
    expect(res.body.created).toEqual(['en', 'id']);
    expect(templateRequests().filter((r) => r.method === 'GET')).toHaveLength(2);
  });

  it('answers 502 provider_error, not a 500, when the Graph API cannot list the templates', async () => {
    graph.failNext(1, 500);
    const sync = await t.http.post('/v1/templates/sync').set(ADMIN).expect(502);
    expect(sync.body).toMatchObject({ statusCode: 502, code: 'provider_error' });
    expect(sync.body.message).toContain('meta error 131000');
    expect(graph.templateCreates()).toHaveLength(0);

    graph.failNext(1, 401, {
      error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190 },
    });
    const list = await t.http.get('/v1/templates').set(ADMIN).expect(502);
    expect(list.body).toMatchObject({ code: 'provider_error' });
    expect(JSON.stringify(list.body)).not.toContain('test-access-token');
  });

  it('sends the code in the template language the locale picks among META_TEMPLATE_LANGUAGES', async () => {
    const tenant = await createTenant(t);
    const languageFor = async (locale: string): Promise<string | undefined> => {
      const phone = uniquePhone();
      await t.http.post('/v1/verifications').set(tenant.auth).send({ phone, locale }).expect(201);
      const sent = graph.lastMessageTo(phone)?.body;
      expect(sent?.type).toBe('template');
      expect(sent?.template?.name).toBe('acme_otp');
      return sent?.template?.language?.code;
    };
    expect(await languageFor('pt-BR')).toBe('pt_BR');
    expect(await languageFor('pt')).toBe('pt_BR');
    expect(await languageFor('id-ID')).toBe('id');
    expect(await languageFor('en-GB')).toBe('en');
    expect(await languageFor('fr')).toBe('en');
  });

  describe('CLI', () => {
    it('`templates sync` creates zero-tap templates (terms accepted, supported apps) and `templates list` shows them', async () => {
      const wabaId = '987654321012345';
      const cliEnv = {
        ...env,
        DATABASE_URL: databaseUrl(t),
        META_WABA_ID: wabaId,
        META_OTP_BUTTON: 'zero_tap',
        META_TEMPLATE_LANGUAGES: 'en,id',
        LOG_LEVEL: 'error',
      };
      const sync = await cli(['templates', 'sync'], cliEnv);
      expect(sync.stderr).toBe('');
      expect(sync.code).toBe(0);
      expect(JSON.parse(sync.stdout)).toEqual({ created: ['en', 'id'], existing: [], failed: [] });
      const bodies = graph.templateCreates().map((r) => r.body);
      expect(bodies).toHaveLength(2);
      expect(bodies[1]).toEqual({
        name: 'acme_otp',
        language: 'id',
        category: 'AUTHENTICATION',
        message_send_ttl_seconds: 600,
        components: [
          { type: 'BODY', add_security_recommendation: true },
          { type: 'FOOTER', code_expiration_minutes: 10 },
          {
            type: 'BUTTONS',
            buttons: [
              {
                type: 'OTP',
                otp_type: 'ZERO_TAP',
                zero_tap_terms_accepted: true,
                supported_apps: SUPPORTED_APPS,
              },
            ],
          },
        ],
      });

      const list = await cli(['templates', 'list'], cliEnv);
      expect(list.code).toBe(0);
      expect(JSON.parse(list.stdout)).toEqual({
        data: [
          { name: 'acme_otp', language: 'en', status: 'PENDING', otpType: 'zero_tap' },
          { name: 'acme_otp', language: 'id', status: 'PENDING', otpType: 'zero_tap' },
        ],
      });
    });

    it('`templates sync` exits 1 when a language is refused, after printing the result', async () => {
      graph.refusedTemplateLanguages.add('pt_BR');
      const cliEnv = {
        ...env,
        DATABASE_URL: databaseUrl(t),
      };
      const sync = await cli(['templates', 'sync'], cliEnv);
      expect(sync.code).toBe(1);
      expect(JSON.parse(sync.stdout)).toEqual({
        created: ['en', 'id'],
        existing: [],
        failed: [{ language: 'pt_BR', error: 'meta error 100: Invalid parameter' }],
      });
    });

    it('says templates_not_configured (exit 1) without META_WABA_ID', async () => {
      const cliEnv = {
        ...env,
        DATABASE_URL: databaseUrl(t),
        META_WABA_ID: '',
      };
      const res = await cli(['templates', 'list'], cliEnv);
      expect(res.code).toBe(1);
      expect(res.stderr).toBe(
        'wa-verify: templates_not_configured: META_WABA_ID is not set: the WhatsApp Business Account id is needed to manage templates\n',
      );
      expect(templateRequests()).toHaveLength(0);
    });
  });
});

describe('WhatsApp authentication templates without Meta', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ WHATSAPP_PROVIDER: 'sandbox' });
  });
  afterAll(() => t.close());

  it('answers 409 templates_not_configured on the sandbox provider', async () => {
    for (const req of [t.http.get('/v1/templates'), t.http.post('/v1/templates/sync')]) {
      const res = await req.set(ADMIN).expect(409);
      expect(res.body).toEqual({
        statusCode: 409,
        code: 'templates_not_configured',
        message: 'WhatsApp templates are managed on Meta only (WHATSAPP_PROVIDER is sandbox)',
      });
    }
  });
});
