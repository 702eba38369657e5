import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { MySQL2Instrumentation } from '@opentelemetry/instrumentation-mysql2';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { Attributes, Context, SpanKind } from '@opentelemetry/api';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  Sampler,
  SamplingDecision,
  SamplingResult,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { IncomingMessage } from 'node:http';

/** Probes and scrapes are not worth a trace each. */
const UNTRACED_PATHS = /^\/(health\/|metrics(\?|$))/;

/**
 * Root spans are kept except for database queries: the background pollers (webhook dispatch,
 * inbox, expiry sweeps) query every few seconds, and a trace per such query is noise. Queries made
 * while serving a request are children of its span and are kept (ParentBased).
 */
class NoRootQueriesSampler implements Sampler {
  shouldSample(
    _context: Context,
    _traceId: string,
    _name: string,
    _kind: SpanKind,
    attributes: Attributes,
  ): SamplingResult {
    const query =
      attributes['db.system'] !== undefined || attributes['db.system.name'] !== undefined;
    return {
      decision: query ? SamplingDecision.NOT_RECORD : SamplingDecision.RECORD_AND_SAMPLED,
    };
  }

  toString(): string {
    return 'NoRootQueriesSampler';
  }
}

/**
 * The tracer provider (W3C trace context, batch export over OTLP/HTTP configured by the OTEL_*
 * variables) and the instrumentations: incoming and outgoing HTTP (server spans; provider and
 * client-webhook calls as client spans), mysql2 (MariaDB queries) and ioredis. SQLite
 * (better-sqlite3) is synchronous and not traced. Returns the shutdown (flush) function.
 */
export function startTracing(env: Record<string, string | undefined>): () => Promise<void> {
  const provider = new NodeTracerProvider({
    // OTEL_TRACES_SAMPLER, when set, is applied by the SDK instead.
    ...(env.OTEL_TRACES_SAMPLER
      ? {}
      : { sampler: new ParentBasedSampler({ root: new NoRootQueriesSampler() }) }),
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over our default name.
    resource: defaultResource()
      .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'wa-verify' }))
      .merge(detectResources({ detectors: [envDetector] })),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request: IncomingMessage) =>
          UNTRACED_PATHS.test(request.url ?? ''),
        // Query strings can carry secrets (Meta's hub.verify_token): spans keep the path only,
        // and the signature of a demo handle (/demo/api/verifications/<id>.<signature>) is dropped.
        applyCustomAttributesOnSpan: (span, request) => {
          if (!('headers' in request) || !('url' in request)) return;
          const url = (request as IncomingMessage).url ?? '';
          const path = withoutDemoSignature(url.split('?')[0]);
          if (path === url) return;
          span.setAttribute('http.target', path);
          const attributes = (span as unknown as { attributes?: Attributes }).attributes ?? {};
          for (const key of ['http.url', 'url.full', 'url.path']) {
            const value = attributes[key];
            if (typeof value === 'string')
              span.setAttribute(key, withoutDemoSignature(value.split('?')[0]));
          }
          if (attributes['url.query'] !== undefined) span.setAttribute('url.query', '[Redacted]');
        },
      }),
      // Statements without their values (phones, hashes): `SELECT … WHERE phone = ?`.
      new MySQL2Instrumentation({ maskStatement: true }),
      // The command name only: keys can name a phone's rate-limit bucket.
      new IORedisInstrumentation({ dbStatementSerializer: (command) => command }),
    ],
  });
  return () => provider.shutdown();
}

/** `/demo/api/verifications/<id>.<signature>…` → `/demo/api/verifications/<id>.[Redacted]…`. */
export function withoutDemoSignature(path: string): string {
  return path.replace(/(\/demo\/api\/verifications\/[^/.?]+)\.[^/?]+/, '$1.[Redacted]');
}
