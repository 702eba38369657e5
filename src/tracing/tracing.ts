/**
 * OpenTelemetry tracing: off unless OTEL_EXPORTER_OTLP_ENDPOINT (or the traces-only
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; then the standard OTEL_* variables apply
 * (OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER, OTEL_BSP_*, …), read by the
 * SDK itself. When off, nothing of the SDK is loaded. Started by ./register (main.ts's first import).
 */

type Env = Record<string, string | undefined>;

let shutdown: (() => Promise<void>) | null = null;

/** Starts tracing when the environment asks for it; true when it did. */
export function startTracingIfConfigured(env: Env): boolean {
  if (shutdown) return true;
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (!endpoint || env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('./tracing-sdk') as typeof import('./tracing-sdk');
  shutdown = sdk.startTracing(env);
  return true;
}

/** Whether this process exports traces. */
export function tracingEnabled(): boolean {
  return shutdown !== null;
}

/** Flushes the spans still buffered and stops exporting (on application shutdown); no-op when off. */
export async function shutdownTracing(): Promise<void> {
  const stop = shutdown;
  shutdown = null;
  await stop?.();
}
