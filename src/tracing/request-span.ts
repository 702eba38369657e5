import { trace } from '@opentelemetry/api';

/** Span attribute naming the verification a request created or read. */
export const VERIFICATION_ID_ATTRIBUTE = 'waverify.verification_id';

/**
 * Puts the verification id on the request's span, so a trace can be found from a verification
 * (and the other way round). A no-op when tracing is off (there is no active span then).
 */
export function traceVerification(id: string): void {
  trace.getActiveSpan()?.setAttribute(VERIFICATION_ID_ATTRIBUTE, id);
}
