import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, paths } from './schema';

export type { components, operations, paths, webhooks } from './schema';
export {
  verifyWebhook,
  WebhookVerificationError,
  type WebhookEvent,
  type WebhookEventType,
  type WebhookHeaders,
} from './webhooks';

type Schemas = components['schemas'];

/** A verification as every verification endpoint returns it (and as client webhooks carry it). */
export type Verification = Schemas['VerificationResponseDto'];
/** Body of `POST /v1/verifications`. */
export type CreateVerificationRequest = Schemas['CreateVerificationDto'];
/** Answer of `POST /v1/verifications/{id}/check` and `POST /v1/verification-checks`. */
export type CheckResult = Schemas['CheckResultDto'];
/** Every error body: `{ statusCode, code, message, details? }`. */
export type ApiError = Schemas['ApiErrorDto'];
/** The stable machine codes of {@link ApiError}. */
export type ApiErrorCode = ApiError['code'];

/** An openapi-fetch client typed with every path of the wa-verify API. */
export type WaVerifyClient = Client<paths>;

export interface WaVerifyClientOptions {
  /** Where wa-verify listens, e.g. `https://verify.example.com` (no `/v1`). */
  baseUrl: string;
  /** An app API key; or `ADMIN_API_KEY` for the admin routes (`/v1/apps…`). Sent as a bearer token. */
  apiKey: string;
  /** A custom fetch (tests, proxies); defaults to the global one. */
  fetch?: ClientOptions['fetch'];
}

/**
 * A client for the wa-verify API: `client.POST('/v1/verifications', { body })`,
 * `client.GET('/v1/verifications/{id}', { params: { path: { id } } })`… Paths, parameters, bodies
 * and answers are typed from the OpenAPI document. Each call resolves to `{ data }` on success or
 * `{ error }` (an {@link ApiError}) otherwise, never throws on an HTTP status; use {@link unwrap}
 * to get the data or a thrown {@link WaVerifyError}.
 */
export function createWaVerifyClient(options: WaVerifyClientOptions): WaVerifyClient {
  return createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: { Authorization: `Bearer ${options.apiKey}` },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** An error answer of the API, thrown by {@link unwrap}. */
export class WaVerifyError extends Error {
  /** The HTTP status. */
  readonly status: number;
  /** The stable machine code, or `null` when the body was not a wa-verify error (e.g. a proxy's). */
  readonly code: ApiErrorCode | null;
  /** The error body when it was a wa-verify error. */
  readonly body: ApiError | null;
  /** `Retry-After` in seconds (429 and 503 answers), else `null`. */
  readonly retryAfterSeconds: number | null;

  constructor(response: Response, body: unknown) {
    const apiError = isApiError(body) ? body : null;
    super(apiError ? `${apiError.code}: ${apiError.message}` : `HTTP ${response.status}`);
    this.name = 'WaVerifyError';
    this.status = response.status;
    this.code = apiError?.code ?? null;
    this.body = apiError;
    const retryAfter = Number.parseInt(response.headers.get('retry-after') ?? '', 10);
    this.retryAfterSeconds = Number.isFinite(retryAfter) ? retryAfter : null;
  }
}

interface CallResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * The data of a successful call that answers a JSON body, or a thrown {@link WaVerifyError}:
 * `const verification = await unwrap(client.POST('/v1/verifications', { body }))`.
 */
export async function unwrap<T>(call: Promise<CallResult<T>> | CallResult<T>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok || data === undefined) throw new WaVerifyError(response, error);
  return data;
}

/** Every code of the document, exhaustively (the compiler fails here when the document adds one). */
const ERROR_CODES: Record<ApiErrorCode, true> = {
  validation_failed: true,
  invalid_phone: true,
  unauthorized: true,
  invalid_signature: true,
  country_not_allowed: true,
  forbidden: true,
  not_found: true,
  verification_not_pending: true,
  idempotency_conflict: true,
  payload_too_large: true,
  rate_limited: true,
  resend_too_soon: true,
  max_sends_reached: true,
  delivery_failed: true,
  internal_error: true,
  service_unavailable: true,
  request_timeout: true,
  headers_too_large: true,
  pages_not_built: true,
  templates_not_configured: true,
  provider_error: true,
};

function isApiError(body: unknown): body is ApiError {
  return (
    typeof body === 'object' &&
    body !== null &&
    'code' in body &&
    typeof body.code === 'string' &&
    Object.hasOwn(ERROR_CODES, body.code) &&
    'message' in body &&
    typeof body.message === 'string' &&
    'statusCode' in body &&
    typeof body.statusCode === 'number'
  );
}
