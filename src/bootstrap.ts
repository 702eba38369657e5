import { LogLevel, ValidationError, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { AppsService } from './apps/apps.service';
import { DomainException, ErrorCode, ErrorDetail } from './common/errors';
import { answerClientError, rejectDeeplyNestedBody } from './common/request-shape';
import { AppConfig } from './config/app-config';

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
    clientErrorHandler: answerClientError,
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
  app.getHttpAdapter().getInstance().addHook('preValidation', rejectDeeplyNestedBody);
  app.enableShutdownHooks();
  setupSwagger(app);
  await app.init();
  if (config.developmentAppApiKey)
    await app.get(AppsService).ensureDevelopmentApp(config.developmentAppApiKey);
  return app;
}

function setupSwagger(app: NestFastifyApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('wa-verify')
      .setDescription(
        'Self-hosted WhatsApp phone verification. Two flows: `inbound` (the person sends a prefilled message with a one-time token from their own WhatsApp; the safe default) and `outbound` (a code sent through an approved WhatsApp authentication template, SMS fallback optional). Every error is `{ statusCode, code, message, details? }`.',
      )
      .setVersion('1.0')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'App API key' }, 'apiKey')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ADMIN_API_KEY' }, 'admin')
      .build(),
  );
  documentCommonErrors(document);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}

/**
 * Errors every route can give, documented once: 500 `internal_error` everywhere, and 429
 * `rate_limited` and 503 `service_unavailable` (both with Retry-After) on the API routes.
 */
function documentCommonErrors(document: OpenAPIObject): void {
  const errorBody = {
    'application/json': { schema: { $ref: '#/components/schemas/ApiErrorDto' } },
  };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const operation = item[method];
      if (!operation) continue;
      if (path.startsWith('/v1/'))
        operation.responses['429'] ??= {
          description:
            'rate_limited, resend_too_soon or max_sends_reached, with a Retry-After header in seconds',
          headers: {
            'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } },
          },
          content: errorBody,
        };
      if (path.startsWith('/v1/'))
        operation.responses['503'] ??= {
          description:
            'service_unavailable: the database is unreachable; retry after the Retry-After header (seconds)',
          headers: {
            'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } },
          },
          content: errorBody,
        };
      operation.responses['500'] ??= {
        description: 'internal_error (never with a stack trace)',
        content: errorBody,
      };
    }
  }
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
