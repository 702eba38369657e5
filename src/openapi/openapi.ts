import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ADMIN_KEY_SCHEME, APP_KEY_SCHEME, METRICS_TOKEN_SCHEME } from '../auth/auth.decorators';
import { ClientWebhookEventDto } from '../webhooks/dto/client-webhook-event.dto';
import { clientWebhooks } from './client-webhooks';
import { toOpenApi31Schemas } from './openapi-31';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * The OpenAPI 3.1 document of the application: served at /docs-json (Swagger UI at /docs) and
 * exported to openapi.json by `npm run openapi:export`.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setOpenAPIVersion('3.1.0')
      .setTitle('wa-verify')
      .setDescription(
        'Self-hosted WhatsApp phone verification. Two flows: `inbound` (the person sends a prefilled message with a one-time token from their own WhatsApp; the safe default) and `outbound` (a code sent through an approved WhatsApp authentication template, SMS fallback optional). Every error is `{ statusCode, code, message, details? }`.\n\nAuthenticate with `Authorization: Bearer <key>`: an app API key (`apiKey`) or the `ADMIN_API_KEY` (`admin`) for the `/v1/apps` routes. The client webhooks wa-verify sends to your app are described under **Webhooks**.',
      )
      .setVersion('1.0')
      .setLicense('MIT', 'https://opensource.org/licenses/MIT')
      .addTag('verifications', 'Start, check, resend and cancel verifications (app API key).')
      .addTag(
        'sandbox',
        'Development only (404 in production): what the sandbox sent, and a simulated person writing in.',
      )
      .addTag(
        'webhook deliveries',
        'The log of client webhooks sent to your `webhookUrl`, with manual retry.',
      )
      .addTag('audit', 'The append-only audit trail.')
      .addTag('apps (admin)', 'Tenants, their API keys and webhook secret (ADMIN_API_KEY).')
      .addTag(
        'provider webhooks',
        'Called by Meta and Twilio; authenticated by their signature header, never by API key.',
      )
      .addTag(
        'demo',
        'What the /demo page calls (DEMO_ENABLED): public, limited per client IP, acting as the development app; 404 without it (production).',
      )
      .addTag('health', 'Liveness and readiness probes (no credentials).')
      .addTag('operations', 'Prometheus metrics (METRICS_TOKEN when set).')
      .addTag('client webhooks', 'What wa-verify POSTs to your app (see Webhooks).')
      .addServer('/', 'This wa-verify instance')
      .addBearerAuth(
        { type: 'http', scheme: 'bearer', description: 'App API key (`wav_…`).' },
        APP_KEY_SCHEME,
      )
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          description: 'ADMIN_API_KEY: manages apps (tenants) and reads every audit event.',
        },
        ADMIN_KEY_SCHEME,
      )
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          description:
            'METRICS_TOKEN, for GET /metrics (which is open when METRICS_TOKEN is unset).',
        },
        METRICS_TOKEN_SCHEME,
      )
      .build(),
    { extraModels: [ClientWebhookEventDto] },
  );
  documentCommonErrors(document);
  document.webhooks = clientWebhooks();
  toOpenApi31Schemas(document);
  return document;
}

/**
 * What keeps the document honest, checked by `npm run openapi:export` and the OpenAPI e2e suite
 * (not at boot, so a forgotten decorator never stops the service): every route says which
 * credential it takes (`@Auth`) and has a readable, unique operationId (the generated client's
 * method name).
 */
export function openApiDocumentProblems(document: OpenAPIObject): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const where = `${method.toUpperCase()} ${path}`;
      if (!operation.security)
        problems.push(`${where} has no @Auth(...): its security is undocumented`);
      const id = operation.operationId;
      if (!id || !/^[a-z][A-Za-z0-9]*$/.test(id))
        problems.push(`${where} needs a camelCase operationId in @ApiOperation (has ${id})`);
      else if (seen.has(id)) problems.push(`${where}: operationId ${id} is used twice`);
      seen.add(id ?? '');
    }
  }
  return problems;
}

/**
 * Errors every route can give, documented once: 500 `internal_error` everywhere, 429
 * `rate_limited` (with Retry-After) wherever an API key is checked (public routes are not limited),
 * and 503 `service_unavailable` (with Retry-After) on the API routes, which need the database.
 */
function documentCommonErrors(document: OpenAPIObject): void {
  const errorBody = (example: Record<string, unknown>) => ({
    'application/json': { schema: { $ref: '#/components/schemas/ApiErrorDto' }, example },
  });
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      if (operation.security?.length)
        operation.responses['429'] ??= {
          description:
            'rate_limited (too many requests for the key, or too many failed authentications from the IP), with a Retry-After header in seconds',
          headers: {
            'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } },
          },
          content: errorBody({
            statusCode: 429,
            code: 'rate_limited',
            message: 'Too many requests',
          }),
        };
      if (path.startsWith('/v1/'))
        operation.responses['503'] ??= {
          description:
            'service_unavailable: the database is unreachable; retry after the Retry-After header (seconds)',
          headers: {
            'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } },
          },
          content: errorBody({
            statusCode: 503,
            code: 'service_unavailable',
            message: 'The service is temporarily unavailable, retry later',
          }),
        };
      operation.responses['500'] ??= {
        description: 'internal_error (never with a stack trace)',
        content: errorBody({
          statusCode: 500,
          code: 'internal_error',
          message: 'Internal error',
        }),
      };
    }
  }
}
