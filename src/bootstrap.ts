import { ValidationError, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { AppsService } from './apps/apps.service';
import { applyRouteBodyLimits, DEFAULT_BODY_LIMIT_BYTES } from './common/body-limit';
import { DomainException, ErrorCode, ErrorDetail } from './common/errors';
import {
  answerClientError,
  answerFrameworkError,
  rejectDeeplyNestedBody,
} from './common/request-shape';
import { AppConfig } from './config/app-config';
import { createLogger, Logger } from './logging/logger';
import { PinoNestLogger } from './logging/pino-nest-logger';
import { fastifyLoggingOptions, registerRequestLogging } from './logging/request-logging';
import { buildOpenApiDocument } from './openapi/openapi';
import { shutdownTracing, tracingEnabled } from './tracing/tracing';
import { registerWebAssets } from './web/web-static';

/**
 * Builds the HTTP application (used by main.ts and by the e2e suites, so both run the same app).
 * `logger: false` silences every log line; `logger` as a pino logger replaces the one built from
 * LOG_LEVEL/LOG_FORMAT (tests that read the lines).
 */
export async function createApp(
  config: AppConfig,
  options: { logger?: false | Logger } = {},
): Promise<NestFastifyApplication> {
  const logger =
    options.logger === false
      ? createLogger({ logLevel: 'silent', logFormat: 'json' })
      : (options.logger ?? createLogger(config));
  const adapter = new FastifyAdapter({
    bodyLimit: DEFAULT_BODY_LIMIT_BYTES,
    // false, a hop count or a list of proxy addresses/CIDRs (TRUST_PROXY): request.ip, and so the
    // per-IP limits and the audit trail, take X-Forwarded-For only from those trusted hops.
    trustProxy: config.trustProxy,
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
    ...fastifyLoggingOptions(logger),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    rawBody: true,
    logger: options.logger === false ? false : new PinoNestLogger(logger),
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  registerRequestLogging(fastify, logger);
  if (tracingEnabled()) {
    // Loaded only when tracing is on (it needs @opentelemetry/core).
    type RequestTracing = typeof import('./tracing/request-tracing');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const tracing = require('./tracing/request-tracing') as RequestTracing;
    tracing.registerRequestTracing(fastify);
    // The spans still buffered are sent before the process ends (SIGTERM closes the app).
    fastify.addHook('onClose', async () => shutdownTracing());
  }
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
  applyRouteBodyLimits(fastify);
  fastify.addHook('preValidation', rejectDeeplyNestedBody);
  app.enableShutdownHooks();
  setupSwagger(app);
  await registerWebAssets(app, config);
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
