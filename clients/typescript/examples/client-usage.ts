/**
 * The README's TypeScript snippet, compiled with the client's strict settings (`npm run
 * client:check`) so it stays correct.
 */
import {
  createWaVerifyClient,
  unwrap,
  WaVerifyError,
  type WaVerifyClient,
} from '@wa-verify/client';

export async function readmeSnippet(code: string): Promise<void> {
  const apiKey = process.env.WA_VERIFY_API_KEY;
  if (!apiKey) throw new Error('WA_VERIFY_API_KEY is not set');
  const waVerify = createWaVerifyClient({ baseUrl: 'http://localhost:3000', apiKey });

  // Outbound: the code goes out by WhatsApp.
  const verification = await unwrap(
    waVerify.POST('/v1/verifications', {
      params: { header: { 'Idempotency-Key': 'signup-42' } },
      body: { phone: '+6281212345678', metadata: { userId: '42' } },
    }),
  );
  const result = await unwrap(
    waVerify.POST('/v1/verifications/{id}/check', {
      params: { path: { id: verification.id } },
      body: { code }, // what the person typed
    }),
  );
  if (result.valid) {
    // approved: sign the person in
  } else {
    // result.status is 'pending' (result.attemptsRemaining left) or 'max_attempts_reached'
  }

  // Inbound: show inbound.waLink (or the inbound.qrCode data URL) to the person.
  const inbound = await unwrap(waVerify.POST('/v1/verifications', { body: { flow: 'inbound' } }));
  await statusOf(waVerify, inbound.id);

  // With unwrap(), an error answer throws a WaVerifyError with its stable code.
  try {
    await unwrap(waVerify.POST('/v1/verifications', { body: { phone: '12' } }));
  } catch (e) {
    if (e instanceof WaVerifyError && e.code === 'invalid_phone') {
      // e.status is 400; e.body?.details lists the fields; e.retryAfterSeconds is set on 429s
    }
  }
}

// Without unwrap(), nothing throws: each call resolves to { data } or { error }, both typed.
async function statusOf(waVerify: WaVerifyClient, id: string) {
  const { data, error } = await waVerify.GET('/v1/verifications/{id}', {
    params: { path: { id } },
  });
  if (error) return error.code; // 'not_found', 'unauthorized', …
  return data.status; // 'pending', 'approved', …
}
