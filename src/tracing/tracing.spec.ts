import { startTracingIfConfigured, tracingEnabled } from './tracing';
import { traceVerification } from './request-span';

describe('tracing switch', () => {
  it('stays off, loading nothing of OpenTelemetry, without an OTLP endpoint or when disabled', () => {
    expect(startTracingIfConfigured({ OTEL_SERVICE_NAME: 'wa-verify' })).toBe(false);
    expect(
      startTracingIfConfigured({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
        OTEL_SDK_DISABLED: 'TRUE',
      }),
    ).toBe(false);
    expect(tracingEnabled()).toBe(false);
    traceVerification('ver_1');
    expect(Object.keys(require.cache).filter((path) => path.includes('@opentelemetry'))).toEqual(
      [],
    );
  });
});
