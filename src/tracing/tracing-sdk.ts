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
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { IncomingMessage } from 'node:http';

/** Probes and scrapes are not worth a trace each. */
const UNTRACED_PATHS = /^\/(health\/|metrics(\?|$))/;

/**
 * The tracer provider (W3C trace context, batch export over OTLP/HTTP configured by the OTEL_*
 * variables) and the instrumentations: incoming and outgoing HTTP (server spans; provider and
 * client-webhook calls as client spans), mysql2 (MariaDB queries) and ioredis. SQLite
 * (better-sqlite3) is synchronous and not traced. Returns the shutdown (flush) function.
 */
export function startTracing(): () => Promise<void> {
  const provider = new NodeTracerProvider({
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
      }),
      new MySQL2Instrumentation(),
      new IORedisInstrumentation(),
    ],
  });
  return () => provider.shutdown();
}
