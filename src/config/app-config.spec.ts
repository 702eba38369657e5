import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './app-config';
import { parseDuration, parseDurationList } from './duration';

const dataDir = (): string => mkdtempSync(join(tmpdir(), 'wa-verify-config-'));

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
    expect(() => loadConfig({ ...base, ADMIN_API_KEY: 'a'.repeat(20) })).toThrow(
      /OTP_PEPPER is required/,
    );
    expect(() =>
      loadConfig({ ...base, ADMIN_API_KEY: 'a'.repeat(20), OTP_PEPPER: 'p'.repeat(20) }),
    ).toThrow(/WHATSAPP_BUSINESS_NUMBER is required/);
    const config = loadConfig({
      ...base,
      ADMIN_API_KEY: 'a'.repeat(20),
      OTP_PEPPER: 'p'.repeat(20),
      WHATSAPP_BUSINESS_NUMBER: '+6281100000000',
    });
    expect(config.developmentAppApiKey).toBeNull();
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
    ['WHATSAPP_BUSINESS_NUMBER', '0812', /WHATSAPP_BUSINESS_NUMBER must be E.164/],
    ['PORT', 'http', /PORT must be an integer/],
    ['REDIS_URL', 'localhost:6379', /REDIS_URL must start with redis:\/\//],
    ['VELOCITY_GUARD_ENABLED', 'maybe', /VELOCITY_GUARD_ENABLED must be true or false/],
  ])('stops on a bad %s with one line naming it', (name, value, message) => {
    expect(() => loadConfig({ DATA_DIR: dataDir(), [name]: value })).toThrow(message);
  });

  it('requires the credentials of the providers it is asked to use', () => {
    expect(() => loadConfig({ DATA_DIR: dataDir(), WHATSAPP_PROVIDER: 'meta' })).toThrow(
      /META_ACCESS_TOKEN is required when WHATSAPP_PROVIDER=meta/,
    );
    expect(() =>
      loadConfig({
        DATA_DIR: dataDir(),
        SMS_PROVIDER: 'twilio',
        TWILIO_ACCOUNT_SID: 'AC1',
        TWILIO_AUTH_TOKEN: 't',
      }),
    ).toThrow(/TWILIO_SMS_FROM is required/);
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
    });
  });
});

describe('durations', () => {
  it('parses units and lists', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('250')).toBe(250);
    expect(parseDuration('soon')).toBeNull();
    expect(parseDurationList('200ms, 1s')).toEqual([200, 1000]);
    expect(parseDurationList('')).toBeNull();
  });
});
