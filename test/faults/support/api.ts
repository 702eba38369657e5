import { ADMIN_KEY, call, ServiceProcess } from './service';

let phoneCounter = 0;
/** A fresh, valid Indonesian mobile number per call (suites share nothing but stay unique). */
export function uniquePhone(): string {
  phoneCounter += 1;
  const tail = `${Date.now() % 100_000}${String(phoneCounter).padStart(3, '0')}`.slice(-8);
  return `+62812${tail.padStart(8, '0')}`;
}

function codeIn(text: string): string {
  const match = /\b(\d{4,10})\b/.exec(text);
  if (!match) throw new Error('no code in message');
  return match[1];
}

export interface Tenant {
  appId: string;
  apiKey: string;
  webhookSecret: string;
}

export async function createTenant(
  service: ServiceProcess,
  body: Record<string, unknown> = {},
): Promise<Tenant> {
  const res = await call(service, 'POST', '/v1/apps', {
    key: ADMIN_KEY,
    body: { name: 'Fault app', brandName: 'Acme', ...body },
  });
  if (res.status !== 201) throw new Error(`POST /v1/apps → ${res.status} ${res.text}`);
  return { appId: res.body.id, apiKey: res.body.apiKey, webhookSecret: res.body.webhookSecret };
}

/** Creates an outbound verification (sandbox) and returns its id, phone and the code it sent. */
export async function createVerification(
  service: ServiceProcess,
  tenant: Tenant,
): Promise<{ id: string; phone: string; code: string }> {
  const phone = uniquePhone();
  const res = await call(service, 'POST', '/v1/verifications', {
    key: tenant.apiKey,
    body: { phone, ttlSeconds: 3600 },
  });
  if (res.status !== 201) throw new Error(`POST /v1/verifications → ${res.status} ${res.text}`);
  const messages = await call(
    service,
    'GET',
    `/v1/sandbox/messages?phone=${encodeURIComponent(phone)}`,
    { key: tenant.apiKey },
  );
  return { id: res.body.id, phone, code: codeIn(messages.body[0].text) };
}

export async function approve(
  service: ServiceProcess,
  tenant: Tenant,
  verification: { id: string; code: string },
): Promise<void> {
  const res = await call(service, 'POST', `/v1/verifications/${verification.id}/check`, {
    key: tenant.apiKey,
    body: { code: verification.code },
  });
  if (res.status !== 200 || res.body.status !== 'approved')
    throw new Error(`check → ${res.status} ${res.text}`);
}
