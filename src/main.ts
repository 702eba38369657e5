import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './bootstrap';
import { ConfigError, loadConfig } from './config/app-config';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`wa-verify: invalid configuration: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp(config);
  await app.listen(config.port, config.host);
  const logger = new Logger('wa-verify');
  const base = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`;
  logger.log(
    `Listening on ${base} (database: ${config.database.type}, whatsapp: ${config.whatsappProvider}, sms: ${config.smsProvider})`,
  );
  logger.log(`Swagger UI: ${base}/docs`);
  if (!config.isProduction) {
    // Development conveniences: these keys only exist on a development machine (data/dev-secrets.json).
    if (config.developmentAppApiKey)
      logger.log(`Development app API key: ${config.developmentAppApiKey}`);
    if (config.adminApiKeyGenerated)
      logger.log(
        `Generated development ADMIN_API_KEY (shown once, kept in ${config.dataDir}/dev-secrets.json): ${config.adminApiKey}`,
      );
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(
    `wa-verify: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
