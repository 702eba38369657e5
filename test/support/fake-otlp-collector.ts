import { FakeHttpServer, FakeReply, RecordedRequest } from './fake-http-server';

/** One exported span, flattened from OTLP/HTTP JSON (`resourceSpans[].scopeSpans[].spans[]`). */
export interface CollectedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  scope: string;
  serviceName: string | undefined;
  attributes: Record<string, unknown>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpBody {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      scope?: { name?: string };
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: OtlpAttribute[];
      }[];
    }[];
  }[];
}

function attributes(list: OtlpAttribute[] = []): Record<string, unknown> {
  return Object.fromEntries(
    list.map(({ key, value }) => [
      key,
      value.stringValue ??
        (value.intValue !== undefined ? Number(value.intValue) : undefined) ??
        value.doubleValue ??
        value.boolValue,
    ]),
  );
}

/**
 * A stand-in for an OpenTelemetry collector's OTLP/HTTP receiver on 127.0.0.1: accepts
 * `POST /v1/traces` with a JSON body (the exporter with OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json)
 * and keeps every span.
 */
export class FakeOtlpCollector extends FakeHttpServer {
  spans(): CollectedSpan[] {
    return this.requests
      .filter((request) => request.path === '/v1/traces')
      .flatMap((request) =>
        ((request.body as OtlpBody).resourceSpans ?? []).flatMap((resourceSpan) => {
          const resource = attributes(resourceSpan.resource?.attributes);
          return (resourceSpan.scopeSpans ?? []).flatMap((scopeSpan) =>
            (scopeSpan.spans ?? []).map((span) => ({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId || undefined,
              name: span.name,
              kind: span.kind,
              scope: scopeSpan.scope?.name ?? '',
              serviceName: resource['service.name'] as string | undefined,
              attributes: attributes(span.attributes),
            })),
          );
        }),
      );
  }

  protected handle(request: RecordedRequest): FakeReply {
    if (request.method === 'POST' && request.path === '/v1/traces')
      return { status: 200, body: {} };
    return { status: 404, body: {} };
  }

  protected defaultErrorBody(): unknown {
    return {};
  }
}
