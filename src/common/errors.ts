/**
 * Domain errors carry a stable machine `code` (see API.md); {@link HttpErrorFilter} maps them to
 * `{ statusCode, code, message, details }` once, so services never build HTTP responses.
 */
export enum ErrorCode {
  VALIDATION_FAILED = 'validation_failed',
  INVALID_PHONE = 'invalid_phone',
  UNAUTHORIZED = 'unauthorized',
  INVALID_SIGNATURE = 'invalid_signature',
  COUNTRY_NOT_ALLOWED = 'country_not_allowed',
  FORBIDDEN = 'forbidden',
  NOT_FOUND = 'not_found',
  VERIFICATION_NOT_PENDING = 'verification_not_pending',
  IDEMPOTENCY_CONFLICT = 'idempotency_conflict',
  PAYLOAD_TOO_LARGE = 'payload_too_large',
  RATE_LIMITED = 'rate_limited',
  RESEND_TOO_SOON = 'resend_too_soon',
  MAX_SENDS_REACHED = 'max_sends_reached',
  DELIVERY_FAILED = 'delivery_failed',
  INTERNAL_ERROR = 'internal_error',
  REQUEST_TIMEOUT = 'request_timeout',
  HEADERS_TOO_LARGE = 'headers_too_large',
  SERVICE_UNAVAILABLE = 'service_unavailable',
  PAGES_NOT_BUILT = 'pages_not_built',
  /** Template management needs WHATSAPP_PROVIDER=meta and META_WABA_ID. */
  TEMPLATES_NOT_CONFIGURED = 'templates_not_configured',
  /** A provider's management API (Graph API) refused a call or did not answer. */
  PROVIDER_ERROR = 'provider_error',
}

const STATUS: Record<ErrorCode, number> = {
  [ErrorCode.VALIDATION_FAILED]: 400,
  [ErrorCode.INVALID_PHONE]: 400,
  [ErrorCode.UNAUTHORIZED]: 401,
  [ErrorCode.INVALID_SIGNATURE]: 401,
  [ErrorCode.COUNTRY_NOT_ALLOWED]: 403,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.VERIFICATION_NOT_PENDING]: 409,
  [ErrorCode.IDEMPOTENCY_CONFLICT]: 409,
  [ErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.RESEND_TOO_SOON]: 429,
  [ErrorCode.MAX_SENDS_REACHED]: 429,
  [ErrorCode.DELIVERY_FAILED]: 502,
  [ErrorCode.INTERNAL_ERROR]: 500,
  [ErrorCode.REQUEST_TIMEOUT]: 408,
  [ErrorCode.HEADERS_TOO_LARGE]: 431,
  [ErrorCode.SERVICE_UNAVAILABLE]: 503,
  [ErrorCode.PAGES_NOT_BUILT]: 503,
  [ErrorCode.TEMPLATES_NOT_CONFIGURED]: 409,
  [ErrorCode.PROVIDER_ERROR]: 502,
};

export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}

export interface ErrorDetail {
  field?: string;
  /** Why a fraud guard refused (`velocity`, `low_conversion`). */
  reason?: string;
  message: string;
}

export interface DomainExceptionOptions {
  details?: ErrorDetail[];
  /** Extra top-level fields of the error body, e.g. `{ status }` or `{ id }`. */
  extra?: Record<string, unknown>;
  /** Seconds for the `Retry-After` header (429s, 503s). */
  retryAfterSeconds?: number;
}

export class DomainException extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly options: DomainExceptionOptions = {},
  ) {
    super(message);
    this.name = 'DomainException';
  }

  get statusCode(): number {
    return statusOf(this.code);
  }
}

export const notFound = (what = 'Resource'): DomainException =>
  new DomainException(ErrorCode.NOT_FOUND, `${what} not found`);
