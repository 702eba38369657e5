import { existsSync } from 'node:fs';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { App } from '../apps/entities/app.entity';
import { AppConfig, ConfigError, DatabaseConfig, loadConfig } from '../config/app-config';
import { checkDatabase, DatabaseUnavailableError } from '../database/database-check';
import { dataSourceOptions } from '../database/data-source-options';
import { pendingMigrationNames } from '../database/migrations-runner';
import { SystemHostResolver } from '../webhooks/host-resolver';
import { WebhookUrlPolicy } from '../webhooks/webhook-url.policy';

/** Every check that talks to something gives up after this long. */
export const DOCTOR_TIMEOUT_MS = 5_000;

export type CheckStatus = 'ok' | 'FAIL' | 'SKIP';

export interface CheckLine {
  status: CheckStatus;
  name: string;
  detail: string;
}

/** `ok    database  mysql 127.0.0.1:3306/wa_verify`: status, name, what was checked or why it failed. */
export function formatCheck({ status, name, detail }: CheckLine): string {
  return `${status.padEnd(6)}${name}  ${detail}`;
}

/**
 * `wa-verify doctor`: what to run first when something does not work. Checks, in order, the
 * configuration, the database (connect and `SELECT 1`), pending migrations, Redis (when
 * configured), the provider credentials (one harmless read call each) and the client-webhook URLs
 * against the SSRF policy of this environment (no request is sent to them). Prints one line per
 * check as it completes, never a secret; resolves with true only when every check passed.
 */
export async function runDoctor(
  env: NodeJS.ProcessEnv,
  print: (line: string) => void,
): Promise<boolean> {
  let allOk = true;
  const report = (line: CheckLine): void => {
    if (line.status !== 'ok') allOk = false;
    print(formatCheck(line));
  };

  let config: AppConfig;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    report({ status: 'FAIL', name: 'config', detail: error.message });
    return false;
  }
  report(configLine(config));

  const database = await openDatabase(config.database);
  report(database.line);
  const migrations = database.dataSource
    ? await migrationsLine(database.dataSource)
    : ({ status: 'SKIP', name: 'migrations', detail: 'not checked: no database' } as const);
  report(migrations);
  report(await redisLine(config));
  for (const line of await providerLines(config)) report(line);
  if (database.dataSource && migrations.status === 'ok') {
    report(await webhookUrlsLine(config, database.dataSource));
  } else {
    const why = database.dataSource ? 'the schema is not up to date' : 'no database';
    report({ status: 'SKIP', name: 'webhooks', detail: `not checked: ${why}` });
  }
  await database.dataSource?.destroy().catch(() => undefined);
  return allOk;
}

function configLine(config: AppConfig): CheckLine {
  const summary = `NODE_ENV=${config.nodeEnv}, whatsapp ${config.whatsappProvider}, sms ${config.smsProvider}`;
  if (config.warnings.length === 0) return { status: 'ok', name: 'config', detail: summary };
  return {
    status: 'ok',
    name: 'config',
    detail: `${summary}; ${config.warnings.length} warning(s): ${config.warnings.join('; ')}`,
  };
}

function describeDatabase(database: DatabaseConfig): string {
  return database.type === 'sqlite'
    ? `sqlite ${database.file}`
    : `mysql ${database.host}:${database.port}/${database.database}`;
}

async function openDatabase(
  database: DatabaseConfig,
): Promise<{ line: CheckLine; dataSource: DataSource | null }> {
  const where = describeDatabase(database);
  const fail = (detail: string) => ({
    line: { status: 'FAIL' as const, name: 'database', detail },
    dataSource: null,
  });
  if (database.type === 'sqlite' && database.file !== ':memory:' && !existsSync(database.file))
    return fail(`${where} does not exist yet; run: wa-verify migrate`);
  try {
    await checkDatabase(database);
  } catch (error) {
    if (error instanceof DatabaseUnavailableError) return fail(error.message);
    throw error;
  }
  const dataSource = new DataSource(dataSourceOptions(database));
  try {
    await withTimeout(
      (async () => {
        await dataSource.initialize();
        await dataSource.query('SELECT 1');
      })(),
      'the database',
    );
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    return fail(`${where}: ${reasonOf(error)}`);
  }
  return { line: { status: 'ok', name: 'database', detail: where }, dataSource };
}

async function migrationsLine(dataSource: DataSource): Promise<CheckLine> {
  try {
    const pending = await withTimeout(pendingMigrationNames(dataSource), 'the database');
    if (pending.length === 0) return { status: 'ok', name: 'migrations', detail: 'none pending' };
    return {
      status: 'FAIL',
      name: 'migrations',
      detail: `${pending.length} pending (${pending.join(', ')}); run: wa-verify migrate`,
    };
  } catch (error) {
    return { status: 'FAIL', name: 'migrations', detail: reasonOf(error) };
  }
}

async function redisLine(config: AppConfig): Promise<CheckLine> {
  if (!config.redisUrl)
    return {
      status: 'ok',
      name: 'redis',
      detail: 'not configured (rate limits are counted per instance)',
    };
  const url = new URL(config.redisUrl);
  const where = `${url.hostname}:${url.port || '6379'}`;
  const client = new Redis(config.redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: DOCTOR_TIMEOUT_MS,
    commandTimeout: DOCTOR_TIMEOUT_MS,
    retryStrategy: () => null,
  });
  // The socket's own error ("connect ECONNREFUSED …") says more than the rejection of connect()
  // ("Connection is closed."); without a listener ioredis would also print it.
  let socketError: Error | null = null;
  client.on('error', (error: Error) => {
    socketError ??= error;
  });
  try {
    await client.connect();
    const answer = await client.ping();
    if (answer !== 'PONG')
      return { status: 'FAIL', name: 'redis', detail: `${where} answered ${answer}` };
    return { status: 'ok', name: 'redis', detail: where };
  } catch (error) {
    return { status: 'FAIL', name: 'redis', detail: reasonOf(socketError ?? error) };
  } finally {
    client.disconnect();
  }
}

/** One line per channel; one read call per vendor account (Twilio serving both channels is checked once). */
async function providerLines(config: AppConfig): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  let twilio: Promise<string | null> | null = null;
  const checkTwilioOnce = (): Promise<string | null> => (twilio ??= checkTwilio(config));
  const line = async (
    name: string,
    provider: string,
    check: () => Promise<string | null>,
  ): Promise<CheckLine> => {
    try {
      const detail = await check();
      return { status: 'ok', name, detail: `${provider}: ${detail}` };
    } catch (error) {
      return { status: 'FAIL', name, detail: `${provider}: ${reasonOf(error)}` };
    }
  };
  if (config.whatsappProvider === 'sandbox')
    lines.push({ status: 'ok', name: 'whatsapp', detail: 'sandbox, nothing to check' });
  else if (config.whatsappProvider === 'meta')
    lines.push(await line('whatsapp', 'meta', () => checkMeta(config)));
  else lines.push(await line('whatsapp', 'twilio', checkTwilioOnce));
  if (config.smsProvider === 'sandbox')
    lines.push({ status: 'ok', name: 'sms', detail: 'sandbox, nothing to check' });
  else if (config.smsProvider === 'none')
    lines.push({ status: 'ok', name: 'sms', detail: 'none (no SMS fallback)' });
  else lines.push(await line('sms', 'twilio', checkTwilioOnce));
  return lines;
}

/** `GET /{version}/{phone-number-id}?fields=display_phone_number`: reads the number the token sends from. */
async function checkMeta(config: AppConfig): Promise<string> {
  const { apiBaseUrl, apiVersion, phoneNumberId, accessToken } = config.meta;
  const url = `${apiBaseUrl}/${apiVersion}/${encodeURIComponent(phoneNumberId)}?fields=display_phone_number`;
  const { status, body } = await getJson(url, { authorization: `Bearer ${accessToken}` }, [
    accessToken,
  ]);
  if (status !== 200) {
    const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const said =
      error && typeof error.message === 'string'
        ? ` (${typeof error.code === 'number' ? `code ${error.code}: ` : ''}${error.message})`
        : '';
    throw new Error(redact(`Graph API answered HTTP ${status}${said}`, [accessToken]));
  }
  const display = (body as { display_phone_number?: unknown } | null)?.display_phone_number;
  return `phone number id ${phoneNumberId}${typeof display === 'string' ? ` (${display})` : ''}`;
}

/** `GET /2010-04-01/Accounts/{sid}.json` with basic auth: reads the account the credentials belong to. */
async function checkTwilio(config: AppConfig): Promise<string> {
  const { apiBaseUrl, accountSid, authToken } = config.twilio;
  const url = `${apiBaseUrl}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}.json`;
  const basic = Buffer.from(`${accountSid}:${authToken}`).toString('base64');
  const { status, body } = await getJson(url, { authorization: `Basic ${basic}` }, [
    authToken,
    basic,
  ]);
  const fields = body as { message?: unknown; code?: unknown; status?: unknown } | null;
  if (status !== 200) {
    const said =
      typeof fields?.message === 'string'
        ? ` (${typeof fields.code === 'number' ? `code ${fields.code}: ` : ''}${fields.message})`
        : '';
    throw new Error(redact(`Twilio answered HTTP ${status}${said}`, [authToken, basic]));
  }
  const state = typeof fields?.status === 'string' ? fields.status : 'unknown';
  return `account ${maskSid(accountSid)} (${state})`;
}

async function getJson(
  url: string,
  headers: Record<string, string>,
  secrets: string[],
): Promise<{ status: number; body: unknown }> {
  const origin = new URL(url).origin;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json', ...headers },
      signal: AbortSignal.timeout(DOCTOR_TIMEOUT_MS),
      redirect: 'error',
    });
  } catch (error) {
    const name = (error as { name?: unknown } | null)?.name;
    if (name === 'TimeoutError' || name === 'AbortError')
      throw new Error(`no answer from ${origin} within ${DOCTOR_TIMEOUT_MS / 1000}s`);
    const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
    throw new Error(
      redact(`cannot reach ${origin}${typeof code === 'string' ? ` (${code})` : ''}`, secrets),
    );
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  return { status: response.status, body };
}

/**
 * Each app's webhook URL against the policy the dispatcher enforces in this environment
 * (production: https to public addresses only; the host is resolved, nothing is sent). Names the
 * app and the reason, never the URL (it may carry a token).
 */
async function webhookUrlsLine(config: AppConfig, dataSource: DataSource): Promise<CheckLine> {
  let apps: Pick<App, 'id' | 'name' | 'webhookUrl'>[];
  try {
    apps = await withTimeout(
      dataSource
        .getRepository(App)
        .createQueryBuilder('app')
        .select(['app.id', 'app.name', 'app.webhookUrl'])
        .where('app.webhookUrl IS NOT NULL')
        .orderBy('app.createdAt', 'ASC')
        .getMany(),
      'the database',
    );
  } catch (error) {
    return { status: 'FAIL', name: 'webhooks', detail: reasonOf(error) };
  }
  if (apps.length === 0)
    return { status: 'ok', name: 'webhooks', detail: 'no app has a webhook URL' };
  const policy = new WebhookUrlPolicy(config, new SystemHostResolver());
  const refused: string[] = [];
  for (const app of apps) {
    const reason = await withTimeout(policy.check(app.webhookUrl!), 'name resolution').catch(
      (error: unknown) => reasonOf(error),
    );
    if (reason) refused.push(`app ${app.id} (${app.name}): ${reason}`);
  }
  if (refused.length > 0)
    return {
      status: 'FAIL',
      name: 'webhooks',
      detail: `${refused.length} of ${apps.length} webhook URL(s) refused: ${refused.join('; ')}`,
    };
  return {
    status: 'ok',
    name: 'webhooks',
    detail: `${apps.length} webhook URL(s) allowed${config.isProduction ? ' (https, public addresses)' : ''}`,
  };
}

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer from ${what} within ${DOCTOR_TIMEOUT_MS / 1000}s`)),
      DOCTOR_TIMEOUT_MS,
    );
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].slice(0, 300);
}

function redact(text: string, secrets: string[]): string {
  return secrets
    .filter((secret) => secret.length >= 4)
    .reduce((result, secret) => result.split(secret).join('[redacted]'), text);
}

function maskSid(sid: string): string {
  return sid.length > 10 ? `${sid.slice(0, 6)}…${sid.slice(-4)}` : sid;
}
