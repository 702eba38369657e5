import { LogLevel, ValidationError, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { AppsService } from './apps/apps.service';
import { DomainException, ErrorCode, ErrorDetail } from './common/errors';
import { AppConfig } from './config/app-config';
import { buildOpenApiDocument } from './openapi/openapi';

const BODY_LIMIT_BYTES = 100 * 1024;

const LOG_LEVELS: Record<AppConfig['logLevel'], LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/** Builds the HTTP application (used by main.ts and by the e2e suites, so both run the same app). */
export async function createApp(
  config: AppConfig,
  options: { logger?: boolean } = {},
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: config.trustProxy,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    rawBody: true,
    logger: options.logger === false ? false : LOG_LEVELS[config.logLevel],
    abortOnError: false,
  });
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) =>
        new DomainException(ErrorCode.VALIDATION_FAILED, 'Request validation failed', {
          details: flattenValidationErrors(errors),
        }),
    }),
  );
  app.enableShutdownHooks();
  setupSwagger(app);
  await app.init();
  if (config.developmentAppApiKey)
    await app.get(AppsService).ensureDevelopmentApp(config.developmentAppApiKey);
  return app;
}

function setupSwagger(app: NestFastifyApplication): void {
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}

function flattenValidationErrors(errors: ValidationError[], parent = ''): ErrorDetail[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      error.constraints?.whitelistValidation === message
        ? { field, message: `${field} is not a known field` }
        : { field, message },
    );
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}
