import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { distance as levenshtein } from 'fastest-levenshtein';
import * as ipaddr from 'ipaddr.js';
import { parseDuration, parseDurationList } from './duration';
import { MAX_OUTBOUND_TIMEOUT_MS } from './timeouts';

/**
 * The one place that reads the environment. Every variable has a default (or is required in
 * production), a one-line description below, and is validated here: a bad value stops start-up
 * with a single line naming the variable. Services receive the typed {@link AppConfig}.
 */

export type WhatsappProviderName = 'sandbox' | 'meta' | 'twilio';
export type SmsProviderName = 'sandbox' | 'twilio' | 'none';
export type OtpHasherName = 'hmac-sha256' | 'bcrypt';
export const LOG_LEVEL_NAMES = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevelName = (typeof LOG_LEVEL_NAMES)[number];
export type LogFormat = 'json' | 'pretty';
/** Older LOG_LEVEL values (Nest's level names), kept working. */
const LOG_LEVEL_ALIASES: Record<string, LogLevelName> = { log: 'info', verbose: 'trace' };

/**
 * Which peers may set `X-Forwarded-For`, in the forms Fastify's `trustProxy` takes: `false` (the
 * peer address is the client), a hop count, or a list of addresses/CIDRs (and the proxy-addr names
 * `loopback`, `linklocal`, `uniquelocal`). `true` (trust everyone) exists for development only.
 */
export type TrustProxySetting = boolean | number | string[];

export type DatabaseConfig =
  | { type: 'sqlite'; file: string }
  | {
      type: 'mysql';
      url: string;
      host: string;
      port: number;
      database: string;
      /** Connections of this instance's pool (DATABASE_POOL_SIZE), shared by requests and background work. */
      poolSize: number;
    };

/** DATABASE_POOL_SIZE's default: MySQL connections per instance. */
export const DEFAULT_DATABASE_POOL_SIZE = 32;

export interface MetaConfig {
  apiBaseUrl: string;
  apiVersion: string;
  accessToken: string;
  phoneNumberId: string;
  appSecret: string;
  verifyToken: string;
  otpTemplate: string;
  timeoutMs: number;
  /** WhatsApp Business Account id: where authentication templates are listed and created; null when unset. */
  wabaId: string | null;
  /** Template languages (Meta codes: `en`, `id`, `pt_BR`), in order of preference; never empty. */
  templateLanguages: string[];
  /** The OTP button of the templates `POST /v1/templates/sync` creates. */
  otpButton: MetaOtpButton;
  /** Android apps that one-tap and zero-tap buttons hand the code to. */
  androidApps: AndroidApp[];
}

export const META_OTP_BUTTONS = ['copy_code', 'one_tap', 'zero_tap'] as const;
export type MetaOtpButton = (typeof META_OTP_BUTTONS)[number];

/** An Android app a one-tap or zero-tap button may hand the code to. */
export interface AndroidApp {
  packageName: string;
  /** The 11-character hash of the app's signing key and package name. */
  signatureHash: string;
}

export interface TwilioConfig {
  apiBaseUrl: string;
  accountSid: string;
  authToken: string;
  smsFrom: string;
  whatsappFrom: string;
  /** Public URL Twilio calls for our webhook; the signature is computed over it. */
  webhookUrl: string;
  timeoutMs: number;
}

export interface RateLimitConfig {
  apiKeyPerMinute: number;
  unauthenticatedPerMinute: number;
  phonePer15Minutes: number;
  phonePerDay: number;
  inboundSenderPerMinute: number;
  /** /demo/api requests per client IP per minute (status polling included). */
  demoPerMinute: number;
  /** /demo/api requests that send a message (create, resend, simulated inbound) per client IP per minute. */
  demoSendsPerMinute: number;
}

export interface FraudConfig {
  velocityGuardEnabled: boolean;
  velocityMultiplier: number;
  velocityFloorPerHour: number;
  velocityBlockMs: number;
  conversion: ConversionGuardConfig;
}

export type ConversionGuardMode = 'off' | 'shadow' | 'enforce';

/** The conversion guard (src/analytics/conversion-guard.service.ts). */
export interface ConversionGuardConfig {
  mode: ConversionGuardMode;
  windowMs: number;
  minVolume: number;
  /** 0..1: approved / settled verifications under which a calling code is blocked. */
  minRate: number;
  blockMs: number;
  /** How often each instance evaluates the calling codes it saw activity for. */
  evaluateIntervalMs: number;
  /**
   * Price of one billable message per country (ISO alpha-2, `*` for every other), in millionths of
   * the operator's currency (CONVERSION_PRICE_TABLE); empty: costs stay unknown (null).
   */
  priceMicros: Record<string, number>;
}

/** Fair client-webhook dispatch: concurrency caps and the per-endpoint circuit breaker. */
export interface WebhookDispatchConfig {
  /** Deliveries in flight per instance, all apps together. */
  maxInFlight: number;
  /** Deliveries in flight per instance for one app (a hanging endpoint holds at most this many). */
  maxInFlightPerApp: number;
  /** Consecutive failed attempts (errors, non-2xx, timeouts) that park an endpoint. */
  breakerFailures: number;
  /** First cool-down of a parked endpoint; doubles after every failed probe. */
  breakerCooldownMs: number;
  /** Longest cool-down. */
  breakerMaxCooldownMs: number;
}

export interface AppConfig {
  nodeEnv: string;
  isProduction: boolean;
  port: number;
  host: string;
  dataDir: string;
  database: DatabaseConfig;
  redisUrl: string | null;
  /** Prefix of every key this service writes to Redis (several deployments can share one Redis). */
  redisKeyPrefix: string;
  adminApiKey: string;
  /** True when the admin key was generated by this start (then printed once). */
  adminApiKeyGenerated: boolean;
  /** Where the admin key comes from: the environment, or (development) the dev-secrets.json file. */
  adminApiKeySource: 'environment' | 'dev-secrets';
  /** Bearer token for GET /metrics; null when /metrics is open. */
  metricsToken: string | null;
  /** Adds an `app_id` label to the verification series of /metrics (one series per app: keep apps few). */
  metricsAppLabel: boolean;
  whatsappProvider: WhatsappProviderName;
  smsProvider: SmsProviderName;
  whatsappBusinessNumber: string;
  meta: MetaConfig;
  twilio: TwilioConfig;
  webhookRetryScheduleMs: number[];
  webhookTimeoutMs: number;
  webhookDispatchIntervalMs: number;
  webhookDispatch: WebhookDispatchConfig;
  otpHasher: OtpHasherName;
  otpPepper: string;
  otpHashCost: number;
  auditRetentionDays: number;
  expirySweepIntervalMs: number;
  inboundRetryIntervalMs: number;
  /** How often due delivery steps (workflow timeouts, throttled retries) are looked for. */
  deliveryStepIntervalMs: number;
  /**
   * How long an instance reuses an API key look-up (0: never). Revocation is immediate on the
   * instance that revokes; on other instances and after the CLI it takes effect within this time.
   */
  apiKeyCacheTtlMs: number;
  /** Development only: the API key of the default app created on first start (kept in the data folder). */
  developmentAppApiKey: string | null;
  /** Apply pending migrations at start-up (turn off on all but one instance, or run `npm run migration:run`). */
  runMigrations: boolean;
  /**
   * Start this instance's background work (client-webhook dispatch, inbox retries, expiry sweep,
   * purges). Always true for the service; the CLI turns it off so a one-shot command never
   * dispatches, sweeps or purges.
   */
  backgroundJobs: boolean;
  rateLimits: RateLimitConfig;
  fraud: FraudConfig;
  trustProxy: TrustProxySetting;
  /** pino's level names; LOG_LEVEL also takes Nest's `log` (= info) and `verbose` (= trace). */
  logLevel: LogLevelName;
  /** `json`: one JSON object per line on stdout (default in production); `pretty`: for people. */
  logFormat: LogFormat;
  /** GET /demo (DEMO_ENABLED): on by default outside production. */
  demoEnabled: boolean;
  /** GET /console (CONSOLE_ENABLED): on by default. */
  consoleEnabled: boolean;
  /** One line per suspicious variable (unknown name with our prefixes, or a near miss of a known one). */
  warnings: string[];
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Reads variables and records every name it is asked for: that set IS the list of known variables
 * (see {@link unknownVariableWarnings}), so it cannot drift from what loadConfig reads.
 */
class EnvReader {
  readonly names = new Set<string>();

  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    this.names.add(name);
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name) ?? fallback;
    if (!allowed.includes(value as T)) {
      throw new ConfigError(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
    }
    return value as T;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got "${value}")`);
    }
    return parsed;
  }

  number(name: string, fallback: number, min: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min) {
      throw new ConfigError(`${name} must be a number of at least ${min} (got "${value}")`);
    }
    return parsed;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(value.toLowerCase())) return true;
    if (['0', 'false', 'no', 'off'].includes(value.toLowerCase())) return false;
    throw new ConfigError(`${name} must be true or false (got "${value}")`);
  }

  duration(name: string, fallback: string): number {
    const value = this.raw(name) ?? fallback;
    const parsed = parseDuration(value);
    if (parsed === null) {
      throw new ConfigError(`${name} must be a duration with a unit, such as 10s (got "${value}")`);
    }
    return parsed;
  }

  url(name: string, fallback: string): string {
    const value = (this.raw(name) ?? fallback).replace(/\/+$/, '');
    try {
      const parsed = new URL(value);
      if (!['http:', 'https:'].includes(parsed.protocol)) throw new Error('protocol');
    } catch {
      throw new ConfigError(`${name} must be an http(s) URL (got "${value}")`);
    }
    return value;
  }
}

export function parseDatabaseUrl(
  value: string,
  poolSize = DEFAULT_DATABASE_POOL_SIZE,
): DatabaseConfig {
  if (value.startsWith('sqlite:')) {
    const file = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!file)
      throw new ConfigError(
        'DATABASE_URL sqlite: needs a file path, e.g. sqlite:./data/wa-verify.sqlite',
      );
    return { type: 'sqlite', file: file === ':memory:' ? file : resolve(file) };
  }
  if (value.startsWith('mysql://') || value.startsWith('mariadb://')) {
    let parsed: URL;
    try {
      parsed = new URL(value.replace(/^mariadb:/, 'mysql:'));
    } catch {
      throw new ConfigError('DATABASE_URL is not a valid mysql:// URL');
    }
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    if (!database)
      throw new ConfigError(
        'DATABASE_URL must name a database, e.g. mysql://user:pass@host:3306/wa_verify',
      );
    return {
      type: 'mysql',
      url: value.replace(/^mariadb:/, 'mysql:'),
      host: parsed.hostname,
      port: parsed.port ? Number(parsed.port) : 3306,
      database,
      poolSize,
    };
  }
  throw new ConfigError('DATABASE_URL must start with sqlite: or mysql:// (MariaDB too)');
}

/** Names Fastify's proxy-addr accepts besides addresses and CIDRs. */
const PROXY_ADDR_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * TRUST_PROXY: `false` (default), a hop count (`1`), or a comma list of addresses/CIDRs
 * (`10.0.0.0/8,127.0.0.1`). `true` trusts every peer (any client can then choose its own IP):
 * accepted in development only.
 */
export function parseTrustProxy(value: string | undefined): TrustProxySetting {
  if (value === undefined) return false;
  const lower = value.toLowerCase();
  if (['false', 'no', 'off', '0'].includes(lower)) return false;
  if (['true', 'yes', 'on'].includes(lower)) return true;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > 100)
      throw new ConfigError(`TRUST_PROXY hop count must be at most 100 (got "${value}")`);
    return hops;
  }
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  for (const item of items) {
    if (PROXY_ADDR_NAMES.includes(item.toLowerCase())) continue;
    const valid = item.includes('/') ? ipaddr.isValidCIDR(item) : ipaddr.isValid(item);
    if (!valid) {
      throw new ConfigError(
        `TRUST_PROXY must be false, a hop count such as 1, or a comma list of addresses/CIDRs such as 10.0.0.0/8,127.0.0.1 (got "${item}")`,
      );
    }
  }
  if (items.length === 0) return false;
  return items.map((item) =>
    PROXY_ADDR_NAMES.includes(item.toLowerCase()) ? item.toLowerCase() : item,
  );
}

/** Values from the README, .env.example and common habits that must never guard a production service. */
const PLACEHOLDER_WORDS = [
  'changeme',
  'change-me',
  'change_me',
  'replaceme',
  'replace-me',
  'replace_me',
  'placeholder',
  'example',
  'password',
  'secret',
  'your-',
  'your_',
  'yourkey',
  'test-admin-key',
  'test-pepper',
  'ci-admin-key',
  'ci-pepper',
  '0123456789',
  'abcdefghij',
  'qwerty',
];

/** Why a production secret is refused, or null when it is acceptable. */
export function weakSecretReason(value: string): string | null {
  if (value.length < 32) return `must be at least 32 characters (got ${value.length})`;
  const lower = value.toLowerCase();
  const word = PLACEHOLDER_WORDS.find((candidate) => lower.includes(candidate));
  if (word)
    return `looks like a placeholder (contains "${word}"); generate one with: openssl rand -base64 32`;
  if (new Set(value).size < 8)
    return 'has too few distinct characters; generate one with: openssl rand -base64 32';
  return null;
}

/** Prefixes that belong to this service: an unknown name with one of them is almost surely a typo. */
const OWN_PREFIXES = [
  'WA_',
  'META_',
  'TWILIO_',
  'OTP_',
  'WEBHOOK_',
  'RATE_LIMIT_',
  'CONVERSION_',
  'DELIVERY_',
];
/** Near misses are only looked for against names this long (so HOME is never "did you mean HOST?"). */
const NEAR_MISS_MIN_LENGTH = 8;
const NEAR_MISS_MAX_DISTANCE = 2;

/**
 * One warning line per variable that looks meant for this service but is not read by it: an unknown
 * name with one of our prefixes, or a name within Levenshtein distance 2 of a known one
 * (`WHATSAP_PROVIDER`). The service still starts; the line says which known name was probably meant.
 */
export function unknownVariableWarnings(env: Env, known: ReadonlySet<string>): string[] {
  const warnings: string[] = [];
  const candidates = [...known];
  for (const name of Object.keys(env).sort()) {
    if (known.has(name) || !/^[A-Z][A-Z0-9_]*$/.test(name)) continue;
    let best: string | null = null;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (const candidate of candidates) {
      const d = levenshtein(name, candidate);
      if (d < bestDistance) {
        best = candidate;
        bestDistance = d;
      }
    }
    const ownPrefix = OWN_PREFIXES.some((prefix) => name.startsWith(prefix));
    const nearMiss =
      best !== null &&
      bestDistance <= NEAR_MISS_MAX_DISTANCE &&
      best.length >= NEAR_MISS_MIN_LENGTH &&
      name.length >= NEAR_MISS_MIN_LENGTH;
    if (!ownPrefix && !nearMiss) continue;
    const hint =
      best !== null && bestDistance <= Math.max(3, Math.floor(best.length / 3))
        ? ` (did you mean ${best}?)`
        : '';
    warnings.push(`unknown variable ${name} is ignored${hint}`);
  }
  return warnings;
}

const E164 = /^\+[1-9]\d{6,14}$/;

interface DevSecrets {
  adminApiKey?: string;
  otpPepper?: string;
  defaultAppApiKey?: string;
}

const DEV_SECRET_FACTORIES: Record<keyof DevSecrets, () => string> = {
  adminApiKey: () => `wav_admin_${randomBytes(24).toString('base64url')}`,
  otpPepper: () => randomBytes(32).toString('base64url'),
  defaultAppApiKey: () => `wav_dev_${randomBytes(24).toString('base64url')}`,
};

/** Development only: secrets that were not configured are generated once and kept in the data folder. */
function loadDevSecrets(
  dataDir: string,
  needed: (keyof DevSecrets)[],
): { secrets: DevSecrets; generated: Set<keyof DevSecrets> } {
  const file = join(dataDir, 'dev-secrets.json');
  let secrets: DevSecrets = {};
  if (existsSync(file)) {
    try {
      secrets = JSON.parse(readFileSync(file, 'utf8')) as DevSecrets;
    } catch {
      throw new ConfigError(
        `${file} is not valid JSON; delete it to generate new development secrets`,
      );
    }
  }
  const generated = new Set<keyof DevSecrets>();
  for (const name of needed) {
    if (!secrets[name]) {
      secrets[name] = DEV_SECRET_FACTORIES[name]();
      generated.add(name);
    }
  }
  if (generated.size > 0) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return { secrets, generated };
}

export function loadConfig(env: Env = process.env): AppConfig {
  const read = new EnvReader(env);
  const nodeEnv = read.string('NODE_ENV', 'development');
  // Fail closed: anything that is not explicitly development or test (staging, prod, a typo) is production.
  const isProduction = !['development', 'test'].includes(nodeEnv);

  const database = parseDatabaseUrl(
    read.string('DATABASE_URL', 'sqlite:./data/wa-verify.sqlite'),
    read.int('DATABASE_POOL_SIZE', DEFAULT_DATABASE_POOL_SIZE, 2, 1000),
  );
  const dataDir = resolve(
    read.raw('DATA_DIR') ??
      (database.type === 'sqlite' && database.file !== ':memory:'
        ? dirname(database.file)
        : './data'),
  );

  let adminApiKey = read.raw('ADMIN_API_KEY');
  let otpPepper = read.raw('OTP_PEPPER');
  const metricsToken = read.raw('METRICS_TOKEN') ?? null;
  const adminApiKeySource = adminApiKey ? 'environment' : 'dev-secrets';
  let adminApiKeyGenerated = false;
  let developmentAppApiKey: string | null = null;
  const createDefaultApp = read.bool('CREATE_DEFAULT_APP', !isProduction) && !isProduction;
  if (isProduction) {
    if (!adminApiKey) throw new ConfigError(`ADMIN_API_KEY is required when NODE_ENV=${nodeEnv}`);
    if (!otpPepper) throw new ConfigError(`OTP_PEPPER is required when NODE_ENV=${nodeEnv}`);
    for (const [name, value] of [
      ['ADMIN_API_KEY', adminApiKey],
      ['OTP_PEPPER', otpPepper],
      ['METRICS_TOKEN', metricsToken],
    ] as const) {
      const reason = value === null ? null : weakSecretReason(value);
      if (reason) throw new ConfigError(`${name} ${reason} (NODE_ENV=${nodeEnv})`);
    }
  } else if (!adminApiKey || !otpPepper || createDefaultApp) {
    const needed: (keyof DevSecrets)[] = [];
    if (!adminApiKey) needed.push('adminApiKey');
    if (!otpPepper) needed.push('otpPepper');
    if (createDefaultApp) needed.push('defaultAppApiKey');
    const { secrets, generated } = loadDevSecrets(dataDir, needed);
    adminApiKey = adminApiKey ?? secrets.adminApiKey;
    otpPepper = otpPepper ?? secrets.otpPepper;
    adminApiKeyGenerated = generated.has('adminApiKey');
    developmentAppApiKey = createDefaultApp ? secrets.defaultAppApiKey! : null;
  }
  if (adminApiKey!.length < 16)
    throw new ConfigError('ADMIN_API_KEY must be at least 16 characters');
  if (otpPepper!.length < 16) throw new ConfigError('OTP_PEPPER must be at least 16 characters');

  const whatsappBusinessNumber =
    read.raw('WHATSAPP_BUSINESS_NUMBER') ?? (isProduction ? undefined : '+15550001111');
  if (!whatsappBusinessNumber)
    throw new ConfigError(`WHATSAPP_BUSINESS_NUMBER is required when NODE_ENV=${nodeEnv}`);
  if (!E164.test(whatsappBusinessNumber)) {
    throw new ConfigError(
      `WHATSAPP_BUSINESS_NUMBER must be E.164, e.g. +15550001111 (got "${whatsappBusinessNumber}")`,
    );
  }

  if (isProduction && !read.raw('WHATSAPP_PROVIDER'))
    throw new ConfigError(
      `WHATSAPP_PROVIDER is required when NODE_ENV=${nodeEnv}: meta or twilio (the sandbox sends nothing)`,
    );
  const whatsappProvider = read.oneOf<WhatsappProviderName>(
    'WHATSAPP_PROVIDER',
    ['sandbox', 'meta', 'twilio'],
    'sandbox',
  );
  const smsProvider = read.oneOf<SmsProviderName>(
    'SMS_PROVIDER',
    ['sandbox', 'twilio', 'none'],
    isProduction ? 'none' : 'sandbox',
  );
  if (isProduction) {
    for (const [name, value] of [
      ['WHATSAPP_PROVIDER', whatsappProvider],
      ['SMS_PROVIDER', smsProvider],
    ] as const) {
      if (value === 'sandbox')
        throw new ConfigError(
          `${name}=sandbox is refused when NODE_ENV=${nodeEnv} (it delivers nothing and exposes codes)`,
        );
    }
  }

  const meta: MetaConfig = {
    apiBaseUrl: read.url('META_API_BASE_URL', 'https://graph.facebook.com'),
    apiVersion: read.string('META_API_VERSION', 'v21.0'),
    accessToken: read.string('META_ACCESS_TOKEN', ''),
    phoneNumberId: read.string('META_PHONE_NUMBER_ID', ''),
    appSecret: read.string('META_APP_SECRET', ''),
    verifyToken: read.string('META_VERIFY_TOKEN', ''),
    otpTemplate: read.string('META_OTP_TEMPLATE', 'otp_code'),
    timeoutMs: outboundTimeout(read.duration('META_TIMEOUT', '10s'), 'META_TIMEOUT'),
    wabaId: parseWabaId(read.raw('META_WABA_ID')),
    templateLanguages: parseTemplateLanguages(read.raw('META_TEMPLATE_LANGUAGES')),
    otpButton: read.oneOf<MetaOtpButton>('META_OTP_BUTTON', META_OTP_BUTTONS, 'copy_code'),
    androidApps: parseAndroidApps(read.raw('META_ANDROID_APPS')),
  };
  if (meta.otpButton !== 'copy_code' && meta.androidApps.length === 0)
    throw new ConfigError(
      `META_ANDROID_APPS is required when META_OTP_BUTTON=${meta.otpButton}: package:signatureHash of the app the button hands the code to (com.example.app:K8a/AINcGX7)`,
    );
  if (whatsappProvider === 'meta') {
    for (const [name, value] of [
      ['META_ACCESS_TOKEN', meta.accessToken],
      ['META_PHONE_NUMBER_ID', meta.phoneNumberId],
      ['META_APP_SECRET', meta.appSecret],
      ['META_VERIFY_TOKEN', meta.verifyToken],
    ] as const) {
      if (!value) throw new ConfigError(`${name} is required when WHATSAPP_PROVIDER=meta`);
    }
  }

  // 0 asks the system for a free port (tests, tools).
  const port = read.int('PORT', 3000, 0, 65535);
  const publicBaseUrlSet = read.raw('PUBLIC_BASE_URL') !== undefined;
  const publicBaseUrl = read.url('PUBLIC_BASE_URL', `http://localhost:${port}`);
  const twilio: TwilioConfig = {
    apiBaseUrl: read.url('TWILIO_API_BASE_URL', 'https://api.twilio.com'),
    accountSid: read.string('TWILIO_ACCOUNT_SID', ''),
    authToken: read.string('TWILIO_AUTH_TOKEN', ''),
    smsFrom: read.string('TWILIO_SMS_FROM', ''),
    whatsappFrom: read.string('TWILIO_WHATSAPP_FROM', ''),
    webhookUrl: read.url('TWILIO_WEBHOOK_URL', `${publicBaseUrl}/v1/webhooks/twilio`),
    timeoutMs: outboundTimeout(read.duration('TWILIO_TIMEOUT', '10s'), 'TWILIO_TIMEOUT'),
  };
  const needsTwilio = whatsappProvider === 'twilio' || smsProvider === 'twilio';
  if (needsTwilio) {
    for (const [name, value] of [
      ['TWILIO_ACCOUNT_SID', twilio.accountSid],
      ['TWILIO_AUTH_TOKEN', twilio.authToken],
    ] as const) {
      if (!value) throw new ConfigError(`${name} is required when a Twilio provider is selected`);
    }
    if (smsProvider === 'twilio' && !twilio.smsFrom)
      throw new ConfigError('TWILIO_SMS_FROM is required when SMS_PROVIDER=twilio');
    if (whatsappProvider === 'twilio' && !twilio.whatsappFrom) {
      throw new ConfigError('TWILIO_WHATSAPP_FROM is required when WHATSAPP_PROVIDER=twilio');
    }
    if (isProduction && !publicBaseUrlSet)
      throw new ConfigError(
        `PUBLIC_BASE_URL is required when Twilio is used and NODE_ENV=${nodeEnv} (Twilio signs its webhooks over the public URL)`,
      );
  }

  const scheduleText = read.string('WEBHOOK_RETRY_SCHEDULE', '5s,30s,2m,10m,30m,1h,3h,6h,12h');
  const webhookRetryScheduleMs = parseDurationList(scheduleText);
  if (!webhookRetryScheduleMs) {
    throw new ConfigError(
      `WEBHOOK_RETRY_SCHEDULE must be comma-separated durations with a unit, such as 5s,30s,2m (got "${scheduleText}")`,
    );
  }

  const redisUrl = read.raw('REDIS_URL') ?? null;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl))
    throw new ConfigError('REDIS_URL must start with redis:// or rediss://');

  const trustProxy = parseTrustProxy(read.raw('TRUST_PROXY'));
  if (isProduction && trustProxy === true)
    throw new ConfigError(
      `TRUST_PROXY=true is refused when NODE_ENV=${nodeEnv} (any client could choose its IP); give the hop count (1) or the proxy addresses (10.0.0.0/8)`,
    );

  const config: AppConfig = {
    nodeEnv,
    isProduction,
    port,
    host: read.string('HOST', '0.0.0.0'),
    dataDir,
    database,
    redisUrl,
    redisKeyPrefix: read.string('REDIS_KEY_PREFIX', 'wa-verify:'),
    adminApiKey: adminApiKey!,
    adminApiKeyGenerated,
    adminApiKeySource,
    metricsToken,
    metricsAppLabel: read.bool('METRICS_APP_LABEL', false),
    demoEnabled: read.bool('DEMO_ENABLED', !isProduction),
    consoleEnabled: read.bool('CONSOLE_ENABLED', true),
    whatsappProvider,
    smsProvider,
    whatsappBusinessNumber,
    meta,
    twilio,
    webhookRetryScheduleMs,
    webhookTimeoutMs: outboundTimeout(read.duration('WEBHOOK_TIMEOUT', '10s'), 'WEBHOOK_TIMEOUT'),
    webhookDispatchIntervalMs: read.duration('WEBHOOK_DISPATCH_INTERVAL', '1s'),
    webhookDispatch: {
      maxInFlight: read.int('WEBHOOK_MAX_IN_FLIGHT', 32, 1, 1000),
      maxInFlightPerApp: read.int('WEBHOOK_MAX_IN_FLIGHT_PER_APP', 4, 1, 1000),
      breakerFailures: read.int('WEBHOOK_BREAKER_FAILURES', 5, 1, 1000),
      breakerCooldownMs: read.duration('WEBHOOK_BREAKER_COOLDOWN', '30s'),
      breakerMaxCooldownMs: read.duration('WEBHOOK_BREAKER_MAX_COOLDOWN', '30m'),
    },
    otpHasher: read.oneOf<OtpHasherName>('OTP_HASHER', ['hmac-sha256', 'bcrypt'], 'hmac-sha256'),
    otpPepper: otpPepper!,
    otpHashCost: read.int('OTP_HASH_COST', 10, 4, 15),
    auditRetentionDays: read.int('AUDIT_RETENTION_DAYS', 365, 1, 36500),
    expirySweepIntervalMs: read.duration('EXPIRY_SWEEP_INTERVAL', '30s'),
    inboundRetryIntervalMs: read.duration('INBOUND_RETRY_INTERVAL', '5s'),
    deliveryStepIntervalMs: read.duration('DELIVERY_STEP_INTERVAL', '1s'),
    apiKeyCacheTtlMs: apiKeyCacheTtl(read.duration('API_KEY_CACHE_TTL', '0s')),
    developmentAppApiKey,
    runMigrations: read.bool('RUN_MIGRATIONS', true),
    backgroundJobs: true,
    rateLimits: {
      apiKeyPerMinute: read.int('RATE_LIMIT_API_KEY_PER_MINUTE', 1200, 1, 10_000_000),
      unauthenticatedPerMinute: read.int(
        'RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE',
        60,
        1,
        10_000_000,
      ),
      phonePer15Minutes: read.int('RATE_LIMIT_PHONE_PER_15_MINUTES', 5, 1, 1_000_000),
      phonePerDay: read.int('RATE_LIMIT_PHONE_PER_DAY', 20, 1, 1_000_000),
      inboundSenderPerMinute: read.int('RATE_LIMIT_INBOUND_SENDER_PER_MINUTE', 10, 1, 1_000_000),
      demoPerMinute: read.int('RATE_LIMIT_DEMO_PER_MINUTE', 120, 1, 1_000_000),
      demoSendsPerMinute: read.int('RATE_LIMIT_DEMO_SENDS_PER_MINUTE', 10, 1, 1_000_000),
    },
    fraud: {
      velocityGuardEnabled: read.bool('VELOCITY_GUARD_ENABLED', true),
      velocityMultiplier: read.number('VELOCITY_MULTIPLIER', 10, 1),
      velocityFloorPerHour: read.int('VELOCITY_FLOOR_PER_HOUR', 100, 100, 100_000_000),
      velocityBlockMs: read.duration('VELOCITY_BLOCK_DURATION', '1h'),
      conversion: {
        mode: read.oneOf('CONVERSION_GUARD', ['off', 'shadow', 'enforce'] as const, 'shadow'),
        windowMs: read.duration('CONVERSION_GUARD_WINDOW', '1h'),
        minVolume: read.int('CONVERSION_GUARD_MIN_VOLUME', 50, 1, 1_000_000),
        minRate: fraction(read, 'CONVERSION_GUARD_MIN_RATE', 0.2),
        blockMs: read.duration('CONVERSION_GUARD_BLOCK_DURATION', '1h'),
        evaluateIntervalMs: read.duration('CONVERSION_GUARD_EVALUATE_INTERVAL', '5s'),
        priceMicros: parsePriceTable(read.raw('CONVERSION_PRICE_TABLE')),
      },
    },
    trustProxy,
    logLevel: parseLogLevel(read.raw('LOG_LEVEL')),
    logFormat: read.oneOf<LogFormat>(
      'LOG_FORMAT',
      ['json', 'pretty'],
      isProduction ? 'json' : 'pretty',
    ),
    warnings: [],
  };
  // Last, once every variable has been read: the reader's names are the known variables.
  config.warnings = unknownVariableWarnings(env, read.names);
  return config;
}

/** LOG_LEVEL: pino's names (case-insensitive), plus `log` (= info) and `verbose` (= trace). */
export function parseLogLevel(value: string | undefined): LogLevelName {
  if (value === undefined) return 'info';
  const lower = value.toLowerCase();
  const level = LOG_LEVEL_ALIASES[lower] ?? lower;
  if (!(LOG_LEVEL_NAMES as readonly string[]).includes(level))
    throw new ConfigError(
      `LOG_LEVEL must be one of ${LOG_LEVEL_NAMES.join(', ')} (got "${value}")`,
    );
  return level as LogLevelName;
}

/**
 * An outbound HTTP timeout, capped at {@link MAX_OUTBOUND_TIMEOUT_MS}: the leases and stale windows
 * that fence work doing such calls are derived from the cap (src/config/timeouts.ts).
 */
/**
 * `ID=0.0294,IT=0.0572,*=0.05` → micro-units per country (`*`: every other country). Prices are
 * what one billable authentication message costs, in one currency of the operator's choice.
 */
export function parsePriceTable(value: string | undefined): Record<string, number> {
  const table: Record<string, number> = {};
  if (value === undefined) return table;
  for (const entry of value.split(',')) {
    const match = /^\s*([A-Z]{2}|\*)\s*=\s*(\d+(?:\.\d{1,6})?)\s*$/.exec(entry);
    if (!match || match[1] in table)
      throw new ConfigError(
        `CONVERSION_PRICE_TABLE must be a comma list of COUNTRY=price (ISO alpha-2 or *, each once), e.g. ID=0.0294,*=0.05 (got "${entry.trim()}")`,
      );
    table[match[1]] = Math.round(Number(match[2]) * 1_000_000);
  }
  return table;
}

/** META_WABA_ID: the WhatsApp Business Account id (digits). */
export function parseWabaId(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!/^\d{5,25}$/.test(value))
    throw new ConfigError(
      `META_WABA_ID must be the numeric WhatsApp Business Account id (got "${value}")`,
    );
  return value;
}

/**
 * META_TEMPLATE_LANGUAGES: a comma list of Meta template language codes (`en,id,pt_BR`; `pt-BR` is
 * read as `pt_BR`), each once, in order of preference (the first is the last-resort fallback).
 */
export function parseTemplateLanguages(value: string | undefined): string[] {
  if (value === undefined) return ['en'];
  const languages: string[] = [];
  for (const item of value.split(',')) {
    const match = /^\s*([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2,4}))?\s*$/.exec(item);
    if (!match)
      throw new ConfigError(
        `META_TEMPLATE_LANGUAGES must be a comma list of template languages such as en,id,pt_BR (got "${item.trim()}")`,
      );
    const code = match[2]
      ? `${match[1].toLowerCase()}_${match[2].toUpperCase()}`
      : match[1].toLowerCase();
    if (languages.includes(code))
      throw new ConfigError(`META_TEMPLATE_LANGUAGES lists ${code} twice`);
    languages.push(code);
  }
  return languages;
}

const ANDROID_PACKAGE = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$/;
/** Meta's app signature hash: 11 characters of base64 (what the SMS Retriever's AppSignatureHelper prints). */
const SIGNATURE_HASH = /^[A-Za-z0-9+/]{11}$/;
/** Meta accepts at most 5 supported apps per OTP button. */
const MAX_ANDROID_APPS = 5;

/** META_ANDROID_APPS: `com.example.app:K8a/AINcGX7`, comma-separated, at most 5. */
export function parseAndroidApps(value: string | undefined): AndroidApp[] {
  if (value === undefined) return [];
  const apps: AndroidApp[] = [];
  for (const item of value.split(',')) {
    const [packageName, signatureHash, ...rest] = item.trim().split(':');
    if (
      rest.length > 0 ||
      !packageName ||
      !ANDROID_PACKAGE.test(packageName) ||
      !signatureHash ||
      !SIGNATURE_HASH.test(signatureHash)
    )
      throw new ConfigError(
        `META_ANDROID_APPS must be a comma list of package:signatureHash with an 11-character hash, such as com.example.app:K8a/AINcGX7 (got "${item.trim()}")`,
      );
    apps.push({ packageName, signatureHash });
  }
  if (apps.length > MAX_ANDROID_APPS)
    throw new ConfigError(
      `META_ANDROID_APPS lists ${apps.length} apps; Meta accepts at most ${MAX_ANDROID_APPS}`,
    );
  return apps;
}

/** A share from 0 to 1 (`0.2`). */
function fraction(read: EnvReader, name: string, fallback: number): number {
  const value = read.number(name, fallback, 0);
  if (value > 1) throw new ConfigError(`${name} must be a number from 0 to 1 (got "${value}")`);
  return value;
}

function outboundTimeout(ms: number, name: string): number {
  if (ms < 1 || ms > MAX_OUTBOUND_TIMEOUT_MS) {
    throw new ConfigError(
      `${name} must be from 1ms to ${MAX_OUTBOUND_TIMEOUT_MS / 1000}s (got ${ms}ms): leases across instances are derived from that maximum`,
    );
  }
  return ms;
}

/** A revoked key may still work this long on other instances: keep it short. */
const API_KEY_CACHE_TTL_MAX_MS = 60_000;

function apiKeyCacheTtl(ms: number): number {
  if (ms > API_KEY_CACHE_TTL_MAX_MS)
    throw new ConfigError('API_KEY_CACHE_TTL must be at most 60s (a revoked key works that long)');
  return ms;
}
