// First: when tracing is on, its instrumentations must patch http, mysql2 and ioredis before
// anything requires them (nothing of the SDK is loaded when OTEL_EXPORTER_OTLP_ENDPOINT is unset).
import './tracing/register';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { join } from 'node:path';
import { createApp } from './bootstrap';
import { AppConfig, ConfigError, loadConfig } from './config/app-config';
import { loadDotenv } from './config/dotenv';
import { checkDatabase, DatabaseUnavailableError } from './database/database-check';

function exitWith(message: string): never {
  process.stderr.write(`wa-verify: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  loadDotenv();
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) exitWith(`invalid configuration: ${error.message}`);
    throw error;
  }
  // Unknown or misspelt variables are reported, one line each, and the service still starts.
  for (const warning of config.warnings) process.stderr.write(`wa-verify: warning: ${warning}\n`);
  try {
    await checkDatabase(config.database);
  } catch (error) {
    if (error instanceof DatabaseUnavailableError) exitWith(error.message);
    throw error;
  }
  const app = await createApp(config);
  await app.listen(config.port, config.host);
  printBanner(app, config);
}

/** The few lines an operator needs once the service listens (Nest's own start-up lines are at debug level). */
function printBanner(app: NestFastifyApplication, config: AppConfig): void {
  const logger = new Logger('wa-verify');
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = ['0.0.0.0', '::'].includes(config.host) ? 'localhost' : config.host;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.log(
    `Listening on ${base} (database: ${config.database.type}, whatsapp: ${config.whatsappProvider}, sms: ${config.smsProvider})`,
  );
  logger.log(`Swagger UI: ${base}/docs`);
  if (!config.isProduction && config.developmentAppApiKey)
    logger.log(`Development app API key: ${config.developmentAppApiKey}`);
  // The banner's last line: where the admin key is kept.
  if (config.adminApiKeySource === 'environment') {
    logger.log('Admin key: ADMIN_API_KEY from the environment');
  } else {
    // Development only (production requires ADMIN_API_KEY): the generated key lives in the data folder
    // and is printed on the start that generated it only.
    const file = join(config.dataDir, 'dev-secrets.json');
    logger.log(
      config.adminApiKeyGenerated
        ? `Admin key: kept in ${file} (generated now, shown once: ${config.adminApiKey})`
        : `Admin key: kept in ${file}`,
    );
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(
    `wa-verify: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
