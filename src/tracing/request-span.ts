import { tracingEnabled } from './tracing';

/** Span attribute naming the verification a request created or read. */
export const VERIFICATION_ID_ATTRIBUTE = 'waverify.verification_id';

/**
 * Puts the verification id on the request's span, so a trace can be found from a verification
 * (and the other way round). When tracing is off this is one boolean check: @opentelemetry/api
 * is not even loaded.
 */
export function traceVerification(id: string): void {
  if (!tracingEnabled()) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { trace } = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  trace.getActiveSpan()?.setAttribute(VERIFICATION_ID_ATTRIBUTE, id);
}
