/** The demo page's calls to its own server (/demo/api): same origin, no key, JSON in and out. */

export type Flow = 'outbound' | 'inbound';
export type Status =
  'pending' | 'approved' | 'canceled' | 'expired' | 'max_attempts_reached' | 'failed';

export interface DemoConfig {
  sandbox: boolean;
  businessNumber: string;
  brandName: string | null;
}

export interface DemoVerification {
  handle: string;
  flow: Flow;
  status: Status;
  phone: string | null;
  channel: 'whatsapp' | 'sms';
  attemptsRemaining: number;
  sendsRemaining: number;
  expiresAt: string;
  resendAvailableAt: string | null;
  approvedAt: string | null;
  waLink?: string;
  waMessage?: string;
  qrCode?: string;
}

export interface DemoMessage {
  id: string;
  channel: 'whatsapp' | 'sms';
  to: string;
  text: string;
  sentAt: string;
}

/** An error answer of the API (`code` is one of API.md's codes) or `network_error`. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly retryAfterSeconds: number | null = null,
    readonly verificationStatus: Status | null = null,
  ) {
    super(message);
  }
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/demo/api${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    throw new ApiError('network_error', 'network error', 0);
  }
  const json = (await res.json().catch(() => null)) as Record<string, unknown> | null;
  if (!res.ok) {
    const retryAfter = Number(res.headers.get('retry-after'));
    throw new ApiError(
      typeof json?.code === 'string' ? json.code : 'internal_error',
      typeof json?.message === 'string' ? json.message : res.statusText,
      res.status,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
      typeof json?.status === 'string' ? (json.status as Status) : null,
    );
  }
  return json as T;
}

const at = (handle: string) => `/verifications/${encodeURIComponent(handle)}`;

export const demoApi = {
  config: () => call<DemoConfig>('GET', '/config'),
  create: (flow: Flow, locale: string, phone?: string) =>
    call<DemoVerification>('POST', '/verifications', { flow, locale, phone }),
  get: (handle: string) => call<DemoVerification>('GET', at(handle)),
  check: (handle: string, code: string) =>
    call<{ valid: boolean; verification: DemoVerification }>('POST', `${at(handle)}/check`, {
      code,
    }),
  resend: (handle: string) => call<DemoVerification>('POST', `${at(handle)}/resend`),
  messages: (handle: string) => call<DemoMessage[]>('GET', `${at(handle)}/messages`),
  sendInbound: (handle: string, from: string, text: string) =>
    call<{ accepted: boolean; replies: DemoMessage[] }>('POST', `${at(handle)}/inbound`, {
      from,
      text,
    }),
};
