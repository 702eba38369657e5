import { parse as parseDotenv } from 'dotenv';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  loadConfig,
  parseTrustProxy,
  unknownVariableWarnings,
  weakSecretReason,
} from './app-config';
import { parseDuration, parseDurationList } from './duration';

const dataDir = (): string => mkdtempSync(join(tmpdir(), 'wa-verify-config-'));

const STRONG_ADMIN = 'Yk3vQ9xLm2Rt7Wc4Hp8Zs1Nd6Fg5Jb0A';
const STRONG_PEPPER = 'u7Kq2Xe9Lr4Tz1Mw8Vn3Bc6Hs5Dg0PyF';
const META = {
  META_ACCESS_TOKEN: 'EAAG-token',
  META_PHONE_NUMBER_ID: '106540352242922',
  META_APP_SECRET: 'meta-app-secret',
  META_VERIFY_TOKEN: 'meta-verify-token',
};
/** A production environment that starts; each refusal test breaks one thing in it. */
const production = (overrides: Record<string, string | undefined> = {}) => ({
  NODE_ENV: 'production',
  DATA_DIR: dataDir(),
  ADMIN_API_KEY: STRONG_ADMIN,
  OTP_PEPPER: STRONG_PEPPER,
  WHATSAPP_BUSINESS_NUMBER: '+6281100000000',
  WHATSAPP_PROVIDER: 'meta',
  ...META,
  ...overrides,
});

describe('loadConfig', () => {
  it('runs on embedded defaults in development, generating and keeping the secrets', () => {
    const dir = dataDir();
    const first = loadConfig({ DATA_DIR: dir });
    expect(first).toMatchObject({
      isProduction: false,
      port: 3000,
      host: '0.0.0.0',
      whatsappProvider: 'sandbox',
      smsProvider: 'sandbox',
      whatsappBusinessNumber: '+15550001111',
      otpHasher: 'hmac-sha256',
      otpHashCost: 10,
      adminApiKeyGenerated: true,
      webhookRetryScheduleMs: [
        5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000,
      ],
    });
    expect(first.database).toEqual({
      type: 'sqlite',
      file: expect.stringMatching(/data\/wa-verify\.sqlite$/),
    });
    expect(first.developmentAppApiKey).toMatch(/^wav_dev_/);
    expect(existsSync(join(dir, 'dev-secrets.json'))).toBe(true);

    const second = loadConfig({ DATA_DIR: dir });
    expect(second.adminApiKey).toBe(first.adminApiKey);
    expect(second.otpPepper).toBe(first.otpPepper);
    expect(second.developmentAppApiKey).toBe(first.developmentAppApiKey);
    expect(second.adminApiKeyGenerated).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, 'dev-secrets.json'), 'utf8')).adminApiKey).toBe(
      first.adminApiKey,
    );
  });

  it('requires the secrets and the business number in production and never generates them', () => {
    const base = { NODE_ENV: 'production', DATA_DIR: dataDir() };
    expect(() => loadConfig(base)).toThrow(
      new ConfigError('ADMIN_API_KEY is required when NODE_ENV=production'),
    );
    expect(() => loadConfig({ ...base, ADMIN_API_KEY: STRONG_ADMIN })).toThrow(
      /OTP_PEPPER is required/,
    );
    expect(() =>
      loadConfig({ ...base, ADMIN_API_KEY: STRONG_ADMIN, OTP_PEPPER: STRONG_PEPPER }),
    ).toThrow(/WHATSAPP_BUSINESS_NUMBER is required/);
    const config = loadConfig({
      ...base,
      ADMIN_API_KEY: STRONG_ADMIN,
      OTP_PEPPER: STRONG_PEPPER,
      WHATSAPP_BUSINESS_NUMBER: '+6281100000000',
      WHATSAPP_PROVIDER: 'meta',
      ...META,
    });
    expect(config.developmentAppApiKey).toBeNull();
    expect(config.smsProvider).toBe('none');
    expect(config.adminApiKeySource).toBe('environment');
    expect(existsSync(join(base.DATA_DIR, 'dev-secrets.json'))).toBe(false);
  });

  it.each([
    ['OTP_HASH_COST', '3', /OTP_HASH_COST must be an integer from 4 to 15/],
    ['OTP_HASHER', 'md5', /OTP_HASHER must be one of hmac-sha256, bcrypt/],
    ['WHATSAPP_PROVIDER', 'telegram', /WHATSAPP_PROVIDER must be one of sandbox, meta, twilio/],
    [
      'DATABASE_URL',
      'postgres://localhost/db',
      /DATABASE_URL must start with sqlite: or mysql:\/\//,
    ],
    ['DATABASE_URL', 'mysql://root@localhost:3306', /DATABASE_URL must name a database/],
    [
      'WEBHOOK_RETRY_SCHEDULE',
      '5s,soon',
      /WEBHOOK_RETRY_SCHEDULE must be comma-separated durations/,
    ],
    [
      'WEBHOOK_RETRY_SCHEDULE',
      '5s,30,2m',
      /WEBHOOK_RETRY_SCHEDULE must be comma-separated durations with a unit, such as 5s,30s,2m \(got "5s,30,2m"\)/,
    ],
    ['META_TIMEOUT', '500', /META_TIMEOUT must be a duration with a unit, such as 10s/],
    ['EXPIRY_SWEEP_INTERVAL', '30', /EXPIRY_SWEEP_INTERVAL must be a duration with a unit/],
    ['TRUST_PROXY', '10.0.0.0/33', /TRUST_PROXY must be false, a hop count/],
    ['TRUST_PROXY', 'proxy.internal', /TRUST_PROXY must be false, a hop count/],
    ['WHATSAPP_BUSINESS_NUMBER', '0812', /WHATSAPP_BUSINESS_NUMBER must be E.164/],
    ['PORT', 'http', /PORT must be an integer/],
    ['REDIS_URL', 'localhost:6379', /REDIS_URL must start with redis:\/\//],
    ['VELOCITY_GUARD_ENABLED', 'maybe', /VELOCITY_GUARD_ENABLED must be true or false/],
    [
      'META_OTP_BUTTON',
      'autofill',
      /^META_OTP_BUTTON must be one of copy_code, one_tap, zero_tap \(got "autofill"\)$/,
    ],
    ['META_WABA_ID', 'waba-1', /^META_WABA_ID must be the numeric WhatsApp Business Account id/],
    [
      'META_TEMPLATE_LANGUAGES',
      'en,english',
      /^META_TEMPLATE_LANGUAGES must be a comma list of template languages such as en,id,pt_BR \(got "english"\)$/,
    ],
    ['META_TEMPLATE_LANGUAGES', 'en,pt-BR,pt_BR', /^META_TEMPLATE_LANGUAGES lists pt_BR twice$/],
    [
      'META_ANDROID_APPS',
      'com.example.app:K8a/AINcGX',
      /^META_ANDROID_APPS must be a comma list of package:signatureHash with an 11-character hash, such as com.example.app:K8a\/AINcGX7 \(got "com.example.app:K8a\/AINcGX"\)$/,
    ],
    ['META_ANDROID_APPS', 'example:K8a/AINcGX7', /^META_ANDROID_APPS must be a comma list/],
    [
      'META_ANDROID_APPS',
      'com.example.app:K8a/AINcGX7:x',
      /^META_ANDROID_APPS must be a comma list/,
    ],
    [
      'META_ANDROID_APPS',
      'a.b:K8a/AINcGX7,a.c:K8a/AINcGX7,a.d:K8a/AINcGX7,a.e:K8a/AINcGX7,a.f:K8a/AINcGX7,a.g:K8a/AINcGX7',
      /^META_ANDROID_APPS lists 6 apps; Meta accepts at most 5$/,
    ],
  ])('stops on a bad %s with one line naming it', (name, value, message) => {
    expect(() => loadConfig({ DATA_DIR: dataDir(), [name]: value })).toThrow(message);
  });

  it('requires the credentials of the providers it is asked to use', () => {
    expect(() => loadConfig({ DATA_DIR: dataDir(), WHATSAPP_PROVIDER: 'meta' })).toThrow(
      /META_ACCESS_TOKEN is required when WHATSAPP_PROVIDER=meta/,
    );
    // Without the verify token Meta's subscription handshake would fail later with a 403.
    expect(() =>
      loadConfig({
        DATA_DIR: dataDir(),
        WHATSAPP_PROVIDER: 'meta',
        ...META,
        META_VERIFY_TOKEN: undefined,
      }),
    ).toThrow(new ConfigError('META_VERIFY_TOKEN is required when WHATSAPP_PROVIDER=meta'));
    expect(() =>
      loadConfig({
        DATA_DIR: dataDir(),
        SMS_PROVIDER: 'twilio',
        TWILIO_ACCOUNT_SID: 'AC1',
        TWILIO_AUTH_TOKEN: 't',
      }),
    ).toThrow(/TWILIO_SMS_FROM is required/);
  });

  it('refuses a duration without a unit, naming the variable and the value', () => {
    expect(() => loadConfig({ DATA_DIR: dataDir(), WEBHOOK_TIMEOUT: '10' })).toThrow(
      new ConfigError('WEBHOOK_TIMEOUT must be a duration with a unit, such as 10s (got "10")'),
    );
    expect(loadConfig({ DATA_DIR: dataDir(), WEBHOOK_TIMEOUT: '10s' }).webhookTimeoutMs).toBe(
      10_000,
    );
  });

  it('parses MySQL URLs (mariadb:// too)', () => {
    expect(
      loadConfig({ DATA_DIR: dataDir(), DATABASE_URL: 'mariadb://u:p@db.internal:3307/wa' })
        .database,
    ).toEqual({
      type: 'mysql',
      url: 'mysql://u:p@db.internal:3307/wa',
      host: 'db.internal',
      port: 3307,
      database: 'wa',
      poolSize: 32,
    });
    expect(
      loadConfig({
        DATA_DIR: dataDir(),
        DATABASE_URL: 'mysql://u:p@db.internal/wa',
        DATABASE_POOL_SIZE: '8',
      }).database,
    ).toMatchObject({ port: 3306, poolSize: 8 });
  });
});

describe('durations', () => {
  it('parses units and lists', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('250')).toBeNull();
    expect(parseDuration('soon')).toBeNull();
    expect(parseDurationList('200ms, 1s')).toEqual([200, 1000]);
    expect(parseDurationList('')).toBeNull();
  });
});

describe('TRUST_PROXY', () => {
  it.each([
    [undefined, false],
    ['false', false],
    ['0', false],
    ['1', 1],
    ['2', 2],
    ['10.0.0.0/8,127.0.0.1', ['10.0.0.0/8', '127.0.0.1']],
    [' 192.168.1.10 , fd00::/8 ', ['192.168.1.10', 'fd00::/8']],
    ['loopback', ['loopback']],
    ['true', true],
  ])('reads %p as %p (the forms Fastify trustProxy takes)', (value, expected) => {
    expect(parseTrustProxy(value)).toEqual(expected);
    expect(loadConfig({ DATA_DIR: dataDir(), TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it('defaults to false: the peer address is the client', () => {
    expect(loadConfig({ DATA_DIR: dataDir() }).trustProxy).toBe(false);
  });

  it('accepts hop counts and address lists in production', () => {
    expect(loadConfig(production({ TRUST_PROXY: '1' })).trustProxy).toBe(1);
    expect(loadConfig(production({ TRUST_PROXY: '10.0.0.0/8' })).trustProxy).toEqual([
      '10.0.0.0/8',
    ]);
  });
});

describe('production refusals', () => {
  it('starts with a complete production environment', () => {
    expect(loadConfig(production())).toMatchObject({
      isProduction: true,
      whatsappProvider: 'meta',
      smsProvider: 'none',
      trustProxy: false,
      metricsToken: null,
    });
  });

  it.each(['production', 'prod', 'staging', 'Production', 'live'])(
    'treats NODE_ENV=%s as production (fail closed)',
    (nodeEnv) => {
      expect(loadConfig(production({ NODE_ENV: nodeEnv })).isProduction).toBe(true);
      expect(() => loadConfig(production({ NODE_ENV: nodeEnv, ADMIN_API_KEY: undefined }))).toThrow(
        /ADMIN_API_KEY is required/,
      );
    },
  );

  it.each(['development', 'test'])('treats NODE_ENV=%s as not production', (nodeEnv) => {
    expect(loadConfig({ DATA_DIR: dataDir(), NODE_ENV: nodeEnv }).isProduction).toBe(false);
  });

  it.each([
    [{ WHATSAPP_PROVIDER: undefined }, /^WHATSAPP_PROVIDER is required when NODE_ENV=production/],
    [{ WHATSAPP_PROVIDER: 'sandbox' }, /^WHATSAPP_PROVIDER=sandbox is refused/],
    [{ SMS_PROVIDER: 'sandbox' }, /^SMS_PROVIDER=sandbox is refused/],
    [{ TRUST_PROXY: 'true' }, /^TRUST_PROXY=true is refused when NODE_ENV=production/],
    [{ TRUST_PROXY: 'yes' }, /^TRUST_PROXY=true is refused/],
    [{ ADMIN_API_KEY: 'x7'.repeat(12) }, /^ADMIN_API_KEY must be at least 32 characters/],
    [{ OTP_PEPPER: 'Q2w9'.repeat(5) }, /^OTP_PEPPER must be at least 32 characters/],
    [{ METRICS_TOKEN: 'short-token' }, /^METRICS_TOKEN must be at least 32 characters/],
    [
      { ADMIN_API_KEY: 'changeme-changeme-changeme-changeme' },
      /^ADMIN_API_KEY looks like a placeholder/,
    ],
    [
      { ADMIN_API_KEY: 'please-change-me-before-going-live-1' },
      /^ADMIN_API_KEY looks like a placeholder/,
    ],
    [
      { OTP_PEPPER: 'my-super-secret-pepper-for-production' },
      /^OTP_PEPPER looks like a placeholder/,
    ],
    [{ OTP_PEPPER: 'password-password-password-password' }, /^OTP_PEPPER looks like a placeholder/],
    [
      { METRICS_TOKEN: 'your-metrics-token-goes-here-xxxxxx' },
      /^METRICS_TOKEN looks like a placeholder/,
    ],
    [
      { ADMIN_API_KEY: 'test-admin-key-0123456789-0123456789' },
      /^ADMIN_API_KEY looks like a placeholder/,
    ],
    [{ ADMIN_API_KEY: 'a'.repeat(40) }, /^ADMIN_API_KEY has too few distinct characters/],
    [{ OTP_PEPPER: 'abab'.repeat(10) }, /^OTP_PEPPER has too few distinct characters/],
    [
      {
        SMS_PROVIDER: 'twilio',
        TWILIO_ACCOUNT_SID: 'AC123',
        TWILIO_AUTH_TOKEN: 'twilio-auth-token',
        TWILIO_SMS_FROM: '+15005550006',
      },
      /^PUBLIC_BASE_URL is required when Twilio is used/,
    ],
    [
      {
        WHATSAPP_PROVIDER: 'twilio',
        TWILIO_ACCOUNT_SID: 'AC123',
        TWILIO_AUTH_TOKEN: 'twilio-auth-token',
        TWILIO_WHATSAPP_FROM: '+15005550006',
      },
      /^PUBLIC_BASE_URL is required when Twilio is used/,
    ],
  ])('refuses %p with one line naming the variable', (overrides, message) => {
    let error: unknown;
    try {
      loadConfig(production(overrides));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('never echoes a refused secret', () => {
    const secret = 'changeme-changeme-changeme-changeme';
    expect(() => loadConfig(production({ ADMIN_API_KEY: secret }))).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(secret) }),
    );
  });

  it('accepts Twilio with PUBLIC_BASE_URL, and a strong METRICS_TOKEN', () => {
    const config = loadConfig(
      production({
        SMS_PROVIDER: 'twilio',
        TWILIO_ACCOUNT_SID: 'AC123',
        TWILIO_AUTH_TOKEN: 'twilio-auth-token',
        TWILIO_SMS_FROM: '+15005550006',
        PUBLIC_BASE_URL: 'https://verify.acme.test',
        METRICS_TOKEN: 'Zr5Kp8Wq1Ls4Xv7Nb2Hm9Dc6Fy3Tg0Ej',
      }),
    );
    expect(config.twilio.webhookUrl).toBe('https://verify.acme.test/v1/webhooks/twilio');
    expect(config.metricsToken).toBe('Zr5Kp8Wq1Ls4Xv7Nb2Hm9Dc6Fy3Tg0Ej');
  });

  it('allows the sandbox and short keys in development and test', () => {
    expect(
      loadConfig({
        DATA_DIR: dataDir(),
        NODE_ENV: 'test',
        ADMIN_API_KEY: 'test-admin-key-0123456789',
        TRUST_PROXY: 'true',
      }),
    ).toMatchObject({ whatsappProvider: 'sandbox', smsProvider: 'sandbox', trustProxy: true });
  });

  it('flags generated-looking keys only when they are weak', () => {
    expect(weakSecretReason(STRONG_ADMIN)).toBeNull();
    expect(weakSecretReason('0f3a9c1e7b5d2f8a6c4e0b9d7f1a3c5e')).toBeNull();
  });
});

describe('unknown variables', () => {
  it('reports a near miss of a known name with a hint, and keeps starting', () => {
    const config = loadConfig({ DATA_DIR: dataDir(), WHATSAP_PROVIDER: 'meta' });
    expect(config.whatsappProvider).toBe('sandbox');
    expect(config.warnings).toEqual([
      'unknown variable WHATSAP_PROVIDER is ignored (did you mean WHATSAPP_PROVIDER?)',
    ]);
  });

  it('reports unknown names with our prefixes, with a hint when one is close', () => {
    const { warnings } = loadConfig({
      DATA_DIR: dataDir(),
      WEBHOOK_TIMEOUTS: '5s',
      OTP_PEPER: 'x',
      RATE_LIMIT_PER_IP: '5',
      TWILIO_FROM: '+15005550006',
      WA_SOMETHING_ELSE_ENTIRELY: '1',
    });
    expect(warnings).toEqual([
      'unknown variable OTP_PEPER is ignored (did you mean OTP_PEPPER?)',
      expect.stringMatching(/^unknown variable RATE_LIMIT_PER_IP is ignored/),
      'unknown variable TWILIO_FROM is ignored (did you mean TWILIO_SMS_FROM?)',
      'unknown variable WA_SOMETHING_ELSE_ENTIRELY is ignored',
      'unknown variable WEBHOOK_TIMEOUTS is ignored (did you mean WEBHOOK_TIMEOUT?)',
    ]);
  });

  it('leaves the rest of the environment alone', () => {
    const { warnings } = loadConfig({
      DATA_DIR: dataDir(),
      HOME: '/root',
      PATH: '/usr/bin',
      HOSTNAME: 'box',
      NODE_OPTIONS: '--max-old-space-size=512',
      npm_config_cache: '/tmp',
      JEST_WORKER_ID: '1',
    });
    expect(warnings).toEqual([]);
  });

  it('reads the template settings: WABA id, languages in order (pt-BR as pt_BR), button and Android apps', () => {
    const { meta } = loadConfig({
      DATA_DIR: dataDir(),
      META_WABA_ID: '102290129340398',
      META_TEMPLATE_LANGUAGES: ' en , ID, pt-br ',
      META_OTP_BUTTON: 'zero_tap',
      META_ANDROID_APPS: 'com.acme.app:K8a/AINcGX7, com.acme.beta:Zq3+xY9wT2a',
    });
    expect(meta).toMatchObject({
      wabaId: '102290129340398',
      templateLanguages: ['en', 'id', 'pt_BR'],
      otpButton: 'zero_tap',
      androidApps: [
        { packageName: 'com.acme.app', signatureHash: 'K8a/AINcGX7' },
        { packageName: 'com.acme.beta', signatureHash: 'Zq3+xY9wT2a' },
      ],
    });
    expect(loadConfig({ DATA_DIR: dataDir() }).meta).toMatchObject({
      wabaId: null,
      templateLanguages: ['en'],
      otpButton: 'copy_code',
      androidApps: [],
    });
  });

  it.each(['one_tap', 'zero_tap'])(
    'stops when META_OTP_BUTTON=%s names no Android app',
    (button) => {
      expect(() => loadConfig({ DATA_DIR: dataDir(), META_OTP_BUTTON: button })).toThrow(
        new ConfigError(
          `META_ANDROID_APPS is required when META_OTP_BUTTON=${button}: package:signatureHash of the app the button hands the code to (com.example.app:K8a/AINcGX7)`,
        ),
      );
    },
  );

  it('knows every variable loadConfig reads, and nothing it reads is reported', () => {
    const known = new Set(['WHATSAPP_PROVIDER', 'WEBHOOK_TIMEOUT']);
    expect(unknownVariableWarnings({ WHATSAPP_PROVIDER: 'meta' }, known)).toEqual([]);
    const everything = Object.fromEntries(
      [
        'ADMIN_API_KEY',
        'METRICS_TOKEN',
        'META_VERIFY_TOKEN',
        'TWILIO_WEBHOOK_URL',
        'WEBHOOK_DISPATCH_INTERVAL',
        'RATE_LIMIT_INBOUND_SENDER_PER_MINUTE',
        'OTP_HASHER',
        'TRUST_PROXY',
      ].map((name) => [name, '']),
    );
    expect(loadConfig({ DATA_DIR: dataDir(), ...everything }).warnings).toEqual([]);
  });
});

describe('.env.example', () => {
  it('is a valid development configuration once copied to .env, with no unknown names', () => {
    const example = parseDotenv(readFileSync(join(__dirname, '..', '..', '.env.example')));
    const config = loadConfig({ ...example, DATA_DIR: dataDir() });
    expect(config).toMatchObject({ isProduction: false, whatsappProvider: 'sandbox' });
    expect(config.warnings).toEqual([]);
  });

  it('has no misspelt or unknown WA_/META_/TWILIO_/OTP_/WEBHOOK_/RATE_LIMIT_ names, even commented', () => {
    const text = readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8');
    const names = [...text.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]);
    expect(names.length).toBeGreaterThan(20);
    const env = Object.fromEntries(names.map((name) => [name, '']));
    expect(loadConfig({ ...env, DATA_DIR: dataDir() }).warnings).toEqual([]);
  });
});

describe('logging', () => {
  it('defaults to info, pretty in development and JSON in production', () => {
    expect(loadConfig({ DATA_DIR: dataDir() })).toMatchObject({
      logLevel: 'info',
      logFormat: 'pretty',
    });
    expect(loadConfig(production())).toMatchObject({ logLevel: 'info', logFormat: 'json' });
    expect(loadConfig({ DATA_DIR: dataDir(), LOG_FORMAT: 'json' }).logFormat).toBe('json');
  });

  it("takes pino's level names and still Nest's log (= info) and verbose (= trace)", () => {
    const level = (value: string) => loadConfig({ DATA_DIR: dataDir(), LOG_LEVEL: value }).logLevel;
    expect(['fatal', 'error', 'warn', 'info', 'debug', 'trace'].map(level)).toEqual([
      'fatal',
      'error',
      'warn',
      'info',
      'debug',
      'trace',
    ]);
    expect(level('log')).toBe('info');
    expect(level('verbose')).toBe('trace');
    expect(level('DEBUG')).toBe('debug');
    expect(() => level('loud')).toThrow(
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace (got "loud")',
    );
    expect(() => loadConfig({ DATA_DIR: dataDir(), LOG_FORMAT: 'xml' })).toThrow(
      'LOG_FORMAT must be one of json, pretty (got "xml")',
    );
  });

  it('does not report the standard OpenTelemetry variables as unknown', () => {
    const { warnings } = loadConfig({
      DATA_DIR: dataDir(),
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc',
      OTEL_SERVICE_NAME: 'wa-verify',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.1',
      OTEL_SDK_DISABLED: 'false',
    });
    expect(warnings).toEqual([]);
  });
});
