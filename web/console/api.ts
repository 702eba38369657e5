import createClient from 'openapi-fetch';
import type { components, paths } from '../../clients/typescript/src/schema';

export type Schemas = components['schemas'];
export type Verification = Schemas['VerificationResponseDto'];
export type AuditEvent = Schemas['AuditEventDto'];
export type Delivery = Schemas['WebhookDeliveryDto'];
export type DeliveryDetail = Schemas['WebhookDeliveryDetailDto'];
export type AppSummary = Schemas['AppSummaryDto'];
export type AppDetail = Schemas['AppResponseDto'];
export type ConversionRow = Schemas['ConversionRowDto'];

export type Api = ReturnType<typeof createClient<paths>>;

/** Who signed in: the admin key manages apps; an app key sees its own app's verifications. */
export type Role = 'admin' | 'app';

/** An error answer of the API, with its stable `code` and readable message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A client of this origin's API that sends the signed-in key as a bearer token. `onRefused` is
 * called when the API answers 401 (the key was revoked since sign-in).
 */
export function apiFor(key: string, onRefused?: () => void): Api {
  const api = createClient<paths>({
    baseUrl: window.location.origin,
    headers: { Authorization: `Bearer ${key}` },
  });
  if (onRefused)
    api.use({
      onResponse({ response }) {
        if (response.status === 401) onRefused();
      },
    });
  return api;
}

/** The data of an answer, or an {@link ApiError} thrown with the API's own message. */
export async function ok<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) {
    const body = (error ?? {}) as { code?: string; message?: string };
    throw new ApiError(
      response.status,
      body.code ?? 'error',
      body.message ?? `Request failed (${response.status})`,
    );
  }
  return data as T;
}

/**
 * Which pages a key may use, asked of the API itself: an app key can list its verifications, the
 * admin key can list apps. The likelier one is tried first so a valid key costs no refused call.
 */
export async function roleOf(key: string): Promise<Role | null> {
  const api = apiFor(key);
  const asApp = () => api.GET('/v1/verifications', { params: { query: { limit: 1 } } });
  const asAdmin = () => api.GET('/v1/apps');
  // App keys start `wav_`; the generated development admin key starts `wav_admin_`.
  const order: [Role, () => Promise<{ error?: unknown; response: Response }>][] =
    key.startsWith('wav_') && !key.startsWith('wav_admin_')
      ? [
          ['app', asApp],
          ['admin', asAdmin],
        ]
      : [
          ['admin', asAdmin],
          ['app', asApp],
        ];
  for (const [role, probe] of order) {
    const answer = await probe();
    if (answer.response.ok) return role;
    // 401 means "not this kind of key"; anything else (429, 5xx) is worth saying as it is.
    if (answer.response.status !== 401) await ok(Promise.resolve(answer));
  }
  return null;
}
